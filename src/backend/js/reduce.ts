import type { ReduceOp } from "../backend";
import { allocate } from "../../tensor/dtype";
import { numel } from "../../tensor/shape";
import { JsArray, dataOf } from "./array";

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
