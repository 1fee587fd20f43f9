import { fail } from "../errors";

/** What a scheduler changes: the lr of each parameter group (every Optimizer has it). */
export interface HasParamGroups {
  readonly paramGroups: { lr: number }[];
}

/**
 * Learning-rate schedules, PyTorch's lr_scheduler: call step() once per
 * epoch, after the optimizer's steps. Each sets lr = f(baseLr, epoch) in
 * closed form, from the lr each group had when the scheduler was made.
 *
 *   const sched = new optim.StepLR(opt, { stepSize: 10, gamma: 0.1 });
 *   for (epoch ...) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  /** Epochs completed (step() calls so far). */
  lastEpoch = 0;
  readonly baseLrs: number[];

  constructor(readonly optimizer: HasParamGroups) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  protected abstract lrAt(baseLr: number, epoch: number): number;

  step(): void {
    this.lastEpoch++;
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch)));
  }

  /** The lr of each group now. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

function positive(op: string, name: string, v: number, integer = false): void {
  if (!(v > 0) || (integer && !Number.isInteger(v))) fail(op, `${name} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
}

/** lr = baseLr * gamma^floor(epoch / stepSize): drop by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    positive("StepLR", "stepSize", this.stepSize, true);
    positive("StepLR", "gamma", this.gamma);
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = baseLr * gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: HasParamGroups, opts: { gamma: number }) {
    super(optimizer);
    this.gamma = opts.gamma;
    positive("ExponentialLR", "gamma", this.gamma);
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** epoch;
  }
}

/**
 * Half a cosine from baseLr down to etaMin over tMax epochs (SGDR without restarts):
 *   lr = etaMin + (baseLr - etaMin) (1 + cos(pi epoch / tMax)) / 2.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: HasParamGroups, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    this.tMax = opts.tMax;
    this.etaMin = opts.etaMin ?? 0;
    positive("CosineAnnealingLR", "tMax", this.tMax);
  }
  protected lrAt(base: number, epoch: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

export interface ReduceLROnPlateauOptions {
  /** "min": the metric should go down (a loss); "max": up (an accuracy). */
  mode?: "min" | "max";
  /** lr = lr * factor on a plateau. */
  factor?: number;
  /** Epochs without improvement to tolerate before reducing. */
  patience?: number;
  /** How much better counts as better: relatively (rel, default) or absolutely (abs). */
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** A floor for the lr (one for all groups, or one per group). */
  minLr?: number | readonly number[];
  /** Changes smaller than this are not made. */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric (usually the validation loss)
 * has not improved for more than `patience` epochs: call step(metric) once
 * per epoch.
 */
export class ReduceLROnPlateau {
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(readonly optimizer: HasParamGroups, opts: ReduceLROnPlateauOptions = {}) {
    const op = "ReduceLROnPlateau";
    this.mode = opts.mode ?? "min";
    this.factor = opts.factor ?? 0.1;
    this.patience = opts.patience ?? 10;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = opts.thresholdMode ?? "rel";
    this.cooldown = opts.cooldown ?? 0;
    this.eps = opts.eps ?? 1e-8;
    if (this.mode !== "min" && this.mode !== "max") fail(op, `mode must be "min" or "max", got ${JSON.stringify(this.mode)}`);
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") fail(op, `thresholdMode must be "rel" or "abs", got ${JSON.stringify(this.thresholdMode)}`);
    if (!(this.factor >= 0 && this.factor < 1)) fail(op, `factor must be in [0, 1), got ${this.factor}`);
    if (!Number.isInteger(this.patience) || this.patience < 0) fail(op, `patience must be a non-negative integer, got ${this.patience}`);
    if (!Number.isInteger(this.cooldown) || this.cooldown < 0) fail(op, `cooldown must be a non-negative integer, got ${this.cooldown}`);
    const n = optimizer.paramGroups.length;
    const minLr = opts.minLr ?? 0;
    this.minLrs = typeof minLr === "number" ? new Array<number>(n).fill(minLr) : [...minLr];
    if (this.minLrs.length !== n) fail(op, `minLr has ${this.minLrs.length} values for ${n} parameter groups`);
    this.best = this.mode === "min" ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode: tm, threshold: th, best } = this;
    if (mode === "min") return tm === "rel" ? a < best * (1 - th) : a < best - th;
    return tm === "rel" ? a > best * (1 + th) : a > best + th;
  }

  /** Call once per epoch with the monitored value. */
  step(metric: number): void {
    if (typeof metric !== "number" || Number.isNaN(metric)) fail("ReduceLROnPlateau", `step() needs the monitored metric as a number, got ${metric}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs during the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const lr = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - lr > this.eps) g.lr = lr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}
