import { fail } from "../errors";
import { Tensor } from "../tensor/tensor";

function total(op: string, params: Iterable<Tensor>, term: (p: Tensor) => Tensor, lambda: number): Tensor {
  if (!(lambda >= 0)) fail(op, `lambda must be non-negative, got ${lambda}`);
  const ps = [...params];
  if (ps.length === 0) fail(op, "got no parameters");
  return ps.map((p) => term(p).sum()).reduce((a, b) => a.add(b)).mul(lambda);
}

/**
 * lambda * sum |w| over all parameters: add it to the loss. Its gradient,
 * lambda sign(w), pushes weights to exactly 0 (sparse models).
 */
export function l1Penalty(params: Iterable<Tensor>, lambda: number): Tensor {
  return total("l1Penalty", params, (p) => p.abs(), lambda);
}

/**
 * lambda * sum w^2 over all parameters: add it to the loss. Its gradient is
 * 2 lambda w, so it is the same as SGD's weightDecay = 2 lambda.
 */
export function l2Penalty(params: Iterable<Tensor>, lambda: number): Tensor {
  return total("l2Penalty", params, (p) => p.mul(p), lambda);
}
