import type { ReduceOp } from "../backend";
import { allocate } from "../../tensor/dtype";
import { contiguousStrides, numel } from "../../tensor/shape";
import { JsArray, dataOf, forEachRow } from "./array";

/**
 * Reductions move the reduced axes to the end (a free transpose of the
 * strides), make that contiguous, and then reduce one block of consecutive
 * elements per output. One copy, then the simplest loop there is.
 */
function moveAxesLast(x: JsArray, axes: readonly number[]): { data: ArrayLike<number>; keptShape: number[]; block: number } {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const view = new JsArray(x.buf, perm.map((p) => x.shape[p]), perm.map((p) => x.strides[p]), x.offset);
  return { data: dataOf(view), keptShape: kept.map((k) => x.shape[k]), block: numel(axes.map((a) => x.shape[a])) };
}

function outShape(x: JsArray, axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
}

export function reduce(op: ReduceOp, x: JsArray, axes: readonly number[], keepDims: boolean): JsArray {
  const increasing = axes.every((a, i) => i === 0 || axes[i - 1] < a);
  if (op === "sum" && x.dtype !== "bool" && increasing && !axesLastIsContiguous(x, axes)) return sumInPlace(x, axes, keepDims);
  const { data, keptShape, block } = moveAxesLast(x, axes);
  const n = numel(keptShape);
  const dtype = op === "sum" || op === "prod" ? (x.dtype === "bool" ? "int32" : x.dtype) : x.dtype;
  const out = allocate(dtype, n);
  for (let r = 0; r < n; r++) {
    const start = r * block;
    const end = start + block;
    let acc: number;
    switch (op) {
      case "sum":
        acc = 0;
        for (let i = start; i < end; i++) acc += data[i];
        break;
      case "prod":
        acc = 1;
        for (let i = start; i < end; i++) acc *= data[i];
        break;
      case "max":
        acc = -Infinity;
        for (let i = start; i < end; i++) {
          const v = data[i];
          if (v > acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
      case "min":
        acc = Infinity;
        for (let i = start; i < end; i++) {
          const v = data[i];
          if (v < acc || Number.isNaN(v)) acc = v;
          if (Number.isNaN(acc)) break;
        }
        break;
    }
    out[r] = acc;
  }
  return new JsArray(out, outShape(x, axes, keepDims));
}

function axesLastIsContiguous(x: JsArray, axes: readonly number[]): boolean {
  const perm = [...x.shape.map((_, i) => i).filter((i) => !axes.includes(i)), ...axes];
  return new JsArray(x.buf, perm.map((p) => x.shape[p]), perm.map((p) => x.strides[p]), x.offset).isContiguous();
}

/**
 * A sum over axes that are not the last ones (a conv bias's gradient sums
 * over N, H and W of [N, C, H, W]) without moving them last first, which
 * copies all of x: x is walked as it lies, each element added to its
 * output's running sum (kept in float64, as the loop above keeps acc). Each
 * output still adds its elements in the order the loop above does (the
 * reduced axes in increasing order), so the sums are the same bit for bit.
 */
function sumInPlace(x: JsArray, axes: readonly number[], keepDims: boolean): JsArray {
  const kept = x.shape.filter((_, i) => !axes.includes(i));
  const keptStrides = contiguousStrides(kept);
  let k = 0;
  const outStrides = x.shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[k++]));
  const acc = new Float64Array(numel(kept));
  const xb = x.buf;
  forEachRow(x.shape, [x.strides, outStrides], [x.offset, 0], (o, n, s) => {
    const xs = s[0];
    if (s[1] === 0) {
      let a = acc[o[1]];
      for (let j = 0, i = o[0]; j < n; j++, i += xs) a += xb[i];
      acc[o[1]] = a;
    } else {
      for (let j = 0, i = o[0], r = o[1]; j < n; j++, i += xs, r += s[1]) acc[r] += xb[i];
    }
  });
  const out = allocate(x.dtype, acc.length);
  out.set(acc);
  return new JsArray(out, outShape(x, axes, keepDims));
}

export function argReduce(op: "argmax" | "argmin", x: JsArray, axis: number, keepDims: boolean): JsArray {
  const { data, keptShape, block } = moveAxesLast(x, [axis]);
  const n = numel(keptShape);
  const out = new Int32Array(n);
  const sign = op === "argmax" ? 1 : -1;
  for (let r = 0; r < n; r++) {
    const start = r * block;
    let best = 0;
    let bestV = sign * data[start];
    for (let i = 1; i < block; i++) {
      const v = sign * data[start + i];
      if (v > bestV || (Number.isNaN(v) && !Number.isNaN(bestV))) {
        best = i;
        bestV = v;
      }
    }
    out[r] = best;
  }
  return new JsArray(out, outShape(x, [axis], keepDims));
}
