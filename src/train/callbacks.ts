import { fail } from "../errors";
import type { Tensor } from "../tensor/tensor";
import { fmt, History } from "./history";

export type Logs = Record<string, number>;

/** What callbacks see of a training run, and the one thing they may change: stopTraining. */
export interface TrainState {
  readonly model: TrainableModel;
  readonly history: History;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  stopTraining: boolean;
}

/** The part of nn.Module that fit() relies on. */
export interface TrainableModel {
  forward(x: Tensor): Tensor;
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  eval(): unknown;
  stateDict(): Record<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor>): unknown;
}

/** Hooks into fit(); every method is optional and may be async. */
export interface Callback {
  onTrainBegin?(s: TrainState): void | Promise<void>;
  onEpochBegin?(epoch: number, s: TrainState): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, s: TrainState): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, s: TrainState): void | Promise<void>;
  onTrainEnd?(s: TrainState): void | Promise<void>;
}

type Mode = "min" | "max" | "auto";
/** Accuracy-like metrics improve upwards, losses downwards. */
function resolveMode(mode: Mode, monitor: string): "min" | "max" {
  if (mode !== "auto") return mode;
  return /acc|precision|recall|f1/i.test(monitor) ? "max" : "min";
}

function monitored(logs: Logs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (v === undefined) fail(who, `monitor "${monitor}" is not among the logged values: ${Object.keys(logs).join(", ")}`);
  return v;
}

export interface EarlyStoppingOptions {
  monitor?: string;
  /** How many epochs in a row without improvement stop training (at least 1; 0 acts as 1, as in Keras). */
  patience?: number;
  /** A change smaller than this is not an improvement. */
  minDelta?: number;
  mode?: Mode;
  /** At the end, put back the weights of the best epoch. */
  restoreBestWeights?: boolean;
}

/** Stops training once the monitored value has gone `patience` epochs in a row without improving (Keras' rule). */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly mode: "min" | "max";
  private readonly restore: boolean;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: Record<string, Tensor> | undefined;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? "valLoss";
    this.patience = opts.patience ?? 0;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.mode = resolveMode(opts.mode ?? "auto", this.monitor);
    this.restore = opts.restoreBestWeights ?? false;
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = undefined;
  }

  onEpochEnd(epoch: number, logs: Logs, s: TrainState): void {
    const v = monitored(logs, this.monitor, "EarlyStopping");
    const better = Number.isNaN(this.best) || (this.mode === "min" ? v < this.best - this.minDelta : v > this.best + this.minDelta);
    if (better) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restore) this.bestWeights = snapshot(s.model);
    } else if (++this.wait >= Math.max(1, this.patience)) {
      this.stoppedEpoch = epoch;
      s.stopTraining = true;
    }
  }

  onTrainEnd(s: TrainState): void {
    if (this.restore && this.bestWeights && this.bestEpoch !== s.history.epochs[s.history.epochs.length - 1]) {
      s.model.loadStateDict(this.bestWeights);
    }
  }
}

/** A copy of the weights that later optimizer steps cannot change. */
export function snapshot(model: TrainableModel): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(model.stateDict())) out[k] = v.detach().clone();
  return out;
}

export interface CheckpointOptions {
  monitor?: string;
  mode?: Mode;
  /** Only write when the monitored value improves. */
  saveBestOnly?: boolean;
  /** The function that writes a state dict (nn.save); injected so train/ does not depend on file formats. */
  save: (sd: Record<string, Tensor>, path: string) => void | Promise<void>;
}

/** Writes the weights after each epoch (or only the best ones) to `path` (may contain {epoch}). */
export class ModelCheckpoint implements Callback {
  private best = NaN;
  private readonly mode: "min" | "max";
  readonly saved: string[] = [];
  constructor(private readonly path: string, private readonly opts: CheckpointOptions) {
    this.mode = resolveMode(opts.mode ?? "auto", opts.monitor ?? "valLoss");
  }
  async onEpochEnd(epoch: number, logs: Logs, s: TrainState): Promise<void> {
    if (this.opts.saveBestOnly) {
      const v = monitored(logs, this.opts.monitor ?? "valLoss", "ModelCheckpoint");
      const better = Number.isNaN(this.best) || (this.mode === "min" ? v < this.best : v > this.best);
      if (!better) return;
      this.best = v;
    }
    const file = this.path.replace("{epoch}", String(epoch + 1));
    await this.opts.save(s.model.stateDict(), file);
    this.saved.push(file);
  }
}

/** A learning-rate schedule stepped once per epoch; schedules that watch a metric get it. */
export interface Schedule {
  step(metric?: number): void;
}
export class LearningRateScheduler implements Callback {
  constructor(private readonly schedule: Schedule, private readonly monitor?: string) {}
  onEpochEnd(_epoch: number, logs: Logs): void {
    this.schedule.step(this.monitor ? monitored(logs, this.monitor, "LearningRateScheduler") : undefined);
  }
}

/** Calls fn at the end of every epoch: the simplest way to plot or print as training goes. */
export class LambdaCallback implements Callback {
  constructor(private readonly fns: Callback) {}
  onTrainBegin(s: TrainState) { return this.fns.onTrainBegin?.(s); }
  onEpochBegin(e: number, s: TrainState) { return this.fns.onEpochBegin?.(e, s); }
  onBatchEnd(b: number, l: Logs, s: TrainState) { return this.fns.onBatchEnd?.(b, l, s); }
  onEpochEnd(e: number, l: Logs, s: TrainState) { return this.fns.onEpochEnd?.(e, l, s); }
  onTrainEnd(s: TrainState) { return this.fns.onTrainEnd?.(s); }
}

/**
 * Progress in a terminal: one bar per epoch, redrawn in place, with the
 * running loss and metrics, samples per second and the time left. Where
 * stdout is not a terminal (CI logs, files) it prints one line per epoch.
 */
export class ProgressBar implements Callback {
  private epochStart = 0;
  private lastDraw = 0;
  private epoch = 0;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly logEveryMs = 30_000,
  ) {}

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = performance.now();
    this.lastDraw = this.out.isTTY ? 0 : this.epochStart;
  }

  onBatchEnd(batch: number, logs: Logs, s: TrainState): void {
    const now = performance.now();
    if (!this.out.isTTY) {
      // in a log (CI, nohup) a line every half minute shows the run is alive and how fast it goes
      if (now - this.lastDraw >= this.logEveryMs && batch + 1 < s.stepsPerEpoch) {
        this.lastDraw = now;
        this.out.write(progressLine(this.epoch, s.epochs, batch + 1, s.stepsPerEpoch, (now - this.epochStart) / 1000, s.batchSize, logs) + "\n");
      }
      return;
    }
    if (now - this.lastDraw < 100 && batch + 1 < s.stepsPerEpoch) return;
    this.lastDraw = now;
    this.out.write("\r" + progressLine(this.epoch, s.epochs, batch + 1, s.stepsPerEpoch, (now - this.epochStart) / 1000, s.batchSize, logs) + "\x1b[K");
  }

  onEpochEnd(epoch: number, logs: Logs, s: TrainState): void {
    const secs = (performance.now() - this.epochStart) / 1000;
    const line = progressLine(epoch, s.epochs, s.stepsPerEpoch, s.stepsPerEpoch, secs, s.batchSize, logs);
    this.out.write((this.out.isTTY ? "\r" : "") + line + (this.out.isTTY ? "\x1b[K" : "") + "\n");
  }
}

/** `Epoch 2/10 [=========>          ] 450/938  loss 0.1234  accuracy 0.9612  1,532 samples/s  ETA 12s` */
export function progressLine(epoch: number, epochs: number, done: number, total: number, secs: number, batchSize: number, logs: Logs): string {
  const width = 20;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (done < total ? ">" : "=") : "") + " ".repeat(width - filled);
  const rate = secs > 0 ? (done * batchSize) / secs : 0;
  const eta = done < total && done > 0 ? `  ETA ${formatSeconds((secs / done) * (total - done))}` : `  ${formatSeconds(secs)}`;
  const vals = Object.entries(logs).map(([k, v]) => `${k} ${fmt(v)}`).join("  ");
  return `Epoch ${epoch + 1}/${epochs} [${bar}] ${done}/${total}  ${vals}  ${Math.round(rate).toLocaleString("en-US")} samples/s${eta}`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
