import assert from "node:assert/strict";
import { runExperiment } from "../../bench/experiment";

/**
 * Every experiment of the source documents runs end to end in quick mode (a
 * small slice of the data), so the scripts behind the README's table cannot
 * rot. The full runs are `npm run experiment -- NAME`.
 */
describe("experiments (quick mode)", function () {
  this.timeout(180_000);
  // the experiments print tables and progress bars; the test output keeps only the verdicts
  const quiet = <T>(fn: () => Promise<T>): Promise<T> => {
    const log = console.log;
    const write = process.stdout.write;
    console.log = () => {};
    process.stdout.write = (() => true) as typeof process.stdout.write;
    return fn().finally(() => {
      console.log = log;
      process.stdout.write = write;
    });
  };
  const run = (name: string) => quiet(() => runExperiment(name, { quick: true, seed: 0 }));

  it("003: the 200x20 classification reaches a held-out accuracy well above chance", async () => {
    const r = await run("classification");
    assert.ok((r.heldOutAccuracy as number) > 0.75, `accuracy ${r.heldOutAccuracy}`);
    assert.ok((r.heldOutRecall as number) > 0.5);
  });

  it("004: fit() and the PyTorch-style loop give identical losses with the same seed", async () => {
    const r = await run("binary-classifier");
    assert.equal(r.maxLossDifference, 0);
    const losses = r.fitLosses as number[];
    assert.ok(losses[losses.length - 1] < losses[0], `losses ${losses}`);
  });

  it("002: the one-conv CNN with Adam learns in one epoch on 1,024 images", async () => {
    const r = await run("mnist-cnn-adam");
    assert.ok((r.testAccuracy as number) > 0.5, `test accuracy ${r.testAccuracy}`);
  });

  it("000: the two-conv CNN with SGD and momentum runs and beats chance", async () => {
    const r = await run("mnist-cnn-sgd");
    assert.ok((r.testAccuracy as number) > 0.15, `test accuracy ${r.testAccuracy}`);
  });

  it("001: the character LSTM lowers perplexity below a uniform guess and samples text", async () => {
    const r = await run("char-lstm");
    assert.ok((r.validationPerplexity as number) < 65, `perplexity ${r.validationPerplexity} (uniform over 65 characters is 65)`);
    const samples = r.samples as { text: string }[];
    assert.ok(samples.every((s) => s.text.startsWith("ROMEO:") && s.text.length > 20));
  });
});
