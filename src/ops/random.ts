import { fail } from "../errors";
import { Generator, defaultGenerator } from "../tensor/random";
import { Tensor } from "../tensor/tensor";

/**
 * Inverted dropout: in training, zero each element with probability p and
 * scale the survivors by 1/(1-p), so the expected value is unchanged and
 * evaluation needs no rescaling. The mask is a constant, so the gradient is
 * the same mask times the incoming gradient.
 */
export function dropout(x: Tensor, p = 0.5, training = true, gen: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) fail("dropout", `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = Tensor.rand(x.shape, { dtype: x.dtype === "float64" ? "float64" : "float32", generator: gen, backend: x.backend.name }).ge(p);
  return x.mul(keep.to(x.backend.name).type(x.dtype).mul(1 / (1 - p)));
}
