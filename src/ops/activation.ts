import { Tensor } from "../tensor/tensor";
import { normDim, normDims } from "../tensor/shape";
import { lift, where } from "./elementwise";
import { apply, OpDef } from "./op";

// relu'(x) = 1 where x > 0, else 0
const RELU: OpDef<void> = {
  name: "relu",
  forward: (be, [x]) => be.unary("relu", x),
  backward: ({ output }, g) => [where(output.gt(0), g, lift(g, 0))],
  saves: { output: true },
};
// leakyRelu'(x) = 1 where x > 0, else slope
const LEAKY: OpDef<{ slope: number }> = {
  name: "leakyRelu",
  forward: (be, [x], { slope }) => be.leakyRelu(x, slope),
  backward: ({ inputs: [x], attrs: { slope } }, g) => [where(x.gt(0), g, g.mul(slope))],
  saves: { inputs: [0] },
};
// sigma'(x) = sigma(x) (1 - sigma(x))
const SIGMOID: OpDef<void> = {
  name: "sigmoid",
  forward: (be, [x]) => be.unary("sigmoid", x),
  backward: ({ output: s }, g) => [g.mul(s).mul(s.neg().add(1))],
  saves: { output: true },
};
// tanh'(x) = 1 - tanh(x)^2
const TANH: OpDef<void> = {
  name: "tanh",
  forward: (be, [x]) => be.unary("tanh", x),
  backward: ({ output: t }, g) => [g.mul(t.mul(t).neg().add(1))],
  saves: { output: true },
};
// softplus(x) = ln(1 + e^x); softplus'(x) = sigma(x)
const SOFTPLUS: OpDef<void> = {
  name: "softplus",
  forward: (be, [x]) => be.unary("softplus", x),
  backward: ({ inputs: [x] }, g) => [g.mul(x.sigmoid())],
  saves: { inputs: [0] },
};

export const relu = (x: Tensor): Tensor => apply(RELU, [x], undefined);
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => apply(LEAKY, [x], { slope });
export const sigmoid = (x: Tensor): Tensor => apply(SIGMOID, [x], undefined);
export const tanh = (x: Tensor): Tensor => apply(TANH, [x], undefined);
export const softplus = (x: Tensor): Tensor => apply(SOFTPLUS, [x], undefined);

/**
 * GELU, exact as in PyTorch: x * Phi(x), Phi the standard normal CDF,
 * written as a composition of ops so its gradient (and second gradient)
 * come from the chain rule.
 */
export function gelu(x: Tensor): Tensor {
  const phi = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
  return x.mul(phi);
}

/**
 * log softmax along `dim`, stably: x - max - log(sum(exp(x - max))). The max
 * is a constant shift (it cancels), so it is detached.
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  const d = normDim("logSoftmax", dim, x.ndim);
  const shifted = x.sub(x.detach().max(d, true));
  return shifted.sub(shifted.exp().sum(d, true).log());
}

export function softmax(x: Tensor, dim = -1): Tensor {
  const d = normDim("softmax", dim, x.ndim);
  const e = x.sub(x.detach().max(d, true)).exp();
  return e.div(e.sum(d, true));
}

/** log(sum(exp(x))) along dims, without overflow. */
export function logsumexp(x: Tensor, dim: number | number[], keepDim = false): Tensor {
  const dims = normDims("logsumexp", dim, x.ndim);
  const max = x.detach().max(dims, true);
  // an infinite max would make x - max NaN (-inf - -inf); shifting by 0 there gives
  // PyTorch's -inf for an all -inf slice (a fully masked row) and inf for one holding inf
  const m = where(max.isfinite(), max, lift(max, 0));
  const r = x.sub(m).exp().sum(dims, true).log().add(m);
  return keepDim ? r : r.squeeze(dims);
}
