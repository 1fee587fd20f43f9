import assert from "node:assert/strict";
import { Generator, SequenceDataset, charCorpus, manualSeed, models, noGrad, tensor, cat } from "../../src";
import { assertClose, assertThrowsOp } from "../helpers";

describe("models: 001 §4.2's RNNModel as a character language model", () => {
  const corpus = charCorpus("the cat sat on the mat. ".repeat(60), { validationFraction: 0.2 });
  const V = corpus.vocab.size;

  it("forward gives logits for every position; step carries the LSTM state from one call to the next", () => {
    manualSeed(0);
    const m = new models.RNNModel(V, 8, 16, 2);
    const x = tensor([[1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1]], { dtype: "int32" });
    const whole = noGrad(() => m.forward(x));
    assert.deepEqual(whole.shape, [2, 7, V]);
    const [first, state] = noGrad(() => m.step(x.slice(1, 0, 3)));
    const [rest] = noGrad(() => m.step(x.slice(1, 3), state));
    assertClose(cat([first, rest], 1), whole.toArray() as number[][][], { rtol: 1e-5, atol: 1e-6 });
  });

  it("perplexity is exp of the mean cross-entropy per character over every window", () => {
    manualSeed(1);
    const m = new models.RNNModel(V, 8, 16);
    const data = new SequenceDataset(corpus.validation, 10);
    let sum = 0, n = 0;
    noGrad(() => {
      for (let i = 0; i < data.length; i++) {
        const [x, y] = data.get(i);
        const logp = m.forward(x.reshape([1, -1])).reshape([-1, V]).logSoftmax(-1).values();
        y.values().forEach((c, t) => (sum -= logp[t * V + c]));
        n += y.numel();
      }
    });
    assert.ok(Math.abs(models.perplexity(m, data, 4) - Math.exp(sum / n)) < 1e-3 * Math.exp(sum / n));
    const l = models.charLoss(noGrad(() => m.forward(tensor([[1, 2, 3]], { dtype: "int32" }))), tensor([[2, 3, 4]], { dtype: "int32" }));
    assert.deepEqual(l.shape, []);
  });

  it("sample: the prompt, then the asked number of characters; temperature 0 is the argmax of a rerun over the whole text", () => {
    manualSeed(2);
    const m = new models.RNNModel(V, 8, 16);
    const greedy = models.sample(m, corpus.vocab, "the ", 12, { temperature: 0 });
    assert.equal(greedy.length, 16);
    assert.ok(greedy.startsWith("the "));
    // the same, the slow way: the whole text so far through forward, the likeliest next character
    const ids = Array.from(corpus.vocab.encode("the "));
    for (let i = 0; i < 12; i++) {
      const logits = noGrad(() => m.forward(tensor([ids], { dtype: "int32" })).select(1, -1).select(0, 0).values());
      ids.push(logits.indexOf(Math.max(...logits)));
    }
    assert.equal(greedy, corpus.vocab.decode(ids));
    const a = models.sample(m, corpus.vocab, "cat", 30, { temperature: 1, generator: new Generator(5) });
    const b = models.sample(m, corpus.vocab, "cat", 30, { temperature: 1, generator: new Generator(5) });
    assert.equal(a, b, "the same generator seed draws the same text");
    assertThrowsOp(() => models.sample(m, corpus.vocab, "cat", 3, { temperature: -1 }), "sample", "temperature");
    assertThrowsOp(() => models.sample(m, corpus.vocab, "", 3), "sample", "prompt");
  });

  it("trainCharModel learns a repetitive text (perplexity near 1), validating along the way, the same twice with one seed", async function () {
    this.timeout(60_000);
    const opts = { embedSize: 8, hiddenSize: 32, seqLen: 12, batchSize: 8, lr: 1e-2, passes: 8, validateEvery: 10, seed: 3, verbose: 0 as const };
    const norms: number[] = [];
    const run = await models.trainCharModel(corpus, { ...opts, callbacks: [{ onBatchEnd: (_, logs) => void norms.push(logs.gradNorm) }] });
    assert.deepEqual(run.steps, run.perplexities.map((_, i) => (i + 1) * 10));
    assert.ok(run.perplexities[0] > 2 * run.perplexities[run.perplexities.length - 1], `perplexities ${run.perplexities}`);
    assert.ok(run.perplexities[run.perplexities.length - 1] < 1.5, `perplexities ${run.perplexities}`);
    assert.equal(norms.length, run.steps[run.steps.length - 1]);
    assert.ok(norms.every((n) => n > 0 && Number.isFinite(n)));
    const again = await models.trainCharModel(corpus, opts);
    assert.deepEqual(again.perplexities, run.perplexities);
    await assert.rejects(models.trainCharModel(corpus, { ...opts, seqLen: 0 }), /seqLen must be a positive integer, got 0/);
    await assert.rejects(models.trainCharModel(corpus, { ...opts, lr: -1 }), /lr must be positive/);
  });

  it("the shared settings of chapter 9 and the experiment: a small quick run, the full text in full", () => {
    const q = models.charLstmSettings(true), f = models.charLstmSettings(false);
    assert.ok(q.trainChars! < 100_000 && q.hiddenSize < f.hiddenSize);
    assert.equal(f.trainChars, undefined);
    assert.equal(f.validationChars, undefined);
  });
});
