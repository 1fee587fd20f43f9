import { fail, fmtShape } from "../errors";
import { broadcastShapes, normDim, numel, sameShape } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { apply, OpDef } from "./op";

/*
 * Ops that move or select elements without computing new values. On the js
 * backend most of them are views: the result shares the input's storage.
 */

// reshape: the gradient is reshaped back
const RESHAPE: OpDef<{ shape: number[] }> = {
  name: "reshape",
  forward: (be, [x], { shape }) => be.reshape(x, shape),
  backward: ({ inputs: [x] }, g) => [g.reshape(x.shape)],
  view: true,
};

/** Resolves one -1 in a requested shape and checks the element counts agree. */
export function inferShape(op: string, from: readonly number[], shape: readonly number[]): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.indexOf(-1, free + 1) >= 0 && free >= 0) fail(op, `only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of out) if (!Number.isInteger(d) || d < -1) fail(op, `invalid size ${d} in ${fmtShape(shape)}`);
  const n = numel(from);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    if (rest === 0 || n % rest !== 0) fail(op, `cannot reshape ${fmtShape(from)} (${n} elements) into ${fmtShape(shape)}`);
    out[free] = n / rest;
  }
  if (numel(out) !== n) fail(op, `cannot reshape ${fmtShape(from)} (${n} elements) into ${fmtShape(shape)} (${numel(out)} elements)`);
  return out;
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = inferShape("reshape", x.shape, shape);
  if (sameShape(s, x.shape)) return x;
  return apply(RESHAPE, [x], { shape: s });
}

// permute: the gradient is permuted back by the inverse permutation
const PERMUTE: OpDef<{ perm: number[] }> = {
  name: "permute",
  forward: (be, [x], { perm }) => be.transpose(x, perm),
  backward: ({ attrs: { perm } }, g) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.permute(inv)];
  },
  view: true,
};

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) fail("permute", `got ${dims.length} dims ${fmtShape(dims)} for a tensor of rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
  const perm = dims.map((d) => normDim("permute", d, x.ndim));
  if (new Set(perm).size !== perm.length) fail("permute", `dims ${fmtShape(dims)} repeat a dimension`);
  return apply(PERMUTE, [x], { perm });
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.ndim < 2) return x;
  const a = normDim("transpose", dim0, x.ndim), b = normDim("transpose", dim1, x.ndim);
  const perm = [...Array(x.ndim).keys()];
  perm[a] = b;
  perm[b] = a;
  return apply(PERMUTE, [x], { perm });
}

// expand: broadcasting by hand; the engine's sumToShape sums the gradient back
const EXPAND: OpDef<{ shape: number[] }> = {
  name: "expand",
  forward: (be, [x], { shape }) => be.expand(x, shape),
  backward: (_, g) => [g],
  view: true,
};

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  if (lead < 0) fail("expand", `cannot expand ${fmtShape(x.shape)} to fewer dimensions ${fmtShape(shape)}`);
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < -1 || (d === -1 && i < lead)) {
      fail("expand", `invalid size ${d} at dimension ${i} of ${fmtShape(shape)}: sizes must be non-negative integers; -1 (keep the size) only in the last ${x.ndim} dims, which ${fmtShape(x.shape)} has`);
    }
  });
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const out = broadcastShapes("expand", x.shape, target);
  if (!sameShape(out, target)) fail("expand", `cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  if (sameShape(target, x.shape)) return x;
  return apply(EXPAND, [x], { shape: target });
}

export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const dims = dim === undefined ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
    : (typeof dim === "number" ? [dim] : [...dim]).map((d) => normDim("squeeze", d, x.ndim));
  return reshape(x, x.shape.filter((d, i) => !(dims.includes(i) && d === 1)));
}

/** Inserts size-1 dims; with several dims, each is a position in the result. */
export function unsqueeze(x: Tensor, dim: number | readonly number[]): Tensor {
  const list = typeof dim === "number" ? [dim] : [...dim];
  const rank = x.ndim + list.length;
  const dims = list.map((d) => normDim("unsqueeze", d, rank)).sort((a, b) => a - b);
  const shape: number[] = [];
  for (let i = 0, j = 0; i < rank; i++) shape.push(dims.includes(i) ? 1 : x.shape[j++]);
  return reshape(x, shape);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim("flatten", startDim, x.ndim), e = normDim("flatten", endDim, x.ndim);
  if (s > e) fail("flatten", `startDim ${startDim} comes after endDim ${endDim} for shape ${fmtShape(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

const CONTIGUOUS: OpDef<void> = {
  name: "contiguous",
  forward: (be, [x]) => be.contiguous(x),
  backward: (_, g) => [g],
};
export const contiguous = (x: Tensor): Tensor => apply(CONTIGUOUS, [x], undefined);

// --- slicing ---------------------------------------------------------------
interface SliceAttrs {
  begin: number[];
  end: number[];
  step: number[];
}

// d slice: the gradient is written into a zero tensor of the input's shape
const SLICE: OpDef<SliceAttrs> = {
  name: "slice",
  forward: (be, [x], a) => be.slice(x, a.begin, a.end, a.step),
  backward: ({ inputs: [x], attrs }, g) => [sliceBackward(g, x.shape, attrs)],
  backwardMany: (ctxs, grads) => gatherSlices(ctxs[0].inputs[0], ctxs.map((c) => c.attrs), grads),
  view: true,
};

/**
 * The gradient of many slices of x at once: when they cut x along one
 * dimension (step 1) without overlapping, as select, split and chunk do, it
 * is their gradients joined in order by one cat, zeros in the gaps. That
 * costs the size of x once, where padding each to x's shape and summing
 * costs it once per slice. Other slices return null: one by one, then.
 */
function gatherSlices(x: Tensor, attrs: readonly SliceAttrs[], grads: readonly Tensor[]): Tensor | null {
  let dim = -1;
  for (const a of attrs) {
    for (let d = 0; d < x.ndim; d++) {
      if (a.begin[d] === 0 && a.end[d] === x.shape[d] && a.step[d] === 1) continue;
      if (a.step[d] !== 1 || (dim >= 0 && dim !== d)) return null;
      dim = d;
    }
  }
  if (dim < 0) return null; // every slice is the whole of x: they overlap
  const pieces = attrs.map((a, i) => ({ begin: a.begin[dim], end: a.end[dim], grad: grads[i] })).sort((p, q) => p.begin - q.begin);
  const parts: Tensor[] = [];
  const gap = (n: number) => {
    const shape = x.shape.map((s, d) => (d === dim ? n : s));
    parts.push(new Tensor(x.backend.full(shape, 0, grads[0].dtype), x.backend));
  };
  let at = 0;
  for (const p of pieces) {
    if (p.begin < at) return null; // overlapping slices: their gradients add up
    if (p.begin > at) gap(p.begin - at);
    if (p.end > p.begin) parts.push(p.grad);
    at = Math.max(at, p.end);
  }
  if (at < x.shape[dim]) gap(x.shape[dim] - at);
  return parts.length === 1 ? parts[0] : cat(parts, dim);
}

// the adjoint of slice; its own gradient is the slice again
const SLICE_BACKWARD: OpDef<SliceAttrs & { shape: readonly number[] }> = {
  name: "sliceBackward",
  forward: (be, [g], a) => be.sliceAssign(be.full(a.shape, 0, g.dtype), g, a.begin, a.step),
  backward: ({ attrs }, gg) => [apply(SLICE, [gg], attrs)],
};

function sliceBackward(g: Tensor, shape: readonly number[], a: SliceAttrs): Tensor {
  return apply(SLICE_BACKWARD, [g], { ...a, shape });
}

/** PyTorch's x[start:end:step] along one dim; negative start/end count from the end, and are clipped. */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normDim("slice", dim, x.ndim);
  if (!Number.isInteger(step) || step <= 0) fail("slice", `step must be a positive integer, got ${step}`);
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) fail("slice", `start and end must be integers, got ${start} and ${end}`);
  const n = x.shape[d];
  const clip = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const b = clip(start);
  const e = Math.max(b, clip(end ?? n));
  const begin = x.shape.map(() => 0), stop = [...x.shape], steps = x.shape.map(() => 1);
  begin[d] = b;
  stop[d] = e;
  steps[d] = step;
  return apply(SLICE, [x], { begin, end: stop, step: steps });
}

/** x[..., i, ...]: one index along dim, which disappears. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim("select", dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(index)) fail("select", `index must be an integer, got ${index}`);
  if (index < -n || index >= n) {
    fail("select", `index ${index} is out of range for dimension ${d} of size ${n} (shape ${fmtShape(x.shape)})`);
  }
  const i = index < 0 ? index + n : index;
  return squeeze(slice(x, d, i, i + 1), d);
}

// --- joining and splitting ---------------------------------------------------
// d cat: each input gets its own slice of the gradient
const CAT: OpDef<{ dim: number }> = {
  name: "cat",
  forward: (be, xs, { dim }) => be.cat(xs, dim),
  backward: ({ inputs, attrs: { dim } }, g) => {
    let at = 0;
    return inputs.map((x) => {
      const part = slice(g, dim, at, at + x.shape[dim]);
      at += x.shape[dim];
      return part;
    });
  },
};

export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) fail("cat", "needs at least one tensor");
  const d = normDim("cat", dim, xs[0].ndim);
  for (const [i, x] of xs.entries()) {
    if (x.ndim !== xs[0].ndim || x.shape.some((s, j) => j !== d && s !== xs[0].shape[j])) {
      fail("cat", `tensor ${i} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(xs[0].shape)}; all sizes except dimension ${d} must match`);
    }
    if (x.dtype !== xs[0].dtype) fail("cat", `tensor ${i} is ${x.dtype} but tensor 0 is ${xs[0].dtype}`);
  }
  if (xs.length === 1) return xs[0];
  return apply(CAT, xs, { dim: d });
}

export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) fail("stack", "needs at least one tensor");
  for (const [i, x] of xs.entries()) {
    if (!sameShape(x.shape, xs[0].shape)) fail("stack", `tensor ${i} has shape ${fmtShape(x.shape)} but tensor 0 has ${fmtShape(xs[0].shape)}; stack needs equal shapes`);
  }
  const d = normDim("stack", dim, xs[0].ndim + 1);
  return cat(xs.map((x) => unsqueeze(x, d)), d);
}

/** Splits into pieces of `size` (the last may be smaller), or into the given list of sizes. */
export function split(x: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim("split", dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof size === "number") {
    if (!Number.isInteger(size) || size <= 0) fail("split", `split size must be a positive integer, got ${size}`);
    sizes = [];
    for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
    if (n === 0) sizes.push(0); // an empty dim splits into one empty piece, as in PyTorch
  } else {
    sizes = [...size];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) fail("split", `sizes ${fmtShape(sizes)} add up to ${total}, but dimension ${d} of ${fmtShape(x.shape)} has size ${n}`);
  }
  let at = 0;
  return sizes.map((s) => {
    const part = slice(x, d, at, at + s);
    at += s;
    return part;
  });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim("chunk", dim, x.ndim);
  if (!Number.isInteger(chunks) || chunks <= 0) fail("chunk", `chunks must be a positive integer, got ${chunks}`);
  if (x.shape[d] === 0) return [x];
  return split(x, Math.ceil(x.shape[d] / chunks), d);
}

// d pad: the gradient is the un-padded middle
const PAD: OpDef<{ pads: [number, number][]; value: number }> = {
  name: "pad",
  forward: (be, [x], { pads, value }) => be.pad(x, pads, value),
  backward: ({ inputs: [x], attrs: { pads } }, g) => {
    let r = g;
    pads.forEach(([before], d) => (r = slice(r, d, before, before + x.shape[d])));
    return [r];
  },
};

/**
 * Constant padding, with PyTorch's order of `pad`: pairs (before, after)
 * starting from the *last* dimension: [left, right, top, bottom, ...].
 */
export function pad(x: Tensor, padding: readonly number[], value = 0): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    fail("pad", `padding ${fmtShape(padding)} must hold (before, after) pairs for at most ${x.ndim} dims of ${fmtShape(x.shape)}`);
  }
  for (const p of padding) if (!Number.isInteger(p) || p < 0) fail("pad", `padding sizes must be non-negative integers, got ${fmtShape(padding)}`);
  const pads: [number, number][] = x.shape.map(() => [0, 0]);
  for (let i = 0; i < padding.length / 2; i++) pads[x.ndim - 1 - i] = [padding[2 * i], padding[2 * i + 1]];
  return apply(PAD, [x], { pads, value });
}
