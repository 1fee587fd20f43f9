import { fail } from "../errors";
import { Tensor } from "../tensor/tensor";
import { BaseOptions, Optimizer, ParamGroup, ParamGroupSpec, ParamState, checkRange } from "./optimizer";

export interface SGDOptions extends BaseOptions {
  momentum: number;
  /** Scales down the gradient's share in the momentum buffer: buf = momentum buf + (1 - dampening) g. */
  dampening: number;
  /** Look ahead: step along g + momentum buf instead of buf. */
  nesterov: boolean;
  /** L2 penalty: adds weightDecay * p to the gradient. */
  weightDecay: number;
}

/**
 * Stochastic gradient descent, with PyTorch's momentum:
 *   g = grad + weightDecay p
 *   buf = g (first step), then buf = momentum buf + (1 - dampening) g
 *   d = nesterov ? g + momentum buf : buf      (d = g without momentum)
 *   p = p - lr d
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<SGDOptions>>, opts: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...opts });
  }

  protected override checkOptions(o: SGDOptions): void {
    super.checkOptions(o);
    checkRange("SGD", "momentum", o.momentum, 0, Infinity);
    checkRange("SGD", "weightDecay", o.weightDecay, 0, Infinity);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) fail("SGD", `nesterov needs momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}`);
  }

  protected update(p: Tensor, grad: Tensor, o: ParamGroup<SGDOptions>, s: ParamState): void {
    let d = o.weightDecay ? grad.add(p.mul(o.weightDecay)) : grad;
    if (o.momentum) {
      const prev = s.momentumBuffer as Tensor | undefined;
      // the state is replaced by a new tensor each step (no in-place copy needed: nothing else holds it)
      const buf = prev ? prev.mul(o.momentum).add(o.dampening ? d.mul(1 - o.dampening) : d) : d.clone();
      s.momentumBuffer = buf;
      d = o.nesterov ? d.add(buf.mul(o.momentum)) : buf;
    }
    p.sub_(d.mul(o.lr));
  }
}
