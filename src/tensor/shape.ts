import { fail, fmtShape } from "../errors";

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a contiguous array of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align on the right; each pair of sizes must be equal or one of them 1. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        fail(
          op,
          `shapes ${shapes.map(fmtShape).join(" and ")} cannot be broadcast: ` +
            `size ${out[o]} and ${d} differ at dimension ${o - rank} (counting from the right)`,
        );
      }
    }
  }
  return out;
}

/** Turns a possibly negative dim into 0..rank-1, or explains why it is out of range. */
export function normDim(op: string, dim: number, rank: number): number {
  if (!Number.isInteger(dim) || dim < -Math.max(rank, 1) || dim >= Math.max(rank, 1)) {
    fail(op, `dim ${dim} is out of range for a tensor of rank ${rank} (expected ${-Math.max(rank, 1)}..${Math.max(rank, 1) - 1})`);
  }
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return [...Array(rank).keys()];
  const list = typeof dims === "number" ? [dims] : [...dims];
  const out = list.map((d) => normDim(op, d, rank));
  if (new Set(out).size !== out.length) fail(op, `dims ${fmtShape(list)} name the same dimension twice`);
  return out.sort((a, b) => a - b);
}

export function checkShape(op: string, shape: Shape): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) fail(op, `invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
  return [...shape];
}
