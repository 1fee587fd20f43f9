import type { Tensor, Rank } from "@tensorflow/tfjs-core";
import { numel } from "../../tensor/shape";
import type { TF } from "./engine";

/*
 * Moving data around with TensorFlow.js, in ways that stay on its fast paths.
 * Measured on the wasm engine (see PERF_NOTES.md): Transpose and Slice are
 * native only up to rank 4 (a 5-D one runs 10-50x slower, in JavaScript);
 * StridedSlice, Tile (so broadcastTo) and stacking along the last axis are
 * always slow; reductions over a leading axis of a 5-D tensor are slow
 * because they transpose first. So every helper here collapses dims until
 * the rank is at most 4, broadcasts with a multiply, and takes strided
 * slices with reshapes and plain slices.
 *
 * All functions run inside the caller's tf.tidy.
 */

/** x viewed as [before, n, after] around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [numel(shape.slice(0, axis)), shape[axis], numel(shape.slice(axis + 1))];
}

/** Transpose, after merging dims that stay neighbours (and dropping size-1 dims), so the kernel sees the lowest rank. */
export function transpose(tf: TF, x: Tensor, perm: readonly number[]): Tensor {
  const outShape = perm.map((p) => x.shape[p]);
  const kept = x.shape.map((_, i) => i).filter((i) => x.shape[i] !== 1);
  const pos = new Map(kept.map((d, k) => [d, k]));
  const order = perm.filter((p) => x.shape[p] !== 1).map((p) => pos.get(p)!);
  // groups of input positions that appear consecutively, and in order, in the output
  const groups: number[][] = [];
  for (const k of order) {
    const g = groups[groups.length - 1];
    if (g && g[g.length - 1] + 1 === k) g.push(k);
    else groups.push([k]);
  }
  if (groups.length <= 1) return tf.reshape(x, outShape);
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const inShape = byInput.map((g) => numel(g.map((k) => x.shape[kept[k]])));
  const p = groups.map((g) => byInput.indexOf(g));
  return tf.reshape(tf.transpose(tf.reshape(x, inShape), p), outShape);
}

/** A contiguous box of x; a dim taken whole is merged into the dim before it. */
export function slice(tf: TF, x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (numel(size) === 0) return tf.zeros(size as number[], x.dtype);
  const dims: { n: number; b: number; s: number }[] = [];
  for (let i = x.shape.length - 1; i >= 0; i--) {
    const cur = { n: x.shape[i], b: begin[i], s: size[i] };
    const next = dims[0];
    if (next && next.b === 0 && next.s === next.n) dims[0] = { n: cur.n * next.n, b: cur.b * next.n, s: cur.s * next.n };
    else dims.unshift(cur);
  }
  if (dims.every((d) => d.b === 0 && d.s === d.n)) return tf.clone(x);
  const r = tf.reshape(x, dims.map((d) => d.n));
  if (tf.getBackend() === "wasm" && x.size >= 8 * numel(size)) {
    // wasm's Slice copies its whole input out of wasm memory, however small the box (tfjs 4.22): an RNN
    // taking T steps out of a [T, ...] tensor would pay T^2. Gather copies only what it keeps, but
    // element by element where the cut is in the last dim, so it is used only for small boxes.
    let g = r;
    dims.forEach((d, i) => {
      if (d.b !== 0 || d.s !== d.n) g = tf.gather(g, tf.range(d.b, d.b + d.s, 1, "int32"), i);
    });
    return tf.reshape(g, size as number[]);
  }
  return tf.reshape(tf.slice(r, dims.map((d) => d.b), dims.map((d) => d.s)), size as number[]);
}

/** x[b0:e0:s0, b1:e1:s1, ...] with positive steps, without StridedSlice. */
export function stridedSlice(tf: TF, x: Tensor, begin: readonly number[], end: readonly number[], step: readonly number[]): Tensor {
  const count = begin.map((b, d) => Math.max(0, Math.ceil((end[d] - b) / step[d])));
  if (numel(count) === 0) return tf.zeros(count, x.dtype);
  // the contiguous range that covers each dim's picks, then every step-th element of it
  let r = slice(tf, x, begin, count.map((n, d) => (n - 1) * step[d] + 1));
  step.forEach((s, d) => {
    if (s > 1 && count[d] > 1) r = subsample(tf, r, d, s);
  });
  return r;
}

/** Every s-th element along axis, starting with the first. */
export function subsample(tf: TF, x: Tensor, axis: number, s: number): Tensor {
  const [a, n, b] = around(x.shape, axis);
  const m = Math.ceil(n / s);
  let r = tf.reshape(x, [a, n, b]);
  if (m * s > n) r = tf.pad(r, [[0, 0], [0, m * s - n], [0, 0]]);
  r = tf.slice(tf.reshape(r, [a, m, s, b]), [0, 0, 0, 0], [a, m, 1, b]);
  const shape = [...x.shape];
  shape[axis] = m;
  return tf.reshape(r, shape);
}

/** Inserts s-1 zeros between neighbours along axis (the adjoint of subsample). */
export function dilate(tf: TF, x: Tensor, axis: number, s: number): Tensor {
  if (s === 1 || x.shape[axis] <= 1) return x;
  const [a, n, b] = around(x.shape, axis);
  let r = tf.pad(tf.reshape(x, [a, n, 1, b]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
  r = tf.slice(tf.reshape(r, [a, n * s, b]), [0, 0, 0], [a, (n - 1) * s + 1, b]);
  const shape = [...x.shape];
  shape[axis] = (n - 1) * s + 1;
  return tf.reshape(r, shape);
}

/** Pads (positive) or crops (negative) each dim at both ends. */
export function padOrCrop(tf: TF, x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  let r = x;
  if (pads.some(([a, b]) => a < 0 || b < 0)) {
    const begin = pads.map(([a]) => Math.max(0, -a));
    const size = pads.map(([a, b], d) => x.shape[d] - Math.max(0, -a) - Math.max(0, -b));
    r = slice(tf, r, begin, size);
  }
  if (pads.some(([a, b]) => a > 0 || b > 0)) r = tf.pad(r, pads.map(([a, b]) => [Math.max(0, a), Math.max(0, b)] as [number, number]), value);
  return r;
}

/**
 * Broadcasts x to `shape` by multiplying with ones (exact, NaN and -0
 * included), because tfjs' broadcastTo goes through the slow Tile kernel.
 */
export function broadcast(tf: TF, x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  if (numel(shape) === 0) return tf.zeros(shape as number[], x.dtype);
  if (x.dtype === "bool") return tf.logicalAnd(x, tf.ones(shape as number[], "bool"));
  return tf.mul(x, tf.ones(shape as number[], x.dtype));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Moves `axes` to the end and flattens to [kept, reduced]: every reduction then runs along the last axis. */
export function toRows(tf: TF, x: Tensor, axes: readonly number[]): { rows: Tensor; kept: number[]; k: number; r: number } {
  const keptDims = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const kept = keptDims.map((i) => x.shape[i]);
  const k = numel(kept), r = numel(axes.map((a) => x.shape[a]));
  const moved = transpose(tf, x, [...keptDims, ...axes]);
  return { rows: tf.reshape(moved, [k, r]) as Tensor<Rank.R2>, kept, k, r };
}
