import { allocate } from "../../tensor/dtype";
import { contiguousStrides, numel } from "../../tensor/shape";
import type { TypedArray } from "../../tensor/dtype";
import { JsArray, dataOf } from "./array";
import { allocateOut } from "./shared";
import { copyOf } from "./layout";

/** Splits a shape around `dim` into (outer, size, inner) element counts. */
export function around(shape: readonly number[], dim: number): [number, number, number] {
  return [numel(shape.slice(0, dim)), shape[dim], numel(shape.slice(dim + 1))];
}

/**
 * PyTorch's gather. Walks every position of `index`; that position with its
 * `dim` coordinate replaced by the index value is where the value comes from.
 * Indices are checked by the op before they get here.
 */
export function gather(x: JsArray, dim: number, index: JsArray): JsArray {
  const idx = dataOf(index);
  const out = allocate(x.dtype, idx.length);
  const ist = contiguousStrides(index.shape);
  for (let p = 0; p < idx.length; p++) {
    let src = x.offset;
    let rem = p;
    for (let d = 0; d < index.shape.length; d++) {
      const c = Math.floor(rem / ist[d]);
      rem -= c * ist[d];
      src += (d === dim ? idx[p] : c) * x.strides[d];
    }
    out[p] = x.buf[src];
  }
  return new JsArray(out, index.shape);
}

/** scatterAdd where index is as big as x except along dim (max pooling's backward pass): see scatterAddSlabs. */
export function scatterAddAligned(x: JsArray, dim: number, index: JsArray): boolean {
  return index.shape.every((n, d) => d === dim || n === x.shape[d]);
}

/**
 * Slabs o0..o1-1 (the `outer` positions before dim) of an aligned
 * scatterAdd, x, index and src contiguous: out = x there, then position p
 * of index, (o, k, i) around dim, adds src[p] to (o, idx[p], i). A slab
 * only ever writes itself, so parallel.ts can give each thread its own.
 */
export function scatterAddSlabs(
  x: TypedArray, idx: TypedArray, s: TypedArray, out: TypedArray,
  outer: number, size: number, m: number, inner: number, o0: number, o1: number,
): void {
  out.set(x.subarray(o0 * size * inner, o1 * size * inner), o0 * size * inner);
  for (let o = o0, p = o0 * m * inner; o < o1; o++) {
    for (let k = 0; k < m; k++) {
      for (let i = 0, base = o * size * inner; i < inner; i++, p++) out[base + idx[p] * inner + i] += s[p];
    }
  }
}

/** The contiguous data of scatterAdd's inputs, src read in index's shape. */
export function scatterAddData(x: JsArray, index: JsArray, src: JsArray): [TypedArray, TypedArray, TypedArray] {
  const sd = new JsArray(src.buf, index.shape, src.strides.slice(-index.shape.length), src.offset);
  return [dataOf(x), dataOf(index), dataOf(sd)];
}

export function scatterAdd(x: JsArray, dim: number, index: JsArray, src: JsArray): JsArray {
  if (scatterAddAligned(x, dim, index)) {
    const [xd, idx, s] = scatterAddData(x, index, src);
    const [outer, size, inner] = around(x.shape, dim);
    const out = allocateOut(x.dtype, x.size);
    scatterAddSlabs(xd, idx, s, out, outer, size, index.shape[dim], inner, 0, outer);
    return new JsArray(out, x.shape);
  }
  const out = copyOf(x);
  const xst = contiguousStrides(x.shape);
  const idx = dataOf(index);
  const sd = new JsArray(src.buf, index.shape, src.strides.slice(-index.shape.length), src.offset);
  const s = dataOf(sd);
  const ist = contiguousStrides(index.shape);
  for (let p = 0; p < idx.length; p++) {
    let dst = 0;
    let rem = p;
    for (let d = 0; d < index.shape.length; d++) {
      const c = Math.floor(rem / ist[d]);
      rem -= c * ist[d];
      dst += (d === dim ? idx[p] : c) * xst[d];
    }
    out[dst] += s[p];
  }
  return new JsArray(out, x.shape);
}

export function indexSelect(x: JsArray, dim: number, index: JsArray): JsArray {
  const xd = dataOf(x);
  const idx = dataOf(index);
  const [outer, size, inner] = around(x.shape, dim);
  const out = allocate(x.dtype, outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < idx.length; k++) {
      const from = (o * size + idx[k]) * inner;
      out.set(xd.subarray(from, from + inner), (o * idx.length + k) * inner);
    }
  }
  const shape = [...x.shape];
  shape[dim] = idx.length;
  return new JsArray(out, shape);
}

export function indexAdd(x: JsArray, dim: number, index: JsArray, src: JsArray): JsArray {
  const out = copyOf(x);
  const sd = dataOf(src);
  const idx = dataOf(index);
  const [outer, size, inner] = around(x.shape, dim);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < idx.length; k++) {
      const to = (o * size + idx[k]) * inner;
      const from = (o * idx.length + k) * inner;
      for (let i = 0; i < inner; i++) out[to + i] += sd[from + i];
    }
  }
  return new JsArray(out, x.shape);
}
