import { Tensor } from "../tensor/tensor";
import { BaseOptions, Optimizer, ParamGroup, ParamGroupSpec, ParamState, checkRange } from "./optimizer";

export interface AdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment estimates. */
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  /** Divide by the largest second moment seen so far (Reddi et al., 2018), so the step never grows back. */
  amsgrad: boolean;
}

type AdamParams = Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>;

/**
 * Adam (Kingma and Ba, 2015), with the bias correction of source 001 §3.3:
 *   m_t = beta1 m_{t-1} + (1 - beta1) g          (first moment: the mean of the gradient)
 *   v_t = beta2 v_{t-1} + (1 - beta2) g^2        (second moment: its uncentred variance)
 *   m^_t = m_t / (1 - beta1^t),  v^_t = v_t / (1 - beta2^t)
 *                                                (m and v start at 0, so early on they are too small: this undoes it)
 *   p = p - lr m^_t / (sqrt(v^_t) + eps).
 * Weight decay here is an L2 penalty added to g (for decoupled decay, AdamW).
 */
export class Adam extends Optimizer<AdamOptions> {
  /** AdamW's decoupled weight decay instead of an L2 penalty in the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: AdamParams, opts: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...opts });
  }

  protected override checkOptions(o: AdamOptions): void {
    super.checkOptions(o);
    const name = this.constructor.name;
    checkRange(name, "betas[0]", o.betas[0], 0, 1, true);
    checkRange(name, "betas[1]", o.betas[1], 0, 1, true);
    checkRange(name, "eps", o.eps, 0, Infinity);
    checkRange(name, "weightDecay", o.weightDecay, 0, Infinity);
  }

  protected update(p: Tensor, grad: Tensor, o: ParamGroup<AdamOptions>, s: ParamState): void {
    const [b1, b2] = o.betas;
    const t = ((s.step as number | undefined) ?? 0) + 1;
    s.step = t;
    let g = grad;
    if (o.weightDecay) {
      if (this.decoupled) p.mul_(1 - o.lr * o.weightDecay);
      else g = g.add(p.mul(o.weightDecay));
    }
    const m0 = s.expAvg as Tensor | undefined, v0 = s.expAvgSq as Tensor | undefined;
    // the moments are replaced by new tensors each step: nothing else holds them, so no in-place copy is needed
    const m = m0 ? m0.mul(b1).add(g.mul(1 - b1)) : g.mul(1 - b1);
    const v = v0 ? v0.mul(b2).add(g.mul(g).mul(1 - b2)) : g.mul(g).mul(1 - b2);
    s.expAvg = m;
    s.expAvgSq = v;
    let second = v;
    if (o.amsgrad) {
      const vmax0 = s.maxExpAvgSq as Tensor | undefined;
      second = s.maxExpAvgSq = vmax0 ? vmax0.maximum(v) : v;
    }
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    // lr m^ / (sqrt(v^) + eps), with the corrections folded into scalars: m^ = m / bc1, sqrt(v^) = sqrt(v) / sqrt(bc2)
    const denom = second.sqrt().div(Math.sqrt(bc2)).add(o.eps);
    p.sub_(m.div(denom).mul(o.lr / bc1));
  }
}

/**
 * AdamW (Loshchilov and Hutter, 2019): Adam with the weight decay taken out
 * of the gradient and applied to the weights directly, p = p (1 - lr
 * weightDecay), so it is not rescaled by the adaptive denominator.
 */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: AdamParams, opts: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
