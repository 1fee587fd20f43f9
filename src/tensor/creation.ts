import { fail } from "../errors";
import { DType, TypedArray, allocate, isFloat, typedFrom } from "./dtype";
import { defaultGenerator } from "./random";
import { Shape, checkShape, numel } from "./shape";
import { NestedArray, RandomOptions, Tensor, TensorOptions } from "./tensor";

/**
 * Makes a tensor from nested arrays (or a typed array, taken as 1-D).
 * Numbers become float32 unless `dtype` says otherwise: a student writing
 * tensor([1, 2, 3]) means real numbers far more often than integers.
 */
export function tensor(data: NestedArray | TypedArray, opts: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    return Tensor.fromTyped(opts.dtype ? typedFrom(opts.dtype, typed) : typed.slice(), [typed.length], opts);
  }
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: number[] = [];
  let sawBool = false;
  let sawNumber = false;
  const walk = (x: NestedArray, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) fail("tensor", `ragged nested array: element at [${path.join(",")}] is a list, expected a number`);
      if (typeof x === "boolean") sawBool = true;
      else if (typeof x !== "number") fail("tensor", `element at [${path.join(",")}] is ${typeof x}, expected a number`);
      else sawNumber = true;
      flat.push(Number(x));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      fail("tensor", `ragged nested array: element at [${path.join(",")}] has ${Array.isArray(x) ? "length " + x.length : "no length"}, expected ${shape[dim]}`);
    }
    x.forEach((y, i) => walk(y, dim + 1, [...path, i]));
  };
  walk(data, 0, []);
  // bool only when every element is one: [true, 2] is numbers, as in PyTorch
  const dtype = opts.dtype ?? (sawBool && !sawNumber ? "bool" : "float32");
  return Tensor.fromTyped(typedFrom(dtype, flat), shape, { ...opts, dtype });
}

export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return Tensor.full(checkShape("zeros", shape), 0, opts);
}
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return Tensor.full(checkShape("ones", shape), 1, opts);
}
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  // a bool holds 0 or 1: a 2 stored as is would compare unequal to true
  const v = opts.dtype === "bool" ? Number(value !== 0) : value;
  return Tensor.full(checkShape("full", shape), v, opts);
}

/** The n x m identity (ones on the diagonal). */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  const v = allocate(opts.dtype ?? "float32", n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return Tensor.fromTyped(v, checkShape("eye", [n, m]), opts);
}

/** start, start+step, ... up to but excluding end; arange(5) is 0..4. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) fail("arange", "step must not be 0");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = [start, end, step].every(Number.isInteger);
  const dtype: DType = opts.dtype ?? (ints ? "int32" : "float32");
  const v = allocate(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return Tensor.fromTyped(v, [n], { ...opts, dtype });
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) fail("linspace", `steps must be a non-negative integer, got ${steps}`);
  const v = allocate(opts.dtype ?? "float32", steps);
  const step = (end - start) / Math.max(1, steps - 1);
  // the second half counts back from end, so both ends come out exact (as in PyTorch)
  for (let i = 0; i < steps; i++) v[i] = i < steps / 2 ? start + step * i : end - step * (steps - 1 - i);
  return Tensor.fromTyped(v, [steps], opts);
}

function checkFloat(op: string, dtype: DType | undefined): void {
  if (dtype && !isFloat(dtype)) fail(op, `makes real numbers: dtype must be float32 or float64, got ${dtype} (use randint for integers)`);
}

export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkFloat("rand", opts.dtype);
  return Tensor.rand(checkShape("rand", shape), opts);
}
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  checkFloat("randn", opts.dtype);
  return Tensor.randn(checkShape("randn", shape), opts);
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: Shape, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high)) fail("randint", `low and high must be integers, got ${low} and ${high}`);
  if (!(high > low)) fail("randint", `high ${high} must be greater than low ${low}`);
  const gen = opts.generator ?? defaultGenerator;
  const v = allocate(opts.dtype ?? "int32", numel(checkShape("randint", shape)));
  for (let i = 0; i < v.length; i++) v[i] = gen.int(low, high);
  return Tensor.fromTyped(v, shape, { ...opts, dtype: opts.dtype ?? "int32" });
}

const like = (x: Tensor, opts: TensorOptions): TensorOptions => ({ dtype: x.dtype, backend: x.backend.name, ...opts });
export const zerosLike = (x: Tensor, opts: TensorOptions = {}): Tensor => zeros(x.shape, like(x, opts));
export const onesLike = (x: Tensor, opts: TensorOptions = {}): Tensor => ones(x.shape, like(x, opts));
export const fullLike = (x: Tensor, value: number, opts: TensorOptions = {}): Tensor => full(x.shape, value, like(x, opts));
export const randLike = (x: Tensor, opts: RandomOptions = {}): Tensor => rand(x.shape, like(x, opts));
export const randnLike = (x: Tensor, opts: RandomOptions = {}): Tensor => randn(x.shape, like(x, opts));
