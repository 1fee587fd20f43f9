import { fail, fmtShape } from "../errors";
import { isFloat } from "../tensor/dtype";
import { normDim, normDims, numel } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { lift, where } from "./elementwise";
import { apply, OpDef } from "./op";

type Dims = number | readonly number[] | undefined;

interface ReduceAttrs {
  dims: number[];
  keepDim: boolean;
}

/** The gradient of a reduction, reshaped so it broadcasts back over the reduced dims. */
function keepShape(g: Tensor, { dims, keepDim }: ReduceAttrs): Tensor {
  return keepDim ? g : g.unsqueeze(dims);
}

// d sum = the gradient, copied to every element that was summed
const SUM: OpDef<ReduceAttrs> = {
  name: "sum",
  forward: (be, [x], a) => be.reduce("sum", x, a.dims, a.keepDim),
  backward: ({ inputs: [x], attrs }, g) => [keepShape(g, attrs).expand(x.shape)],
};

/**
 * d max: the gradient goes to the elements equal to the max, shared evenly
 * among ties (the subgradient PyTorch uses for a full reduction).
 */
function extremum(kind: "max" | "min"): OpDef<ReduceAttrs> {
  return {
    name: kind,
    forward: (be, [x], a) => be.reduce(kind, x, a.dims, a.keepDim),
    backward: ({ inputs: [x], output, attrs }, g) => {
      const hit = x.eq(keepShape(output, attrs));
      const count = hit.sum(attrs.dims, true);
      return [where(hit, keepShape(g, attrs).div(count), lift(g, 0))];
    },
    saves: { inputs: [0], output: true },
  };
}
const MAX = extremum("max");
const MIN = extremum("min");

function attrs(op: string, x: Tensor, dim: Dims, keepDim: boolean): ReduceAttrs {
  const dims = normDims(op, dim, x.ndim);
  // a 0-d tensor accepts dim 0 or -1 (as in PyTorch) but has no dimension to reduce
  return { dims: x.ndim === 0 ? [] : dims, keepDim };
}

export function sum(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return apply(SUM, [x], attrs("sum", x, dim, keepDim));
}

export function mean(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  const a = attrs("mean", x, dim, keepDim);
  const n = numel(a.dims.map((d) => x.shape[d]));
  if (n === 0) fail("mean", `mean over an empty dimension of shape ${fmtShape(x.shape)}`);
  const xf = isFloat(x.dtype) ? x : x.float();
  return apply(SUM, [xf], a).div(n);
}

function checkNonEmpty(op: string, x: Tensor, dims: number[]): void {
  for (const d of dims) if (x.shape[d] === 0) fail(op, `cannot reduce over dimension ${d} of size 0 in shape ${fmtShape(x.shape)}`);
}

export function max(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  const a = attrs("max", x, dim, keepDim);
  checkNonEmpty("max", x, a.dims);
  return apply(MAX, [x], a);
}

export function min(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  const a = attrs("min", x, dim, keepDim);
  checkNonEmpty("min", x, a.dims);
  return apply(MIN, [x], a);
}

function argReduce(op: "argmax" | "argmin", x: Tensor, dim: number | undefined, keepDim: boolean): Tensor {
  if (dim === undefined) return argReduce(op, x.reshape([-1]), 0, false);
  const d = normDim(op, dim, x.ndim);
  checkNonEmpty(op, x, [d]);
  return new Tensor(x.backend.argReduce(op, x.data, d, keepDim), x.backend);
}

/** Index of the largest value along dim (of the flattened tensor when dim is omitted); int32, no gradient. */
export const argmax = (x: Tensor, dim?: number, keepDim = false): Tensor => argReduce("argmax", x, dim, keepDim);
export const argmin = (x: Tensor, dim?: number, keepDim = false): Tensor => argReduce("argmin", x, dim, keepDim);

export interface VarOptions {
  /** Divide by n - 1 (Bessel's correction, PyTorch's default) instead of n. */
  unbiased?: boolean;
  keepDim?: boolean;
}

/** Variance: mean of squared deviations from the mean, composed of ops (so it is differentiable twice). */
export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  const a = attrs("var", x, dim, opts.keepDim ?? false);
  const n = numel(a.dims.map((d) => x.shape[d]));
  const unbiased = opts.unbiased ?? true;
  if (n - (unbiased ? 1 : 0) <= 0) fail("var", `needs at least ${unbiased ? 2 : 1} elements over the reduced dims of shape ${fmtShape(x.shape)}`);
  const dev = x.sub(x.mean(a.dims, true));
  return dev.mul(dev).sum(a.dims, a.keepDim).div(n - (unbiased ? 1 : 0));
}

export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return variance(x, dim, opts).sqrt();
}
