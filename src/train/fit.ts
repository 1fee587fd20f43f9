import { noGrad } from "../autograd/mode";
import { fail, fmtShape, GradlabError } from "../errors";
import * as losses from "../nn/loss";
import { dispose, tidy } from "../backend";
import { DataLoader, Dataset, TensorDataset } from "../data/dataset";
import { Tensor } from "../tensor/tensor";
import { Callback, Logs, ProgressBar, TrainableModel, TrainState } from "./callbacks";
import { History } from "./history";
import { LiveProgress, inKernel, kernelInterrupts } from "./live";
import { Metric, MetricName, metricByName } from "./metrics";
import { cat as catTensors } from "../ops/shape";
import { clipGradNorm } from "../optim/clip";

export type LossFn = (output: Tensor, target: Tensor) => Tensor;
export type LossName = "crossEntropy" | "nll" | "mse" | "l1" | "bce" | "bceWithLogits";

const LOSSES: Record<LossName, LossFn> = {
  crossEntropy: (o, t) => losses.crossEntropy(o, t),
  nll: (o, t) => losses.nllLoss(o, t),
  mse: (o, t) => losses.mseLoss(o, t),
  l1: (o, t) => losses.l1Loss(o, t),
  bce: (o, t) => losses.binaryCrossEntropy(o, t),
  bceWithLogits: (o, t) => losses.binaryCrossEntropyWithLogits(o, t),
};

function lossFn(loss: LossFn | LossName): LossFn {
  if (typeof loss === "function") return loss;
  const f = LOSSES[loss];
  if (!f) fail("fit", `unknown loss "${String(loss)}"; known: ${Object.keys(LOSSES).join(", ")}, or pass a function (output, target) => loss`);
  return f;
}

/** The optimizer interface fit() needs (every optim.Optimizer has it). */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
  readonly paramGroups?: readonly { lr: number }[];
}

/** Inputs and targets as two tensors with the same first dimension... */
export type TensorPair = { x: Tensor; y: Tensor } | readonly [Tensor, Tensor];
/** ...or anything that yields [input, target] batches, such as a DataLoader. */
export type BatchSource = Iterable<readonly Tensor[]> & { readonly length?: number };
export type FitData = TensorPair | Dataset<Tensor[]> | BatchSource;

export interface EvaluateOptions {
  loss: LossFn | LossName;
  metrics?: readonly (MetricName | Metric)[];
  batchSize?: number;
}

export interface FitOptions extends EvaluateOptions {
  optimizer: OptimizerLike;
  epochs?: number;
  shuffle?: boolean;
  /** Seed of the shuffling (a DataLoader's seed); by default drawn from the default generator, so manualSeed fixes it. */
  seed?: number;
  /** Hold out this fraction of the *last* samples for validation (before shuffling, as Keras does). */
  validationSplit?: number;
  validationData?: FitData;
  callbacks?: readonly Callback[];
  /** 0: silent; 1: a progress bar (a live display in a notebook). Default 1. */
  verbose?: 0 | 1;
  /**
   * Rescale the gradients to this total norm at most, between backward and the step
   * (optim.clipGradNorm; the cure for exploding gradients in RNNs). The norm before
   * clipping is logged per batch as `gradNorm`.
   */
  clipGradNorm?: number;
  /**
   * Batches per epoch (Keras' steps_per_epoch): an epoch ends after this many, and the
   * next one continues where it stopped, starting the data over (reshuffled) when it
   * runs out. Validation runs at the end of each epoch, so a long pass over a big data
   * set can be validated several times. Default: one pass over the data.
   */
  stepsPerEpoch?: number;
}

function pairOf(d: FitData): [Tensor, Tensor] | undefined {
  if (Array.isArray(d) && d.length === 2 && d[0] instanceof Tensor && d[1] instanceof Tensor) return [d[0], d[1]];
  const o = d as { x?: unknown; y?: unknown };
  if (o.x instanceof Tensor && o.y instanceof Tensor) return [o.x, o.y];
  return undefined;
}

function checkPair(op: string, x: Tensor, y: Tensor): void {
  if (x.ndim === 0 || y.ndim === 0 || x.shape[0] !== y.shape[0]) {
    fail(op, `inputs ${fmtShape(x.shape)} and targets ${fmtShape(y.shape)} must have the same first (batch) dimension`);
  }
}

/**
 * Every kind of data becomes a DataLoader (or already is an iterable of
 * batches), so fit() and a hand-written loop over the same DataLoader see
 * exactly the same batches in the same order.
 */
function loaderOf(data: FitData, opts: { batchSize: number; shuffle: boolean; seed?: number }): BatchSource {
  const pair = pairOf(data);
  if (pair) {
    checkPair("fit", ...pair);
    return new DataLoader(new TensorDataset(...pair), opts);
  }
  const d = data as Partial<Dataset<Tensor[]>> & Partial<BatchSource>;
  if (typeof d[Symbol.iterator] === "function") return data as BatchSource;
  if (typeof d.get === "function" && typeof d.length === "number") return new DataLoader(data as Dataset<Tensor[]>, opts);
  return fail("fit", "data must be {x, y}, [x, y], a Dataset, or an iterable of [input, target] batches (a DataLoader)");
}

function metricsOf(list: readonly (MetricName | Metric)[] | undefined, loss: LossFn | LossName): Metric[] {
  // thresholds for binary outputs: probabilities at 0.5, logits at 0
  const threshold = loss === "bceWithLogits" ? 0 : 0.5;
  return (list ?? []).map((m) => (typeof m === "string" ? metricByName(m, threshold) : m));
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Trains `model` on `data` for `epochs` epochs and returns the History,
 * Keras' model.fit. The loop inside is the one every chapter writes by hand:
 *   zeroGrad(); loss = lossFn(model.forward(x), y); loss.backward(); step().
 * It is async so a notebook stays responsive: progress is drawn while it
 * runs, and Ctrl-C (SIGINT, or the notebook's interrupt) stops it after the
 * current batch, keeping the trained weights and the history so far.
 */
export async function fit(model: TrainableModel, data: FitData, opts: FitOptions): Promise<History> {
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(epochs) || epochs < 0) fail("fit", `epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail("fit", `batchSize must be a positive integer, got ${batchSize}`);
  const loss = lossFn(opts.loss);
  let train = data;
  let validation = opts.validationData;
  if (opts.validationSplit !== undefined) {
    const s = opts.validationSplit;
    if (!(s > 0 && s < 1)) fail("fit", `validationSplit must be between 0 and 1, got ${s}`);
    const pair = pairOf(data);
    if (!pair) fail("fit", "validationSplit needs tensor data ({x, y}); for a DataLoader pass validationData");
    checkPair("fit", ...pair);
    const n = pair[0].shape[0];
    const cut = n - Math.round(n * s);
    if (cut <= 0 || cut >= n) fail("fit", `validationSplit ${s} of ${n} samples leaves an empty split`);
    train = [pair[0].slice(0, 0, cut), pair[1].slice(0, 0, cut)];
    validation = [pair[0].slice(0, cut), pair[1].slice(0, cut)];
  }
  const loader = loaderOf(train, { batchSize, shuffle: opts.shuffle ?? true, seed: opts.seed });
  const clip = opts.clipGradNorm;
  if (clip !== undefined && !(clip > 0)) fail("fit", `clipGradNorm must be a positive number, got ${clip}`);
  const steps = opts.stepsPerEpoch;
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) fail("fit", `stepsPerEpoch must be a positive integer, got ${steps}`);
  const metrics = metricsOf(opts.metrics, opts.loss);
  const callbacks = [...(opts.verbose === 0 ? [] : [defaultProgress()]), ...(opts.callbacks ?? [])];
  const history = new History();
  last = history;
  const state: TrainState = { model, history, epochs, stepsPerEpoch: steps ?? loader.length ?? NaN, batchSize, stopTraining: false };

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      // a second Ctrl-C means "now": fall back to the default, which ends the process
      process.removeListener("SIGINT", onSigint);
      process.kill(process.pid, "SIGINT");
    }
  };
  process.on("SIGINT", onSigint);
  // inside a kernel the interrupt button is counted by the kernel, not delivered as SIGINT to us
  const kernelAtStart = kernelInterrupts();
  const interrupted = () => interrupts > 0 || kernelInterrupts() !== kernelAtStart;
  const started = performance.now();
  let samples = 0;
  // with stepsPerEpoch, one pass over the data may span several epochs
  let batches: Iterator<readonly Tensor[]> | undefined;
  let fresh = false;
  const nextBatch = (): IteratorResult<readonly Tensor[]> => {
    if (!batches) {
      batches = loader[Symbol.iterator]();
      fresh = true;
    }
    const next = batches.next();
    if (next.done) {
      batches = undefined;
      // a pass that ends an epoch exactly, or an empty data set, does not start another inside it
      if (steps !== undefined && !fresh) return nextBatch();
    } else fresh = false;
    return next;
  };
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(state);
    for (let epoch = 0; epoch < epochs && !state.stopTraining && !interrupted(); epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, state);
      model.train();
      metrics.forEach((m) => m.reset());
      let lossSum = 0, seen = 0, batch = 0;
      let lastYield = performance.now();
      if (steps === undefined) batches = undefined;
      for (; steps === undefined || batch < steps; ) {
        // One step in one tidy scope: on the tfjs backend every array made here (the batch
        // included) is freed at its end, except the parameters and optimizer state kept by
        // their owners. Only plain numbers leave the scope.
        const step = tidy(() => {
          const next = nextBatch();
          if (next.done) return undefined;
          const [xb, yb] = next.value;
          opts.optimizer.zeroGrad();
          const out = model.forward(xb);
          const l = loss(out, yb);
          const value = l.item();
          if (!Number.isFinite(value)) return { value, n: xb.shape[0] };
          l.backward();
          const gradNorm = clip === undefined ? undefined : clipGradNorm(model.parameters(), clip);
          opts.optimizer.step();
          const detached = out.detach();
          metrics.forEach((m) => m.update(detached, yb));
          return { value, n: xb.shape[0], gradNorm };
        });
        if (!step) break;
        if (!Number.isFinite(step.value)) {
          history.stopReason = "diverged";
          const e = new GradlabError(
            "fit",
            `the loss became ${step.value} at epoch ${epoch + 1}, batch ${batch + 1}; the weights are no longer usable. ` +
              `Lower the learning rate, check the inputs for NaN, or run with detectAnomaly(true) to find the op that produced it`,
          );
          throw Object.assign(e, { history });
        }
        lossSum += step.value * step.n;
        seen += step.n;
        samples += step.n;
        const logs: Logs = { loss: lossSum / seen };
        if (step.gradNorm !== undefined) logs.gradNorm = step.gradNorm;
        for (const cb of callbacks) if (cb.onBatchEnd) await cb.onBatchEnd(batch, logs, state);
        batch++;
        if (interrupted()) break;
        if (performance.now() - lastYield > 100) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      const logs: Logs = { loss: lossSum / Math.max(seen, 1) };
      for (const m of metrics) logs[m.name] = m.result();
      if (validation !== undefined && !interrupted()) {
        const v = evaluate(model, validation, { loss, metrics: opts.metrics, batchSize });
        for (const [k, val] of Object.entries(v)) logs["val" + k[0].toUpperCase() + k.slice(1)] = val;
      }
      const lr = opts.optimizer.paramGroups?.[0]?.lr;
      if (lr !== undefined) logs.lr = lr;
      history.record(epoch, logs);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, state);
    }
    if (interrupted()) history.stopReason = "interrupted";
    else if (state.stopTraining) history.stopReason = "stopped by callback";
    for (const cb of callbacks) await cb.onTrainEnd?.(state);
  } finally {
    process.removeListener("SIGINT", onSigint);
    history.seconds = (performance.now() - started) / 1000;
    history.samplesPerSecond = samples / Math.max(history.seconds, 1e-9);
    model.eval();
  }
  return history;
}

/** A live display inside a notebook kernel, a progress bar in a terminal. */
function defaultProgress(): Callback {
  return inKernel() ? new LiveProgress() : new ProgressBar();
}

let last: History | undefined;
/**
 * The History of the latest fit(), also while it runs. In a notebook the
 * interrupt button ends the cell at once, so `const h = await fit(...)` never
 * assigns h: the model keeps what it learned, and lastHistory() has the rest.
 */
export function lastHistory(): History | undefined {
  return last;
}

/** Loss and metrics over a whole data set, without recording a graph; the model is put in eval mode. */
export function evaluate(model: TrainableModel, data: FitData, opts: EvaluateOptions): Logs {
  const loss = lossFn(opts.loss);
  const metrics = metricsOf(opts.metrics, opts.loss);
  model.eval();
  let lossSum = 0, seen = 0;
  noGrad(() => {
    const batches = loaderOf(data, { batchSize: opts.batchSize ?? 256, shuffle: false })[Symbol.iterator]();
    for (;;) {
      const done = tidy(() => {
        const next = batches.next();
        if (next.done) return true;
        const [xb, yb] = next.value;
        const out = model.forward(xb);
        const n = xb.shape[0];
        lossSum += loss(out, yb).item() * n;
        seen += n;
        metrics.forEach((m) => m.update(out, yb));
        return false;
      });
      if (done) break;
    }
  });
  const logs: Logs = { loss: lossSum / Math.max(seen, 1) };
  for (const m of metrics) logs[m.name] = m.result();
  return logs;
}

/** The model's outputs for every input, batch by batch, concatenated; no graph is recorded. */
export function predict(model: TrainableModel, x: Tensor, opts: { batchSize?: number } = {}): Tensor {
  const bs = opts.batchSize ?? 256;
  model.eval();
  return noGrad(() => {
    const outs: Tensor[] = [];
    for (let at = 0; at < x.shape[0]; at += bs) outs.push(tidy(() => model.forward(x.slice(0, at, at + bs))));
    if (!outs.length) fail("predict", `no inputs: x has shape ${fmtShape(x.shape)}`);
    if (outs.length === 1) return outs[0];
    const all = catTensors(outs);
    dispose(...outs);
    return all;
  });
}


