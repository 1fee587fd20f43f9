import type { BackendArray } from "../backend";
import { DType, TypedArray, dtypeOfArray } from "../../tensor/dtype";
import { Shape, contiguousStrides, numel } from "../../tensor/shape";

/**
 * The js backend's array: a typed-array buffer seen through shape, strides
 * and an offset, as in NumPy. Reshape of contiguous data, transpose, slicing
 * and expand make new JsArrays over the same buffer: no data is copied.
 */
export class JsArray implements BackendArray {
  readonly dtype: DType;
  constructor(
    readonly buf: TypedArray,
    readonly shape: Shape,
    readonly strides: readonly number[] = contiguousStrides(shape),
    readonly offset = 0,
  ) {
    this.dtype = dtypeOfArray(buf);
  }

  get size(): number {
    return numel(this.shape);
  }

  /** True when the elements lie in row-major order, one after another, from `offset`. */
  isContiguous(): boolean {
    let s = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== s) return false;
      s *= this.shape[i];
    }
    return true;
  }
}

/**
 * Walks every "row" (run along the last dimension) of `shape` for several
 * arrays at once, each with its own strides and start offset, and calls
 * `row(offsets, n)` with the start offset of the row in each array. Adjacent
 * dimensions that are laid out back to back in every array are merged first,
 * so a contiguous array is one long row and costs one call.
 */
export function forEachRow(
  shape: Shape,
  strides: readonly (readonly number[])[],
  starts: readonly number[],
  row: (offsets: number[], n: number, innerStrides: number[]) => void,
): void {
  const [dims, st] = coalesce(shape, strides);
  const rank = dims.length;
  const k = strides.length;
  const offs = [...starts];
  if (dims.some((d) => d === 0)) return;
  if (rank === 0) {
    row(offs, 1, new Array<number>(k).fill(0));
    return;
  }
  const n = dims[rank - 1];
  const inner = st.map((s) => s[rank - 1]);
  const idx = new Array<number>(rank - 1).fill(0);
  const outer = numel(dims.slice(0, rank - 1));
  for (let r = 0; r < outer; r++) {
    row(offs, n, inner);
    // advance the odometer over the outer dims
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let a = 0; a < k; a++) offs[a] += st[a][d];
      if (idx[d] < dims[d]) break;
      for (let a = 0; a < k; a++) offs[a] -= st[a][d] * dims[d];
      idx[d] = 0;
    }
  }
}

/** shape and strides with size-1 dims dropped and dims that lie back to back in every array merged. */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): [number[], number[][]] {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue; // size-1 dims never move the offset
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, a) => st[a][last] === s[i] * shape[i])) {
      dims[last] *= shape[i];
      strides.forEach((s, a) => (st[a][last] = s[i]));
    } else {
      dims.push(shape[i]);
      strides.forEach((s, a) => st[a].push(s[i]));
    }
  }
  return [dims, st];
}

/** Strides that read `x` as if broadcast to `shape` (0 where x has size 1 or lacks the dim). */
export function broadcastStrides(x: JsArray, shape: Shape): number[] {
  const out = new Array<number>(shape.length).fill(0);
  const lead = shape.length - x.shape.length;
  for (let i = 0; i < x.shape.length; i++) out[lead + i] = x.shape[i] === 1 ? 0 : x.strides[i];
  return out;
}

/** A row-major copy of any view (or the array itself when it already is one, from offset 0). */
export function contiguous(x: JsArray): JsArray {
  if (x.isContiguous() && x.offset === 0 && x.buf.length === x.size) return x;
  const out = new (x.buf.constructor as { new (n: number): TypedArray })(x.size);
  let o = 0;
  const src = x.buf;
  forEachRow(x.shape, [x.strides], [x.offset], (offs, n, inner) => {
    const s = inner[0];
    let i = offs[0];
    for (let j = 0; j < n; j++, i += s) out[o++] = src[i];
  });
  return new JsArray(out, x.shape);
}

/** The buffer of a contiguous view, starting at element 0 of the view (may be a subarray). */
export function dataOf(x: JsArray): TypedArray {
  if (!x.isContiguous()) return contiguous(x).buf;
  return x.offset === 0 && x.buf.length === x.size ? x.buf : x.buf.subarray(x.offset, x.offset + x.size);
}
