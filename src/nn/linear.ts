import { fail, fmtShape } from "../errors";
import { Tensor } from "../tensor/tensor";
import { zeros } from "../tensor/creation";
import * as init from "./init";
import { Module } from "./module";
import { Parameter } from "./parameter";

/**
 * y = x W^T + b, PyTorch's F.linear: W is [out, in], x is [..., in]. The
 * transpose is a view, and the matrix product reads it in place.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = x.matmul(weight.t());
  return bias ? y.add(bias) : y;
}

/** Uniform in +-1/sqrt(fanIn): PyTorch's default for the bias of Linear and Conv2d. */
export function initBias(bias: Tensor, weight: Tensor): void {
  const { fanIn } = init.calculateFanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  init.uniform(bias, -bound, bound);
}

export interface LinearOptions {
  bias?: boolean;
}

/**
 * A fully connected layer: y = x W^T + b, W of shape [outFeatures, inFeatures].
 * Initialised as in PyTorch: W by kaiming_uniform with a = sqrt(5), which is
 * U(-1/sqrt(in), 1/sqrt(in)), and b from the same range.
 */
export class Linear extends Module<[Tensor], Tensor> {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [name, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 0) fail("Linear", `${name} must be a non-negative integer, got ${v}`);
    }
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    this.bias = opts.bias ?? true ? new Parameter(zeros([outFeatures])) : null;
    if (this.bias) initBias(this.bias, this.weight);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      fail("Linear", `input of shape ${fmtShape(x.shape)} should end in ${this.inFeatures} features (weight ${fmtShape(this.weight.shape)}): expected [..., ${this.inFeatures}]`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Flattens dims startDim..endDim into one: [N, C, H, W] -> [N, C*H*W] with the defaults. */
export class Flatten extends Module<[Tensor], Tensor> {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Passes its input through: a placeholder where a layer is optional. */
export class Identity extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return x;
  }
}
