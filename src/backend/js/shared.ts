import { DType, TypedArray, allocate } from "../../tensor/dtype";

/*
 * Arrays that worker threads can see. While the js backend runs on several
 * threads (parallel.ts switches this on), kernels put their big results in
 * SharedArrayBuffers of their own instead of plain ArrayBuffers: a worker
 * reads and writes such an array where it lies, so a parallel kernel whose
 * inputs are results of earlier kernels copies nothing in or out. They are
 * still plain typed arrays to everything else. With one thread, nothing
 * changes: every array is a plain one.
 */
export const sharing = {
  on: false,
  /** Elements below which an array stays plain (small ones are copied into the arena cheaply). */
  min: 1 << 16,
};

export const ARRAY_OF: Record<DType, new (b: SharedArrayBuffer, off: number, n: number) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};
export const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** A new zeroed array of n elements in a SharedArrayBuffer of its own. */
export function sharedArray(dtype: DType, n: number): TypedArray {
  return new ARRAY_OF[dtype](new SharedArrayBuffer(n * BYTES[dtype]), 0, n);
}

export function isShared(b: TypedArray): boolean {
  return b.buffer instanceof SharedArrayBuffer;
}

/** A kernel's result array: shared when sharing is on and it is big, else plain. */
export function allocateOut(dtype: DType, n: number): TypedArray {
  return sharing.on && n >= sharing.min ? sharedArray(dtype, n) : allocate(dtype, n);
}
