import { backend, models, shakespeare } from "../../src";
import { Generator } from "../../src/tensor/random";
import type { Experiment } from "./common";

/**
 * 001 §4.2's RNNModel (Embedding -> LSTM -> Linear) as a character language
 * model on tiny Shakespeare. The model, the training and the settings are
 * those of chapter 9 (src/models/charRnn.ts), so the two runs agree.
 */
export const charLstm: Experiment = {
  title: "character LSTM language model on tiny Shakespeare",
  source: "001 §4.2",
  async run(ctx) {
    const corpus = shakespeare.load();
    const settings = { ...models.charLstmSettings(ctx.quick), seed: ctx.seed };
    let lastLog = performance.now();
    const run = await models.trainCharModel(corpus, {
      ...settings,
      verbose: ctx.quick ? 0 : 1,
      callbacks: [{
        onEpochEnd: (e, logs) => {
          console.log(`after ${(e + 1) * settings.validateEvery} batches: validation perplexity ${Math.exp(logs.valLoss).toFixed(3)} (${((performance.now() - lastLog) / 1000).toFixed(0)} s)`);
          lastLog = performance.now();
        },
      }],
    });
    const ppl = run.perplexities[run.perplexities.length - 1];
    const gen = new Generator(ctx.seed);
    const samples = [0.5, 0.8, 1.0].map((t) => ({ temperature: t, text: models.sample(run.model, corpus.vocab, "ROMEO:\n", ctx.quick ? 40 : 300, { temperature: t, generator: gen }) }));
    for (const s of samples) console.log(`\n--- sample at temperature ${s.temperature}\n${s.text}`);
    const batches = run.steps[run.steps.length - 1];
    return {
      rows: [
        { metric: "validation perplexity per character", measured: ppl.toFixed(3) },
        { metric: "model", measured: `embed ${settings.embedSize}, LSTM ${settings.hiddenSize} x ${settings.numLayers ?? 1}` },
        { metric: "training", measured: `${batches} batches of ${settings.batchSize} x ${settings.seqLen} characters, Adam lr ${settings.lr} (cosine to ${+(settings.lr / 10).toPrecision(3)}), clip norm ${settings.clipGradNorm ?? 1}` },
        { metric: "training time", measured: `${run.seconds.toFixed(0)} s, ${run.charactersPerSecond.toFixed(0)} characters/s on ${backend.info().engine}` },
      ],
      values: {
        validationPerplexity: ppl, perplexities: run.perplexities, trainPerplexities: run.trainPerplexities, steps: run.steps,
        seconds: run.seconds, charactersPerSecond: run.charactersPerSecond, engine: backend.info().engine, settings, samples,
      },
    };
  },
};
