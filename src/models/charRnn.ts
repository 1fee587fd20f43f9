import { noGrad } from "../autograd/mode";
import { tidy } from "../backend";
import { DataLoader } from "../data/dataset";
import { CharCorpus, CharVocab, SequenceDataset } from "../data/text";
import { fail } from "../errors";
import { Embedding } from "../nn/embedding";
import { crossEntropy } from "../nn/loss";
import { Linear } from "../nn/linear";
import { Module } from "../nn/module";
import { LSTM } from "../nn/rnn";
import { Adam } from "../optim/adam";
import { CosineAnnealingLR } from "../optim/scheduler";
import { Generator, defaultGenerator, manualSeed } from "../tensor/random";
import { Tensor } from "../tensor/tensor";
import { tensor } from "../tensor/creation";
import { Callback, LearningRateScheduler } from "../train/callbacks";
import { evaluate, fit, FitData } from "../train/fit";
import { History } from "../train/history";

/**
 * 001 §4.2's RNNModel, Embedding -> LSTM -> Linear, as a character language
 * model: it reads characters (ids) and gives, after each one, the logits of
 * the next. 001's forward keeps only the last step (out[:, -1, :]); a
 * language model learns from a prediction at *every* step, so the Linear
 * layer is applied to all of them.
 */
export class RNNModel extends Module<[Tensor], Tensor> {
  embed: Embedding;
  rnn: LSTM;
  fc: Linear;

  constructor(readonly vocabSize: number, readonly embedSize: number, readonly hiddenSize: number, readonly numLayers = 1) {
    super();
    this.embed = new Embedding(vocabSize, embedSize);
    this.rnn = new LSTM(embedSize, hiddenSize, { numLayers, batchFirst: true });
    this.fc = new Linear(hiddenSize, vocabSize);
  }

  /** Logits [batch, time, vocab] of the character after each position of x (int32 [batch, time]), from a zero state. */
  forward(x: Tensor): Tensor {
    return this.step(x)[0];
  }

  /** 001's forward(x, h0, c0): the logits and the LSTM's final state (h, c), which the next call can carry on from. */
  step(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [out, next] = this.rnn.forward(this.embed.forward(x), state);
    return [this.fc.forward(out), next];
  }
}

/** Mean cross-entropy per character of logits [batch, time, vocab] against the next characters [batch, time]. */
export function charLoss(logits: Tensor, target: Tensor): Tensor {
  const V = logits.shape[logits.ndim - 1];
  return crossEntropy(logits.reshape([-1, V]), target.reshape([-1]));
}

/**
 * Perplexity per character: exp(mean cross-entropy), the number of
 * characters the model is as unsure between as a fair die with that many
 * faces. A uniform guess over 65 characters scores 65.
 */
export function perplexity(model: RNNModel, data: FitData, batchSize = 64): number {
  return Math.exp(evaluate(model, data, { loss: charLoss, batchSize }).loss);
}

export interface SampleOptions {
  /** Divides the logits: below 1 sharpens the distribution (safe, repetitive), above 1 flattens it (adventurous); 0 always takes the most likely character. Default 1. */
  temperature?: number;
  /** Draws from this generator (default: the default one, which manualSeed fixes). */
  generator?: Generator;
}

/**
 * `length` characters after `prompt`, drawn one at a time from the model's
 * distribution over the next character. The LSTM's state is carried from
 * step to step, so each new character costs one step, not a rerun of the text.
 */
export function sample(model: RNNModel, vocab: CharVocab, prompt: string, length: number, opts: SampleOptions = {}): string {
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0)) fail("sample", `temperature must be >= 0, got ${temperature}`);
  if (prompt.length === 0) fail("sample", "the prompt must hold at least one character");
  const gen = opts.generator ?? defaultGenerator;
  const ids = Array.from(vocab.encode(prompt));
  model.eval();
  noGrad(() => {
    let input = ids;
    let state: [Tensor, Tensor] | undefined;
    for (let i = 0; i < length; i++) {
      const [p, next] = tidy(() => {
        const [logits, s] = model.step(tensor([input], { dtype: "int32" }), state);
        const last = logits.select(1, -1).select(0, 0);
        return [temperature === 0 ? last.values() : last.div(temperature).softmax(-1).values(), s] as const;
      });
      state = next;
      let k = 0;
      if (temperature === 0) {
        for (let j = 1; j < p.length; j++) if (p[j] > p[k]) k = j;
      } else {
        let r = gen.uniform();
        while (k < p.length - 1 && (r -= p[k]) > 0) k++;
      }
      ids.push(k);
      input = [k];
    }
  });
  return vocab.decode(ids);
}

export interface CharTrainingOptions {
  embedSize?: number;
  hiddenSize: number;
  numLayers?: number;
  /** Characters per training sequence: how far back backpropagation through time reaches. */
  seqLen: number;
  batchSize: number;
  /** Adam's learning rate at the start; it decays to lr/10 along a cosine over the run. */
  lr: number;
  /** Passes over the training text (fractions allowed). */
  passes: number;
  /** Validate (perplexity on the validation text) every this many batches. */
  validateEvery: number;
  /** Maximum total norm of the gradients (see optim.clipGradNorm). Default 1. */
  clipGradNorm?: number;
  seed?: number;
  /** Train and validate on the first this many characters of each part only (quick runs). */
  trainChars?: number;
  validationChars?: number;
  callbacks?: readonly Callback[];
  verbose?: 0 | 1;
}

export interface CharTrainingRun {
  model: RNNModel;
  history: History;
  /** Batches trained after each validation, and the validation perplexity then. */
  steps: number[];
  perplexities: number[];
  /** The training text's perplexity over each stretch of validateEvery batches (exp of the mean loss). */
  trainPerplexities: number[];
  seconds: number;
  charactersPerSecond: number;
}

/**
 * Trains an RNNModel on a character corpus: non-overlapping windows of
 * seqLen characters in shuffled batches, Adam, the gradients clipped,
 * validated along the way. It is one call of fit():
 *
 *   fit(model, loader, { loss: charLoss, optimizer: new Adam(...), clipGradNorm: 1,
 *                        stepsPerEpoch: validateEvery, validationData, callbacks: [cosine decay] })
 */
export async function trainCharModel(corpus: CharCorpus, opts: CharTrainingOptions): Promise<CharTrainingRun> {
  const op = "trainCharModel";
  for (const k of ["hiddenSize", "seqLen", "batchSize", "validateEvery"] as const) {
    if (!(Number.isInteger(opts[k]) && opts[k] > 0)) fail(op, `${k} must be a positive integer, got ${opts[k]}`);
  }
  if (!(opts.lr > 0)) fail(op, `lr must be positive, got ${opts.lr}`);
  if (!(opts.passes > 0)) fail(op, `passes must be positive, got ${opts.passes}`);
  if (opts.seed !== undefined) manualSeed(opts.seed);
  const trainIds = opts.trainChars ? corpus.train.slice(0, 0, opts.trainChars) : corpus.train;
  const valIds = opts.validationChars ? corpus.validation.slice(0, 0, opts.validationChars) : corpus.validation;
  const model = new RNNModel(corpus.vocab.size, opts.embedSize ?? 64, opts.hiddenSize, opts.numLayers ?? 1);
  const loader = new DataLoader(new SequenceDataset(trainIds, opts.seqLen), { batchSize: opts.batchSize, shuffle: true });
  const validation = new DataLoader(new SequenceDataset(valIds, opts.seqLen), { batchSize: 64 });
  const rounds = Math.max(1, Math.round((opts.passes * loader.length) / opts.validateEvery));
  const optimizer = new Adam(model.parameters(), { lr: opts.lr });
  // per round (fit's epoch): a cosine from lr down to lr/10 at the end
  const schedule = new CosineAnnealingLR(optimizer, { tMax: rounds, etaMin: opts.lr / 10 });
  const history = await fit(model, loader, {
    loss: charLoss,
    optimizer,
    epochs: rounds,
    stepsPerEpoch: opts.validateEvery,
    clipGradNorm: opts.clipGradNorm ?? 1,
    validationData: validation,
    batchSize: 64,
    callbacks: [new LearningRateScheduler(schedule), ...(opts.callbacks ?? [])],
    verbose: opts.verbose,
  });
  const done = history.epochs.length;
  return {
    model,
    history,
    steps: history.epochs.map((e) => (e + 1) * opts.validateEvery),
    perplexities: (history.history.valLoss ?? []).map(Math.exp),
    trainPerplexities: (history.history.loss ?? []).map(Math.exp),
    seconds: history.seconds,
    charactersPerSecond: (done * opts.validateEvery * opts.batchSize * opts.seqLen) / Math.max(history.seconds, 1e-9),
  };
}

/**
 * The settings chapter 9 and `npm run experiment -- char-lstm` both train
 * with, so the two give the same numbers. Full: one LSTM layer of 256,
 * two passes over the whole text (1,000 batches), which reach a validation
 * perplexity per character below 6 (one pass reached 6.1 on the first 30,000
 * validation characters). Quick: a small model on a slice, only to show that it all runs.
 */
export function charLstmSettings(quick: boolean): CharTrainingOptions {
  return quick
    ? { embedSize: 32, hiddenSize: 64, seqLen: 32, batchSize: 32, lr: 3e-3, passes: 1, validateEvery: 10, trainChars: 30_000, validationChars: 5_000, seed: 0 }
    : { embedSize: 64, hiddenSize: 256, seqLen: 64, batchSize: 32, lr: 3e-3, passes: 2, validateEvery: 100, seed: 0 };
}
