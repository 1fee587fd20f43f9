import { Tensor } from "../tensor/tensor";
import { BaseOptions, Optimizer, ParamGroup, ParamGroupSpec, ParamState, checkRange } from "./optimizer";

export interface AdagradOptions extends BaseOptions {
  /** The step size shrinks as lr / (1 + (t - 1) lrDecay). */
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

/**
 * AdaGrad (Duchi et al., 2011): each coordinate's step is divided by the
 * root of the sum of all its squared gradients so far, so rarely updated
 * coordinates take larger steps:
 *   g = grad + weightDecay p;  G = G + g^2;  p = p - lr_t g / (sqrt(G) + eps).
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdagradOptions>>, opts: Partial<AdagradOptions> = {}) {
    super(params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...opts });
  }

  protected override checkOptions(o: AdagradOptions): void {
    super.checkOptions(o);
    checkRange("Adagrad", "lrDecay", o.lrDecay, 0, Infinity);
    checkRange("Adagrad", "weightDecay", o.weightDecay, 0, Infinity);
    checkRange("Adagrad", "initialAccumulatorValue", o.initialAccumulatorValue, 0, Infinity);
    checkRange("Adagrad", "eps", o.eps, 0, Infinity);
  }

  protected update(p: Tensor, grad: Tensor, o: ParamGroup<AdagradOptions>, s: ParamState): void {
    const step = ((s.step as number | undefined) ?? 0) + 1;
    s.step = step;
    const g = o.weightDecay ? grad.add(p.mul(o.weightDecay)) : grad;
    const prev = s.sum as Tensor | undefined;
    const sum = (s.sum = (prev ?? p.zerosLike().add(o.initialAccumulatorValue)).add(g.mul(g)));
    const clr = o.lr / (1 + (step - 1) * o.lrDecay);
    p.sub_(g.div(sum.sqrt().add(o.eps)).mul(clr));
  }
}
