import { DataLoader, Tensor, manualSeed, nn, noGrad, optim, SequenceDataset, shakespeare, tensor, tidy } from "../../src";
import { Generator } from "../../src/tensor/random";
import type { Experiment } from "./common";

/**
 * 001 §4.2's RNNModel: Embedding -> LSTM -> Linear, trained here as a
 * character language model on tiny Shakespeare. 001's forward keeps only
 * the last time step (out[:, -1, :]); a language model predicts the next
 * character at *every* step, so the Linear layer is applied to all of them.
 */
export class CharModel extends nn.Module {
  embed: nn.Embedding;
  rnn: nn.LSTM;
  fc: nn.Linear;
  constructor(vocab: number, embed: number, hidden: number, layers: number) {
    super();
    this.embed = new nn.Embedding(vocab, embed);
    this.rnn = new nn.LSTM(embed, hidden, { numLayers: layers, batchFirst: true });
    this.fc = new nn.Linear(hidden, vocab);
  }
  forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(this.embed.forward(x));
    return this.fc.forward(out);
  }
}

/** Samples `n` characters after `prompt`, at a temperature (low: safe and repetitive; high: adventurous). */
export function sample(model: CharModel, encode: (s: string) => number[], decode: (ids: number[]) => string, prompt: string, n: number, temperature: number, gen: Generator): string {
  model.eval();
  return noGrad(() => {
    const ids = encode(prompt);
    for (let i = 0; i < n; i++) {
      const ctx = ids.slice(-64);
      const p = tidy(() => model.forward(tensor([ctx], { dtype: "int32" })).select(1, -1).select(0, 0).div(temperature).softmax(-1).values());
      let r = gen.uniform(), k = 0;
      while (k < p.length - 1 && (r -= p[k]) > 0) k++;
      ids.push(k);
    }
    return decode(ids);
  });
}

export const charLstm: Experiment = {
  title: "character LSTM language model on tiny Shakespeare",
  source: "001 §4.2",
  async run(ctx) {
    manualSeed(ctx.seed);
    const corpus = shakespeare.load();
    const seqLen = ctx.quick ? 32 : 64;
    // full: one LSTM layer of 128, small enough to train on the js backend in minutes; GRADLAB_LSTM_HIDDEN and
    // GRADLAB_LSTM_LAYERS give bigger models
    const hidden = Number(process.env.GRADLAB_LSTM_HIDDEN ?? 128), layers = Number(process.env.GRADLAB_LSTM_LAYERS ?? 1);
    const model = ctx.quick ? new CharModel(corpus.vocab.size, 16, 32, 1) : new CharModel(corpus.vocab.size, 32, hidden, layers);
    const train = new SequenceDataset(ctx.quick ? corpus.train.slice(0, 0, 20000) : corpus.train, seqLen, { stride: seqLen });
    const val = new SequenceDataset(ctx.quick ? corpus.validation.slice(0, 0, 4000) : corpus.validation, seqLen, { stride: seqLen });
    const loader = new DataLoader(train, { batchSize: 32, shuffle: true, seed: ctx.seed });
    const optimizer = new optim.Adam(model.parameters(), { lr: 2e-3 });
    const epochs = ctx.quick ? 1 : Number(process.env.GRADLAB_LSTM_EPOCHS ?? 2);
    const vocab = corpus.vocab.size;
    const perplexities: number[] = [];
    const started = performance.now();
    let samples = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      model.train();
      const batches = loader[Symbol.iterator]();
      let step = 0, lastLog = performance.now();
      // each step in a tidy() scope, so the tfjs backend frees what the step made
      while (tidy(() => {
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          console.log(`epoch ${epoch + 1}/${epochs}: batch ${step}/${loader.length}, ${(samples / ((lastLog - started) / 1000)).toFixed(1)} sequences/s`);
        }
        step++;
        const next = batches.next();
        if (next.done) return false;
        const [x, y] = next.value;
        optimizer.zeroGrad();
        const logits = model.forward(x);
        const loss = nn.functional.crossEntropy(logits.reshape([-1, vocab]), y.reshape([-1]));
        loss.backward();
        optim.clipGradNorm(model.parameters(), 1.0);
        optimizer.step();
        samples += x.shape[0];
        return true;
      }));
      perplexities.push(validationPerplexity(model, val, vocab));
      console.log(`epoch ${epoch + 1}/${epochs}: validation perplexity per character ${perplexities[epoch].toFixed(3)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const gen = new Generator(ctx.seed);
    const enc = (s: string) => Array.from(corpus.vocab.encode(s));
    const dec = (ids: number[]) => corpus.vocab.decode(ids);
    const samplesText = [0.5, 1.0].map((t) => ({ temperature: t, text: sample(model, enc, dec, "ROMEO:", ctx.quick ? 40 : 300, t, gen) }));
    for (const s of samplesText) console.log(`\n--- sample at temperature ${s.temperature}\n${s.text}`);
    const ppl = perplexities[perplexities.length - 1];
    return {
      rows: [
        { metric: "validation perplexity per character", measured: ppl.toFixed(3) },
        { metric: "model", measured: ctx.quick ? "quick: embed 16, LSTM 32" : `embed 32, LSTM ${hidden} x ${layers}` },
        { metric: "epochs", measured: String(epochs) },
        { metric: "training time", measured: `${seconds.toFixed(0)} s` },
      ],
      values: { validationPerplexity: ppl, perplexities, epochs, seconds, sequencesPerSecond: samples / seconds, samples: samplesText },
    };
  },
};

/** exp(mean cross-entropy per character) over the validation text. */
export function validationPerplexity(model: CharModel, val: SequenceDataset, vocab: number): number {
  model.eval();
  return noGrad(() => {
    let sum = 0, n = 0;
    const batches = new DataLoader(val, { batchSize: 64 })[Symbol.iterator]();
    while (tidy(() => {
      const next = batches.next();
      if (next.done) return false;
      const [x, y] = next.value;
      const logits = model.forward(x);
      sum += nn.functional.crossEntropy(logits.reshape([-1, vocab]), y.reshape([-1]), { reduction: "sum" }).item();
      n += y.numel();
      return true;
    }));
    return Math.exp(sum / n);
  });
}
