import { fail } from "../errors";
import * as A from "../ops/activation";
import { dropout } from "../ops/random";
import { Tensor } from "../tensor/tensor";
import { Module } from "./module";

/*
 * Activation functions as modules, for Sequential. Each is the op of the
 * same name in nn.functional; the module only holds its settings.
 */

export class ReLU extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return A.relu(x);
  }
}

export class LeakyReLU extends Module<[Tensor], Tensor> {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class Sigmoid extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return A.sigmoid(x);
  }
}

export class Tanh extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return A.tanh(x);
  }
}

export class GELU extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return A.gelu(x);
  }
}

/** softplus(beta x) / beta: a smooth ReLU, sharper for larger beta. */
export class Softplus extends Module<[Tensor], Tensor> {
  constructor(readonly beta = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.beta === 1 ? A.softplus(x) : A.softplus(x.mul(this.beta)).div(this.beta);
  }
  override extraRepr(): string {
    return `beta=${this.beta}`;
  }
}

export class Softmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Inverted dropout while training (zero each element with probability p,
 * scale the rest by 1/(1-p)); the identity in eval mode.
 */
export class Dropout extends Module<[Tensor], Tensor> {
  constructor(readonly p = 0.5) {
    super();
    // checked here, so a bad p fails where the model is built, not at the first batch
    if (!(p >= 0 && p <= 1)) fail("Dropout", `p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
