import { Tensor } from "../tensor/tensor";
import { guardBeforeAssert } from "./guard";

/*
 * Tensor-aware assertions for graded exercises. The functions they rely on are
 * taken here, when the module loads (before any submission runs in the
 * grader), so a submission that replaces Math.abs, Object.is, Array.isArray or
 * Tensor.prototype.values cannot make a wrong answer compare equal.
 */
const apply = Reflect.apply;
const objectIs = Object.is;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const abs = Math.abs;
const isNaNNumber = Number.isNaN;
const stringOf = String;
const jsonStringify = JSON.stringify;
const hasInstance = Function.prototype[Symbol.hasInstance];
const arrayPush = Array.prototype.push;
const arrayJoin = Array.prototype.join;
const regexpTest = RegExp.prototype.test;
const stringIncludes = String.prototype.includes;
const objectKeys = Object.keys;
const hasOwn = Object.prototype.hasOwnProperty;
const tensorValues = Tensor.prototype.values;
const tensorShape = Object.getOwnPropertyDescriptor(Tensor.prototype, "shape")?.get as (this: Tensor) => number[];

export interface CloseOptions {
  /** Absolute tolerance; default 1e-5. */
  atol?: number;
  /** Relative tolerance (times |expected|); default 1e-4, loose enough for float32 sums in another order. */
  rtol?: number;
}

function isTensor(x: unknown): x is Tensor {
  return apply(hasInstance, Tensor, [x]) as boolean;
}

function fmtShape(shape: readonly number[]): string {
  return "[" + apply(arrayJoin, shape, [","]) + "]";
}

/** A value as a message shows it: never throws, even for a hostile object. */
function show(x: unknown): string {
  try {
    if (isTensor(x)) return `tensor of shape ${fmtShape(apply(tensorShape, x, []))}`;
    if (typeof x === "number" || typeof x === "boolean" || typeof x === "bigint" || x === undefined || x === null) return stringOf(x);
    if (typeof x === "string") return jsonStringify(x);
    if (typeof x === "function") return "a function";
    const s = jsonStringify(x);
    return typeof s === "string" ? (s.length > 200 ? s.slice(0, 200) + "…" : s) : stringOf(x);
  } catch {
    return "(a value that cannot be shown)";
  }
}

interface Numeric {
  shape: number[];
  values: number[];
}

/** Numbers, nested arrays, typed arrays and Tensors as a shape and flat values; undefined when not numeric. */
function numeric(x: unknown): Numeric | undefined {
  if (typeof x === "number") return { shape: [], values: [x] };
  if (typeof x === "boolean") return { shape: [], values: [x ? 1 : 0] };
  if (isTensor(x)) {
    const shape = apply(tensorShape, x, []) as number[];
    const vals = apply(tensorValues, x, []) as ArrayLike<number>;
    const values: number[] = [];
    for (let i = 0; i < vals.length; i++) apply(arrayPush, values, [vals[i]]);
    return { shape, values };
  }
  if (isView(x) && !(x instanceof DataView)) {
    const arr = x as unknown as ArrayLike<number>;
    const values: number[] = [];
    for (let i = 0; i < arr.length; i++) apply(arrayPush, values, [arr[i]]);
    return { shape: [values.length], values };
  }
  if (isArray(x)) {
    const values: number[] = [];
    const shape: number[] = [];
    const walk = (v: unknown, depth: number): boolean => {
      if (isArray(v)) {
        if (shape.length === depth) apply(arrayPush, shape, [v.length]);
        else if (shape[depth] !== v.length) return false;
        for (let i = 0; i < v.length; i++) if (!walk(v[i], depth + 1)) return false;
        return true;
      }
      if (shape.length !== depth) return false;
      if (typeof v === "number") apply(arrayPush, values, [v]);
      else if (typeof v === "boolean") apply(arrayPush, values, [v ? 1 : 0]);
      else return false;
      return true;
    };
    return walk(x, 0) ? { shape, values } : undefined;
  }
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The multi-index of flat position `flat` in `shape`, as `[i,j]`. */
function indexOf(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = (flat - idx[d]) / shape[d];
  }
  return fmtShape(idx);
}

function fail(message: string): never {
  throw new AssertionFailed(message);
}

/** What a failed expectation throws; the grader shows its message as the test's feedback. */
export class AssertionFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionFailed";
  }
}

function toNumbers(what: string, x: unknown, role: "expected" | "actual"): Numeric {
  const n = numeric(x);
  if (!n) fail(`${what}: the ${role} value is not a number, an array of numbers or a Tensor: ${show(x)}`);
  return n;
}

/** The assertions on one value: `expect(actual).toBeCloseTo(expected)`. Failures throw AssertionFailed. */
export class Expectation {
  constructor(private readonly actual: unknown) {}

  /** Numbers, arrays or Tensors, element by element: |actual - expected| <= atol + rtol·|expected|; shapes first. */
  toBeCloseTo(expected: unknown, opts: CloseOptions = {}): void {
    guardBeforeAssert();
    const atol = opts.atol ?? 1e-5;
    const rtol = opts.rtol ?? 1e-4;
    const a = toNumbers("toBeCloseTo", this.actual, "actual");
    const e = toNumbers("toBeCloseTo", expected, "expected");
    if (!sameShape(a.shape, e.shape)) fail(`toBeCloseTo: expected shape ${fmtShape(e.shape)}, got shape ${fmtShape(a.shape)}`);
    let bad = 0, first = -1;
    for (let i = 0; i < e.values.length; i++) {
      const x = a.values[i], y = e.values[i];
      const ok = isNaNNumber(y) ? isNaNNumber(x) : x === y || abs(x - y) <= atol + rtol * abs(y);
      if (!ok) {
        bad++;
        if (first < 0) first = i;
      }
    }
    if (bad) {
      const at = a.shape.length ? ` at ${indexOf(first, a.shape)}` : "";
      const more = bad > 1 ? ` (${bad} of ${e.values.length} elements differ)` : "";
      fail(`toBeCloseTo: expected ${e.values[first]}, got ${a.values[first]}${at}${more}; tolerance atol=${atol}, rtol=${rtol}`);
    }
  }

  /** Deep equality: Tensors by shape and values, arrays element by element, plain objects key by key, NaN equals NaN. */
  toEqual(expected: unknown): void {
    guardBeforeAssert();
    const diff = deepDiff(this.actual, expected, "");
    if (diff !== undefined) fail(`toEqual: ${diff}`);
  }

  /** Object.is: the same primitive, or the very same object. */
  toBe(expected: unknown): void {
    guardBeforeAssert();
    if (!objectIs(this.actual, expected)) fail(`toBe: expected ${show(expected)}, got ${show(this.actual)}`);
  }

  toHaveShape(shape: readonly number[]): void {
    guardBeforeAssert();
    const a = numeric(this.actual);
    if (!a) fail(`toHaveShape: expected shape ${fmtShape(shape)}, got ${show(this.actual)}, which has no shape`);
    if (!sameShape(a.shape, shape)) fail(`toHaveShape: expected shape ${fmtShape(shape)}, got shape ${fmtShape(a.shape)}`);
  }

  toBeGreaterThan(n: number): void {
    guardBeforeAssert();
    const a = scalarOf("toBeGreaterThan", this.actual);
    if (!(a > n)) fail(`toBeGreaterThan: expected more than ${n}, got ${a}`);
  }

  toBeLessThan(n: number): void {
    guardBeforeAssert();
    const a = scalarOf("toBeLessThan", this.actual);
    if (!(a < n)) fail(`toBeLessThan: expected less than ${n}, got ${a}`);
  }

  toBeTruthy(): void {
    guardBeforeAssert();
    if (!this.actual) fail(`toBeTruthy: expected a truthy value, got ${show(this.actual)}`);
  }

  /** `expect(() => f(bad)).toThrow("shape")`: the function throws, with a message containing the text or matching the RegExp. */
  toThrow(pattern?: string | RegExp): void {
    guardBeforeAssert();
    if (typeof this.actual !== "function") fail(`toThrow: expected a function to call, got ${show(this.actual)}`);
    let thrown = false, err: unknown;
    try {
      (this.actual as () => unknown)();
    } catch (e) {
      thrown = true;
      err = e;
    }
    guardBeforeAssert();
    if (!thrown) fail(`toThrow: expected the function to throw${pattern === undefined ? "" : " " + show(stringOf(pattern))}, it returned normally`);
    if (pattern === undefined) return;
    let message: string;
    try {
      message = typeof err === "object" && err !== null && typeof (err as Error).message === "string" ? (err as Error).message : stringOf(err);
    } catch {
      message = "";
    }
    const ok = typeof pattern === "string" ? (apply(stringIncludes, message, [pattern]) as boolean) : (apply(regexpTest, pattern, [message]) as boolean);
    if (!ok) fail(`toThrow: expected an error matching ${show(typeof pattern === "string" ? pattern : stringOf(pattern))}, got ${show(message)}`);
  }
}

function scalarOf(what: string, x: unknown): number {
  const n = toNumbers(what, x, "actual");
  if (n.values.length !== 1) fail(`${what}: expected a single number, got shape ${fmtShape(n.shape)}`);
  return n.values[0];
}

/** Where `a` and `b` differ (a message), or undefined when they are deeply equal. */
function deepDiff(a: unknown, b: unknown, path: string): string | undefined {
  const at = path ? ` at ${path}` : "";
  if (isTensor(a) || isTensor(b)) {
    const na = numeric(a), nb = numeric(b);
    if (!na || !nb) return `expected ${show(b)}, got ${show(a)}${at}`;
    if (!sameShape(na.shape, nb.shape)) return `expected shape ${fmtShape(nb.shape)}, got shape ${fmtShape(na.shape)}${at}`;
    for (let i = 0; i < nb.values.length; i++) {
      if (!objectIs(na.values[i], nb.values[i]) && na.values[i] !== nb.values[i]) {
        return `expected ${nb.values[i]}, got ${na.values[i]} at ${path}${indexOf(i, na.shape)}`;
      }
    }
    return undefined;
  }
  if (objectIs(a, b)) return undefined;
  if (typeof a === "number" && typeof b === "number" && a === b) return undefined; // +0 and -0
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return `expected ${show(b)}, got ${show(a)}${at}`;
  if (isArray(a) !== isArray(b) || isView(a) !== isView(b)) return `expected ${show(b)}, got ${show(a)}${at}`;
  if (isArray(b) || isView(b)) {
    const xa = a as ArrayLike<unknown>, xb = b as ArrayLike<unknown>;
    if (xa.length !== xb.length) return `expected length ${xb.length}, got length ${xa.length}${at}`;
    for (let i = 0; i < xb.length; i++) {
      const d = deepDiff(xa[i], xb[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ka = objectKeys(a), kb = objectKeys(b);
  for (const k of kb) if (!apply(hasOwn, a, [k])) return `expected a key ${jsonStringify(k)}${at}, it is missing`;
  for (const k of ka) if (!apply(hasOwn, b, [k])) return `unexpected key ${jsonStringify(k)}${at}`;
  for (const k of kb) {
    const d = deepDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

export function expect(actual: unknown): Expectation {
  guardBeforeAssert();
  return new Expectation(actual);
}

// A submission must not be able to turn an assertion into a no-op.
Object.freeze(Expectation.prototype);
Object.freeze(Expectation);
