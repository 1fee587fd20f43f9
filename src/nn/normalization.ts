import { noGrad } from "../autograd/mode";
import { fail, fmtShape } from "../errors";
import { ones, zeros } from "../tensor/creation";
import { Tensor } from "../tensor/tensor";
import { Module } from "./module";
import { Parameter } from "./parameter";

export interface BatchNormOptions {
  eps?: number;
  /**
   * Weight of the newest batch in the running averages: running = (1 -
   * momentum) running + momentum batch. null: a plain cumulative average.
   */
  momentum?: number | null;
  /** Learn a per-channel scale (weight) and shift (bias). */
  affine?: boolean;
  /** Keep running mean and variance for eval mode; without, eval uses the batch's statistics too. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation (Ioffe and Szegedy, 2015): each channel (dim 1) is
 * shifted and scaled to mean 0 and variance 1 over the batch (and the
 * spatial dims), then scaled by weight and shifted by bias:
 *   y = (x - mean) / sqrt(var + eps) * weight + bias.
 * In training the batch's statistics are used (variance with divisor n) and
 * running averages are kept (variance with divisor n - 1); in eval mode the
 * running averages are used. Buffers carry PyTorch's names (running_mean,
 * running_var, num_batches_tracked), so state dicts move between the two.
 */
abstract class BatchNorm extends Module<[Tensor], Tensor> {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly layout: string;

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) fail(this.constructor.name, `numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures]));
      this.registerBuffer("running_var", ones([numFeatures]));
      this.registerBuffer("num_batches_tracked", zeros([], { dtype: "int32" }));
    }
  }

  private buffer(name: string): Tensor | null {
    return ((this as unknown as Record<string, unknown>)[name] as Tensor | undefined) ?? null;
  }
  get runningMean(): Tensor | null {
    return this.buffer("running_mean");
  }
  get runningVar(): Tensor | null {
    return this.buffer("running_var");
  }
  get numBatchesTracked(): number {
    return this.buffer("num_batches_tracked")?.item() ?? 0;
  }

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      fail(name, `expected input ${this.layout} with C = ${this.numFeatures}, got ${fmtShape(x.shape)}`);
    }
    const C = this.numFeatures;
    const dims = [...Array(x.ndim).keys()].filter((d) => d !== 1);
    const bshape = x.shape.map((_, i) => (i === 1 ? C : 1));
    const rm = this.runningMean, rv = this.runningVar;
    let xhat: Tensor;
    if (this.training || !rm || !rv) {
      const n = x.numel() / C;
      if (this.training && n <= 1) fail(name, `expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
      const mean = x.mean(dims, true);
      const dev = x.sub(mean);
      const variance = dev.mul(dev).mean(dims, true);
      xhat = dev.div(variance.add(this.eps).sqrt());
      if (this.training && rm && rv) {
        noGrad(() => {
          const nbt = this.buffer("num_batches_tracked")!;
          nbt.add_(1);
          const f = this.momentum ?? 1 / nbt.item();
          rm.copy_(rm.mul(1 - f).add(mean.reshape([C]).mul(f)));
          rv.copy_(rv.mul(1 - f).add(variance.reshape([C]).mul((f * n) / (n - 1))));
        });
      }
    } else {
      xhat = x.sub(rm.reshape(bshape)).div(rv.reshape(bshape).add(this.eps).sqrt());
    }
    return this.weight && this.bias ? xhat.mul(this.weight.reshape(bshape)).add(this.bias.reshape(bshape)) : xhat;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/** Batch norm over [N, C] or [N, C, L] inputs (per feature C). */
export class BatchNorm1d extends BatchNorm {
  protected readonly ranks = [2, 3];
  protected readonly layout = "[N, C] or [N, C, L]";
}

/** Batch norm over [N, C, H, W] images (per channel C). */
export class BatchNorm2d extends BatchNorm {
  protected readonly ranks = [4];
  protected readonly layout = "[N, C, H, W]";
}
