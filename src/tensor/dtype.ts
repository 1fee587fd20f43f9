/**
 * gradlab's dtypes. float32 is the default (what the fast path runs);
 * float64 exists so gradient checks can use finite differences without
 * drowning in rounding error; int32 holds indices and labels; bool is what
 * comparisons return.
 */
export type DType = "float32" | "float64" | "int32" | "bool";

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

export function typedFrom(dtype: DType, data: ArrayLike<number>): TypedArray {
  const out = allocate(dtype, data.length);
  if (dtype === "bool") for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  else out.set(data);
  return out;
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** The dtype of `a op b`, as in PyTorch: the wider of the two. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
