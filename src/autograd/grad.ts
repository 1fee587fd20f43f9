import { fail, fmtShape } from "../errors";
import { sameShape } from "../tensor/shape";
import type { Tensor } from "../tensor/tensor";
import { propagate } from "./engine";

export interface GradOptions {
  /** Gradients of the outputs (default: 1 for scalar outputs). */
  gradOutputs?: readonly Tensor[];
  /** Record the backward pass, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Return null (instead of throwing) for inputs the outputs do not depend on. */
  allowUnused?: boolean;
}

/**
 * d(outputs)/d(inputs), returned rather than accumulated into `.grad`:
 * PyTorch's torch.autograd.grad. With createGraph the results carry their
 * own graph, so grad(grad(f)) gives second derivatives.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
  const seeds = outs.map((o, i) => {
    if (!o.requiresGrad) fail("grad", `output ${i} does not require grad`);
    const g = opts.gradOutputs?.[i];
    if (g) {
      if (!sameShape(g.shape, o.shape)) fail("grad", `gradOutputs[${i}] has shape ${fmtShape(g.shape)}, output ${i} has ${fmtShape(o.shape)}`);
      return g;
    }
    if (o.numel() !== 1) fail("grad", `output ${i} has shape ${fmtShape(o.shape)}: pass gradOutputs for non-scalar outputs`);
    return o.onesLike();
  });
  const grads = propagate(outs, seeds, { createGraph: opts.createGraph });
  return ins.map((t, i) => {
    const g = grads.get(t);
    if (!g && !opts.allowUnused) fail("grad", `input ${i} (shape ${fmtShape(t.shape)}) was not used to compute the outputs; pass allowUnused: true to get null`);
    return g ?? null;
  });
}
