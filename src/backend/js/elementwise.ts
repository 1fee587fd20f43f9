import type { BinaryOp, UnaryOp } from "../backend";
import { DType, TypedArray, allocate, promote } from "../../tensor/dtype";
import { Shape, broadcastShapes, contiguousStrides, numel } from "../../tensor/shape";
import { JsArray, broadcastStrides, forEachRow } from "./array";
import { allocateOut } from "./shared";

const COMPARISONS = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge", "and", "or"]);

export function binaryDtype(op: BinaryOp, a: DType, b: DType): DType {
  if (COMPARISONS.has(op)) return "bool";
  const t = promote(a, b);
  // true division and powers of integers are real numbers, as in PyTorch
  if ((op === "div" || op === "pow") && (t === "int32" || t === "bool")) return "float32";
  return t === "bool" ? "int32" : t;
}

export const UNARY_OPS: readonly UnaryOp[] = [
  "neg", "exp", "log", "sqrt", "abs", "sign", "relu", "sigmoid", "tanh",
  "softplus", "erf", "sin", "cos", "floor", "ceil", "round", "isfinite", "not",
];
export const BINARY_OPS: readonly BinaryOp[] = [
  "add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
];
export const FAMILIES = ["unary", "binary", "where"] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * An elementwise kernel, worked out but not run: the output's shape and
 * dtype, and each input's buffer read with its strides (broadcast ones 0)
 * from its start offset. `execute` runs it here; parallel.ts may instead
 * cut it into slabs for several threads, which run the same rows.
 */
export interface Plan {
  family: Family;
  op: string;
  shape: Shape;
  dtype: DType;
  inputs: TypedArray[];
  /** Strides of the output (row-major), then of each input. */
  strides: number[][];
  starts: number[];
}

export function binaryPlan(op: BinaryOp, a: JsArray, b: JsArray): Plan {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return {
    family: "binary", op, shape, dtype: binaryDtype(op, a.dtype, b.dtype), inputs: [a.buf, b.buf],
    strides: [contiguousStrides(shape), broadcastStrides(a, shape), broadcastStrides(b, shape)], starts: [0, a.offset, b.offset],
  };
}

export function unaryPlan(op: UnaryOp, x: JsArray): Plan {
  return {
    family: "unary", op, shape: x.shape, dtype: unaryDtype(op, x.dtype), inputs: [x.buf],
    strides: [contiguousStrides(x.shape), [...x.strides]], starts: [0, x.offset],
  };
}

export function wherePlan(c: JsArray, a: JsArray, b: JsArray): Plan {
  const shape = broadcastShapes("where", c.shape, a.shape, b.shape);
  return {
    family: "where", op: "where", shape, dtype: promote(a.dtype, b.dtype), inputs: [c.buf, a.buf, b.buf],
    strides: [contiguousStrides(shape), broadcastStrides(c, shape), broadcastStrides(a, shape), broadcastStrides(b, shape)],
    starts: [0, c.offset, a.offset, b.offset],
  };
}

/** Runs a plan on this thread, into a new array. */
export function execute(p: Plan): JsArray {
  const out = allocateOut(p.dtype, numel(p.shape));
  runRows(p.family, p.op, [out, ...p.inputs], p.shape, p.strides, p.starts);
  return new JsArray(out, p.shape);
}

/**
 * The loops of a plan over `shape` (the whole output, or the slab one
 * thread was given): bufs are the output, then the inputs.
 */
export function runRows(family: Family, op: string, bufs: TypedArray[], shape: Shape, strides: number[][], starts: number[]): void {
  const out = bufs[0];
  switch (family) {
    case "unary": {
      const x = bufs[1];
      if (op === "relu" && x instanceof Float32Array && out instanceof Float32Array) {
        const xb = bits(x), ob = bits(out);
        forEachRow(shape, strides, starts, (o, n, s) => reluBitsRow(ob, o[0], xb, o[1], s[1], n));
      } else {
        forEachRow(shape, strides, starts, (o, n, s) => unaryRow(op as UnaryOp, out, o[0], x, o[1], s[1], n));
      }
      return;
    }
    case "binary": {
      const a = bufs[1], b = bufs[2];
      forEachRow(shape, strides, starts, (o, n, s) => binaryRow(op as BinaryOp, out, o[0], a, o[1], s[1], b, o[2], s[2], n));
      return;
    }
    case "where": {
      const [, cv, av, bv] = bufs;
      const word = out instanceof Float32Array || out instanceof Int32Array;
      if (word && cv instanceof Uint8Array && av.constructor === out.constructor && bv.constructor === out.constructor) {
        // a bool condition choosing between 32-bit values: chosen bit for bit, without a branch (see whereBitsRow)
        const ob = bits(out), ab = bits(av as typeof out), bb = bits(bv as typeof out);
        forEachRow(shape, strides, starts, (o, n, s) => whereBitsRow(ob, o[0], cv, o[1], s[1], ab, o[2], s[2], bb, o[3], s[3], n));
        return;
      }
      forEachRow(shape, strides, starts, (o, n, s) => {
        let ic = o[1], ia = o[2], ib = o[3];
        for (let j = 0, oo = o[0]; j < n; j++, oo++, ic += s[1], ia += s[2], ib += s[3]) out[oo] = cv[ic] ? av[ia] : bv[ib];
      });
      return;
    }
  }
}

export function binary(op: BinaryOp, a: JsArray, b: JsArray): JsArray {
  return execute(binaryPlan(op, a, b));
}

/*
 * One tight loop per op: the switch runs once per row, never per element.
 * Comparisons write +(a < b), not a < b ? 1 : 0: on data whose outcome is a
 * coin toss (a ReLU mask) the branch is mispredicted half the time, which
 * made them 4x slower.
 */
function binaryRow(
  op: BinaryOp, out: TypedArray, o: number,
  a: TypedArray, ia: number, sa: number,
  b: TypedArray, ib: number, sb: number, n: number,
): void {
  const end = o + n;
  switch (op) {
    case "add": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] + b[ib]; return;
    case "sub": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] - b[ib]; return;
    case "mul": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] * b[ib]; return;
    case "div": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] / b[ib]; return;
    case "pow": for (; o < end; o++, ia += sa, ib += sb) out[o] = Math.pow(a[ia], b[ib]); return;
    case "maximum": for (; o < end; o++, ia += sa, ib += sb) out[o] = Math.max(a[ia], b[ib]); return;
    case "minimum": for (; o < end; o++, ia += sa, ib += sb) out[o] = Math.min(a[ia], b[ib]); return;
    case "eq": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] === b[ib]); return;
    case "ne": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] !== b[ib]); return;
    case "lt": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] < b[ib]); return;
    case "le": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] <= b[ib]); return;
    case "gt": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] > b[ib]); return;
    case "ge": for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia] >= b[ib]); return;
    case "and": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] && b[ib] ? 1 : 0; return;
    case "or": for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia] || b[ib] ? 1 : 0; return;
  }
}

export function unaryDtype(op: UnaryOp, x: DType): DType {
  if (op === "isfinite" || op === "not") return "bool";
  if (op === "neg" || op === "abs" || op === "sign" || op === "relu") return x === "bool" ? "int32" : x;
  if (op === "floor" || op === "ceil" || op === "round") return x;
  return x === "float64" ? "float64" : "float32";
}

/** The same memory as 32-bit integers: float32 values copied or chosen bit for bit, without branches (see reluBitsRow). */
function bits(a: Float32Array | Int32Array): Int32Array {
  return a instanceof Int32Array ? a : new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * ReLU of float32 values on their bits: a value with the sign bit set
 * (negative, -0) becomes +0, by masking with the sign spread over the word
 * (b >> 31 is all ones exactly then); NaN, whatever its sign, stays NaN. It
 * is relu's loop below without the data-dependent branch, which on
 * activations (half of them negative, at random) is mispredicted half the
 * time: 3-4x faster.
 */
function reluBitsRow(out: Int32Array, o: number, x: Int32Array, i: number, s: number, n: number): void {
  for (const end = o + n; o < end; o++, i += s) {
    const b = x[i];
    out[o] = (b & 0x7fffffff) > 0x7f800000 ? b : b & ~(b >> 31);
  }
}

function unaryRow(op: UnaryOp, out: TypedArray, o: number, x: TypedArray, i: number, s: number, n: number): void {
  const end = o + n;
  switch (op) {
    case "neg": for (; o < end; o++, i += s) out[o] = -x[i]; return;
    case "exp": for (; o < end; o++, i += s) out[o] = Math.exp(x[i]); return;
    case "log": for (; o < end; o++, i += s) out[o] = Math.log(x[i]); return;
    case "sqrt": for (; o < end; o++, i += s) out[o] = Math.sqrt(x[i]); return;
    case "abs": for (; o < end; o++, i += s) out[o] = Math.abs(x[i]); return;
    case "sign": for (; o < end; o++, i += s) out[o] = Math.sign(x[i]); return;
    case "relu": for (; o < end; o++, i += s) out[o] = x[i] > 0 || x[i] !== x[i] ? x[i] : 0; return; // NaN stays NaN
    case "sigmoid": for (; o < end; o++, i += s) out[o] = sigmoid(x[i]); return;
    case "tanh": for (; o < end; o++, i += s) out[o] = Math.tanh(x[i]); return;
    case "softplus": for (; o < end; o++, i += s) out[o] = softplus(x[i]); return;
    case "erf": for (; o < end; o++, i += s) out[o] = erf(x[i]); return;
    case "sin": for (; o < end; o++, i += s) out[o] = Math.sin(x[i]); return;
    case "cos": for (; o < end; o++, i += s) out[o] = Math.cos(x[i]); return;
    case "floor": for (; o < end; o++, i += s) out[o] = Math.floor(x[i]); return;
    case "ceil": for (; o < end; o++, i += s) out[o] = Math.ceil(x[i]); return;
    case "round": for (; o < end; o++, i += s) out[o] = roundHalfEven(x[i]); return;
    case "isfinite": for (; o < end; o++, i += s) out[o] = Number.isFinite(x[i]) ? 1 : 0; return;
    case "not": for (; o < end; o++, i += s) out[o] = x[i] ? 0 : 1; return;
  }
}

/** Written so that neither branch overflows: exp of a large positive number is never taken. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** log(1 + e^v) without overflow for large v or loss of precision for very negative v. */
export function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/**
 * The error function, to about 1e-15 relative: a series near 0 and a
 * continued fraction for erfc in the tails. JavaScript's Math has no erf,
 * and GELU needs an exact one to match PyTorch.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2) {
    // erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): every term is
    // positive, so nothing cancels (the alternating Taylor series loses digits toward x = 2.5)
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz)
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function clamp(x: JsArray, lo: number, hi: number): JsArray {
  const out = allocate(x.dtype === "bool" ? "int32" : x.dtype, x.size);
  const hasLo = !Number.isNaN(lo);
  const hasHi = !Number.isNaN(hi);
  forEachRow(x.shape, [contiguousStrides(x.shape), x.strides], [0, x.offset], (o, n, s) => {
    for (let j = 0, i = o[1]; j < n; j++, i += s[1]) {
      let v = x.buf[i];
      if (hasLo && v < lo) v = lo;
      if (hasHi && v > hi) v = hi;
      out[o[0] + j] = v;
    }
  });
  return new JsArray(out, x.shape);
}

export function leakyRelu(x: JsArray, slope: number): JsArray {
  const out = allocate(x.dtype === "float64" ? "float64" : "float32", x.size);
  forEachRow(x.shape, [contiguousStrides(x.shape), x.strides], [0, x.offset], (o, n, s) => {
    for (let j = 0, i = o[1]; j < n; j++, i += s[1]) {
      const v = x.buf[i];
      out[o[0] + j] = v > 0 ? v : slope * v;
    }
  });
  return new JsArray(out, x.shape);
}

/**
 * where's loop for a bool condition (0 or 1) and 32-bit values: -c is a
 * mask of all ones or all zeros, and (a & mask) | (b & ~mask) picks a's or
 * b's bits. A mask that is a coin toss (ReLU's backward pass) mispredicts a
 * branch half the time; this has none: about 3x faster.
 */
function whereBitsRow(
  out: Int32Array, o: number, c: Uint8Array, ic: number, sc: number,
  a: Int32Array, ia: number, sa: number, b: Int32Array, ib: number, sb: number, n: number,
): void {
  for (const end = o + n; o < end; o++, ic += sc, ia += sa, ib += sb) {
    const m = -c[ic];
    out[o] = (a[ia] & m) | (b[ib] & ~m);
  }
}
