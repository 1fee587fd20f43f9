import { Tensor } from "../tensor/tensor";
import { BaseOptions, Optimizer, ParamGroup, ParamGroupSpec, ParamState, checkRange } from "./optimizer";

export interface RMSpropOptions extends BaseOptions {
  /** Decay of the running average of squared gradients. */
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  /** Divide by an estimate of the gradient's variance (E[g^2] - E[g]^2) instead of E[g^2]. */
  centered: boolean;
}

/**
 * RMSProp (Hinton's lecture 6e): like AdaGrad, but the squared gradients
 * are averaged with exponential decay, so old gradients are forgotten:
 *   v = alpha v + (1 - alpha) g^2
 *   avg = sqrt(v) + eps               (centered: sqrt(v - gbar^2) + eps, gbar = alpha gbar + (1 - alpha) g)
 *   p = p - lr g / avg                (momentum: buf = momentum buf + g / avg; p = p - lr buf)
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<RMSpropOptions>>, opts: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...opts });
  }

  protected override checkOptions(o: RMSpropOptions): void {
    super.checkOptions(o);
    checkRange("RMSprop", "alpha", o.alpha, 0, 1);
    checkRange("RMSprop", "eps", o.eps, 0, Infinity);
    checkRange("RMSprop", "momentum", o.momentum, 0, Infinity);
    checkRange("RMSprop", "weightDecay", o.weightDecay, 0, Infinity);
  }

  protected update(p: Tensor, grad: Tensor, o: ParamGroup<RMSpropOptions>, s: ParamState): void {
    s.step = ((s.step as number | undefined) ?? 0) + 1;
    const g = o.weightDecay ? grad.add(p.mul(o.weightDecay)) : grad;
    // running averages are replaced by new tensors each step: nothing else holds them
    const avgOf = (prev: Tensor | undefined, x: Tensor) => (prev ? prev.mul(o.alpha).add(x.mul(1 - o.alpha)) : x.mul(1 - o.alpha));
    const v = (s.squareAvg = avgOf(s.squareAvg as Tensor | undefined, g.mul(g)));
    let avg: Tensor;
    if (o.centered) {
      const gbar = (s.gradAvg = avgOf(s.gradAvg as Tensor | undefined, g));
      avg = v.sub(gbar.mul(gbar)).sqrt().add(o.eps);
    } else {
      avg = v.sqrt().add(o.eps);
    }
    let d = g.div(avg);
    if (o.momentum > 0) {
      const prev = s.momentumBuffer as Tensor | undefined;
      d = s.momentumBuffer = prev ? prev.mul(o.momentum).add(d) : d;
    }
    p.sub_(d.mul(o.lr));
  }
}
