import type { DataType as TfDType, Tensor } from "@tensorflow/tfjs-core";
import type { BinaryOp, ReduceOp, UnaryOp } from "../backend";
import { binaryDtype, unaryDtype } from "../js/elementwise";
import { fail } from "../../errors";
import { DType, promote } from "../../tensor/dtype";
import { broadcastShapes, contiguousStrides, numel } from "../../tensor/shape";
import type { TF } from "./engine";
import * as L from "./layout";

/*
 * The elementwise, reduction, matrix and indexing kernels, in TensorFlow.js.
 * Semantics (dtypes, NaN, ties) are those of the js reference backend;
 * where a tfjs engine differs, the difference is repaired here, and the
 * comment says which engine needs it.
 */

/** gradlab's float64 has no TensorFlow.js counterpart. */
export function rejectFloat64(op: string, dtype: DType): void {
  if (dtype === "float64") {
    fail(op, "float64 is not available on the tfjs backend (TensorFlow.js computes in float32); use float32, or run float64 work such as gradient checks on the js backend (.to(\"js\"))");
  }
}

/** The truth value of each element as JavaScript sees it: nonzero and not NaN. */
export function truthy(tf: TF, x: Tensor): Tensor {
  if (x.dtype === "bool") return x;
  const nonzero = tf.notEqual(x, tf.scalar(0, x.dtype));
  return x.dtype === "int32" ? nonzero : tf.logicalAnd(nonzero, tf.equal(x, x));
}

/**
 * Casts with the js backend's rules: to bool is truthiness (the wasm Cast
 * kernel instead keeps the low byte: 2.5 becomes 2, 254 stays 254), to
 * int32 truncates toward zero.
 */
export function cast(tf: TF, x: Tensor, dtype: DType): Tensor {
  rejectFloat64("cast", dtype);
  if (x.dtype === dtype) return x;
  if (dtype === "bool") return truthy(tf, x);
  return tf.cast(x, dtype as TfDType);
}

// --- elementwise ---------------------------------------------------------------

const isNan = (tf: TF, x: Tensor) => (x.dtype === "float32" ? tf.isNaN(x) : null);

export function unary(tf: TF, op: UnaryOp, x: Tensor): Tensor {
  const outDt = unaryDtype(op, x.dtype as DType);
  switch (op) {
    case "isfinite":
      return x.dtype === "float32" ? tf.isFinite(x) : tf.ones(x.shape, "bool");
    case "not":
      return tf.logicalNot(truthy(tf, x));
    case "floor": case "ceil": case "round":
      return x.dtype === "float32" ? tf[op](x) : tf.clone(x);
  }
  const v = cast(tf, x, outDt);
  switch (op) {
    case "neg": return tf.neg(v);
    case "abs": return tf.abs(v);
    case "relu": return tf.relu(v);
    case "sign": return v.dtype === "float32" ? signF32(tf, v) : tf.sign(v);
    case "exp": return tf.exp(v);
    case "log": return tf.log(v);
    case "sqrt": return tf.sqrt(v);
    case "sigmoid": return tf.sigmoid(v);
    case "tanh": return tf.tanh(v);
    case "softplus": return tf.softplus(v);
    case "erf": return tf.erf(v);
    case "sin": return tf.sin(v);
    case "cos": return tf.cos(v);
  }
  return fail("tfjs", `unknown unary op ${String(op)}`);
}

/**
 * Math.sign, written out: the wasm engine's Sign returns 0 for |x| below
 * about 1e-7, and every engine returns 0 for NaN.
 */
function signF32(tf: TF, x: Tensor): Tensor {
  const s = tf.sub(tf.cast(tf.greater(x, 0), "float32"), tf.cast(tf.less(x, 0), "float32"));
  return tf.where(tf.isNaN(x), x, s);
}

/** JavaScript's Math.pow gives NaN for (+-1) ** (NaN or +-Infinity), where C's pow (every engine) gives 1. */
function powJs(tf: TF, x: Tensor, y: Tensor): Tensor {
  const r = tf.pow(x, y);
  const odd = tf.logicalAnd(tf.equal(tf.abs(x), 1), tf.logicalNot(tf.isFinite(y)));
  return tf.where(L.broadcast(tf, odd, r.shape), tf.fill(r.shape, NaN), r);
}

export function binary(tf: TF, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const outDt = binaryDtype(op, a.dtype as DType, b.dtype as DType);
  if (op === "and") return tf.logicalAnd(truthy(tf, a), truthy(tf, b));
  if (op === "or") return tf.logicalOr(truthy(tf, a), truthy(tf, b));
  // comparisons compare in the promoted dtype; bools compare as 0/1
  const both = promote(a.dtype as DType, b.dtype as DType);
  const work = outDt !== "bool" ? outDt : both === "bool" ? "int32" : both;
  const x = cast(tf, a, work), y = cast(tf, b, work);
  switch (op) {
    case "add": return tf.add(x, y);
    case "sub": return tf.sub(x, y);
    case "mul": return tf.mul(x, y);
    case "div": return tf.div(x, y);
    case "pow": return powJs(tf, x, y);
    case "maximum": return propagateNaN(tf, tf.maximum(x, y), x, y);
    case "minimum": return propagateNaN(tf, tf.minimum(x, y), x, y);
    case "eq": return tf.equal(x, y);
    case "ne": return tf.notEqual(x, y);
    case "lt": return tf.less(x, y);
    case "le": return tf.lessEqual(x, y);
    case "gt": return tf.greater(x, y);
    case "ge": return tf.greaterEqual(x, y);
  }
  return fail("tfjs", `unknown binary op ${String(op)}`);
}

/** Math.max(NaN, 1) is NaN; the wasm engine's Maximum and Minimum return the other operand. */
function propagateNaN(tf: TF, r: Tensor, a: Tensor, b: Tensor): Tensor {
  if (r.dtype !== "float32") return r;
  const shape = r.shape;
  const nan = tf.logicalOr(tf.isNaN(a), tf.isNaN(b));
  return tf.where(L.broadcast(tf, nan, shape), tf.fill(shape, NaN), r);
}

export function clamp(tf: TF, x: Tensor, lo: number, hi: number): Tensor {
  const dt = x.dtype === "bool" ? "int32" : x.dtype;
  const v = cast(tf, x, dt as DType);
  const f = cast(tf, x, "float32");
  let r = v;
  // comparisons against the real bound, written with where so NaN stays NaN
  if (!Number.isNaN(lo)) r = tf.where(tf.less(f, tf.scalar(lo)), tf.fill(x.shape, lo, dt), r);
  if (!Number.isNaN(hi)) r = tf.where(tf.greater(f, tf.scalar(hi)), tf.fill(x.shape, hi, dt), r);
  return r === v ? tf.clone(v) : r;
}

export function leakyRelu(tf: TF, x: Tensor, slope: number): Tensor {
  return tf.leakyRelu(cast(tf, x, "float32"), slope);
}

/** where(c, a, b) with broadcasting; every operand is broadcast first (tfjs' own would Tile). */
export function where(tf: TF, c: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes("where", c.shape, a.shape, b.shape);
  const dt = promote(a.dtype as DType, b.dtype as DType);
  // the wasm Select kernel mixes up bool operands: choose between 0/1 ints instead
  const work = dt === "bool" ? "int32" : dt;
  const cond = L.broadcast(tf, truthy(tf, c), shape);
  const r = tf.where(cond, L.broadcast(tf, cast(tf, a, work), shape), L.broadcast(tf, cast(tf, b, work), shape));
  return cast(tf, r, dt);
}

// --- reductions ----------------------------------------------------------------

export function reduce(tf: TF, op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const accDt: DType = (op === "sum" || op === "prod") && x.dtype === "bool" ? "int32" : (x.dtype as DType);
  // a 0-d tensor reduces over its dim 0 (as in PyTorch): seen as [1]
  const { rows, k, r } = L.toRows(tf, x.rank === 0 ? tf.reshape(x, [1]) : x, axes);
  let out: Tensor;
  if (k === 0) out = tf.zeros([0], accDt as TfDType);
  // an empty sum is 0 and an empty product 1 (the wasm engine returns garbage for both)
  else if (r === 0) out = tf.fill([k], op === "prod" ? 1 : op === "sum" ? 0 : NaN, accDt as TfDType);
  else {
    const v = x.dtype === "bool" ? tf.cast(rows, "int32") : rows;
    out = tf[op](v, 1);
    if (op === "max" || op === "min") out = cast(tf, out, accDt);
  }
  return tf.reshape(out, outShape);
}

/** Index of the first max (min) along axis; a NaN counts as the extreme, as in the js backend. */
export function argReduce(tf: TF, op: "argmax" | "argmin", x: Tensor, axis: number, keepDims: boolean): Tensor {
  const outShape = keepDims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  const { rows } = L.toRows(tf, x.rank === 0 ? tf.reshape(x, [1]) : x, [axis]);
  const v = x.dtype === "bool" ? tf.cast(rows, "int32") : rows;
  let idx = op === "argmax" ? tf.argMax(v, 1) : tf.argMin(v, 1);
  const nan = isNan(tf, v);
  if (nan) idx = tf.where(tf.any(nan, 1), tf.argMax(tf.cast(nan, "int32"), 1), idx);
  return tf.reshape(idx, outShape);
}

// --- linear algebra --------------------------------------------------------------

/** Plain matMul only: with transposeA/B the wasm engine runs 10-20x slower than transposing first. */
export function matmul(tf: TF, a: Tensor, b: Tensor): Tensor {
  const r = a.shape.length;
  const K = a.shape[r - 1];
  const x = cast(tf, a, "float32"), y = cast(tf, b, "float32");
  // an empty inner dimension sums nothing (the wasm engine returns garbage)
  if (K === 0) return tf.zeros([...a.shape.slice(0, r - 1), b.shape[r - 1]]);
  return tf.matMul(x, y);
}

// --- indexing ----------------------------------------------------------------------

/**
 * The flat position in a tensor of shape `into` of every element of
 * `index` once its `dim` coordinate is replaced by the index value:
 * sum over d of coord_d * stride_d, built from ranges. The arithmetic runs
 * in float32, exact for positions below 2^24: the wasm engine does int32
 * arithmetic with broadcasting 5-30x slower than float32.
 */
function flatPositions(tf: TF, index: Tensor, dim: number, into: readonly number[]): Tensor {
  const strides = contiguousStrides(into);
  const rank = index.shape.length;
  const dt = numel(into) <= 2 ** 24 ? "float32" : "int32";
  let pos: Tensor = tf.mul(tf.cast(index, dt), tf.scalar(strides[dim], dt));
  for (let d = 0; d < rank; d++) {
    if (d === dim || index.shape[d] === 1) continue;
    const shape = index.shape.map((n, i) => (i === d ? n : 1));
    pos = tf.add(pos, tf.reshape(tf.range(0, index.shape[d] * strides[d], strides[d], dt), shape));
  }
  return tf.cast(L.broadcast(tf, pos, index.shape), "int32");
}

export function gather(tf: TF, x: Tensor, dim: number, index: Tensor): Tensor {
  if (index.size === 0) return tf.zeros(index.shape, x.dtype);
  return tf.gather(tf.reshape(x, [-1]), flatPositions(tf, index, dim, x.shape));
}

/** Duplicate positions add up: tfjs' scatterND accumulates. */
export function scatterAdd(tf: TF, x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  if (index.size === 0) return tf.clone(x);
  const pos = tf.reshape(flatPositions(tf, index, dim, x.shape), [-1, 1]);
  const s = tf.reshape(cast(tf, src, x.dtype as DType), [-1]);
  return tf.add(x, tf.reshape(tf.scatterND(pos, s, [x.size]), x.shape));
}

export function indexSelect(tf: TF, x: Tensor, dim: number, index: Tensor): Tensor {
  return tf.gather(x, index, dim);
}

export function indexAdd(tf: TF, x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  if (index.size === 0) return tf.clone(x);
  // with dim first, each index names one row of a [size, rest] matrix
  const perm = [dim, ...x.shape.map((_, i) => i).filter((i) => i !== dim)];
  const inv = perm.map((_, i) => perm.indexOf(i));
  const rest = numel(x.shape) / x.shape[dim];
  const rows = tf.reshape(L.transpose(tf, cast(tf, src, x.dtype as DType), perm), [index.size, rest]);
  const added = tf.scatterND(tf.reshape(index, [-1, 1]), rows, [x.shape[dim], rest]);
  const back = L.transpose(tf, tf.reshape(added, perm.map((p) => x.shape[p])), inv);
  return tf.add(x, back);
}
