import { DType, TypedArray, allocate, typedFrom } from "../../tensor/dtype";
import { Shape, contiguousStrides, numel } from "../../tensor/shape";
import { JsArray, contiguous, dataOf, forEachRow } from "./array";

export function reshape(x: JsArray, shape: Shape): JsArray {
  const c = x.isContiguous() ? x : contiguous(x);
  return new JsArray(c.buf, shape, contiguousStrides(shape), c.offset);
}

export function transpose(x: JsArray, perm: readonly number[]): JsArray {
  return new JsArray(x.buf, perm.map((p) => x.shape[p]), perm.map((p) => x.strides[p]), x.offset);
}

export function slice(x: JsArray, begin: readonly number[], end: readonly number[], step: readonly number[]): JsArray {
  let offset = x.offset;
  const shape: number[] = [];
  const strides: number[] = [];
  for (let d = 0; d < x.shape.length; d++) {
    offset += begin[d] * x.strides[d];
    shape.push(Math.max(0, Math.ceil((end[d] - begin[d]) / step[d])));
    strides.push(x.strides[d] * step[d]);
  }
  return new JsArray(x.buf, shape, strides, offset);
}

export function expand(x: JsArray, shape: Shape): JsArray {
  const lead = shape.length - x.shape.length;
  const strides = shape.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : x.strides[i - lead]));
  return new JsArray(x.buf, shape, strides, x.offset);
}

export function cast(x: JsArray, dtype: DType): JsArray {
  if (dtype === x.dtype) return x;
  const src = dataOf(x);
  if (dtype === "int32") {
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
    return new JsArray(out, x.shape);
  }
  return new JsArray(typedFrom(dtype, src), x.shape);
}

/** Copies `src` into the strided region of `dst` (in place); both views over their buffers. */
export function copyInto(dst: JsArray, src: JsArray): void {
  forEachRow(dst.shape, [dst.strides, src.strides], [dst.offset, src.offset], (o, n, s) => {
    for (let j = 0, i = o[0], k = o[1]; j < n; j++, i += s[0], k += s[1]) dst.buf[i] = src.buf[k];
  });
}

export function sliceAssign(x: JsArray, src: JsArray, begin: readonly number[], step: readonly number[]): JsArray {
  const out = new JsArray(copyOf(x), x.shape);
  const end = begin.map((b, d) => b + (src.shape[d] - 1) * step[d] + 1);
  copyInto(slice(out, begin, end, step), src);
  return out;
}

/** A fresh row-major buffer holding x's values, never shared with x. */
export function copyOf(x: JsArray): TypedArray {
  return x.isContiguous() ? dataOf(x).slice() : contiguous(x).buf;
}

export function cat(xs: readonly JsArray[], dim: number): JsArray {
  const shape = [...xs[0].shape];
  shape[dim] = xs.reduce((s, x) => s + x.shape[dim], 0);
  const dtype = xs[0].dtype;
  const out = new JsArray(allocate(dtype, numel(shape)), shape);
  let at = 0;
  for (const x of xs) {
    const begin = shape.map((_, d) => (d === dim ? at : 0));
    const end = shape.map((s, d) => (d === dim ? at + x.shape[dim] : s));
    copyInto(slice(out, begin, end, shape.map(() => 1)), x);
    at += x.shape[dim];
  }
  return out;
}

export function pad(x: JsArray, pads: readonly [number, number][], value: number): JsArray {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const buf = allocate(x.dtype, numel(shape));
  if (value !== 0) buf.fill(value);
  const out = new JsArray(buf, shape);
  const begin = pads.map((p) => p[0]);
  copyInto(slice(out, begin, begin.map((b, i) => b + x.shape[i]), begin.map(() => 1)), x);
  return out;
}
