import assert from "node:assert/strict";
import {
  DataLoader, TensorDataset, makeMoons, manualSeed, nn, optim, randn, tensor, GradlabError, Tensor,
} from "../../src";
import { EarlyStopping, History, ProgressBar, fit, evaluate, predict } from "../../src/train";
import { assertThrowsOp } from "../helpers";
import * as backends from "../../src/backend";

function moons(n = 256) {
  const { x, y } = makeMoons(n, { noise: 0.1, seed: 3 });
  return { x, y };
}

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 2));
}

describe("fit", () => {
  it("learns the two moons and reports loss and accuracy per epoch", async () => {
    manualSeed(0);
    const { x, y } = moons();
    const model = mlp();
    const h = await fit(model, [x, y], {
      loss: "crossEntropy", optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }),
      epochs: 30, batchSize: 32, metrics: ["accuracy"], verbose: 0, seed: 1,
    });
    assert.equal(h.epochs.length, 30);
    assert.ok(h.history.loss[29] < h.history.loss[0] / 3, `loss ${h.history.loss[0]} -> ${h.history.loss[29]}`);
    assert.ok(h.last("accuracy")! > 0.95, `accuracy ${h.last("accuracy")}`);
    const e = evaluate(model, { x, y }, { loss: "crossEntropy", metrics: ["accuracy"] });
    assert.ok(e.accuracy > 0.95);
    assert.deepEqual(predict(model, x, { batchSize: 100 }).shape, [256, 2]);
  });

  it("fit and a hand-written loop over the same DataLoader give identical losses", async () => {
    const { x, y } = moons(96);
    manualSeed(5);
    const a = mlp();
    const h = await fit(a, new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true, seed: 9 }), {
      loss: "crossEntropy", optimizer: new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), epochs: 3, verbose: 0,
    });
    manualSeed(5);
    const b = mlp();
    const opt = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 16, shuffle: true, seed: 9 });
    const losses: number[] = [];
    for (let e = 0; e < 3; e++) {
      let s = 0, n = 0;
      for (const [xb, yb] of loader) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(b.forward(xb), yb);
        loss.backward();
        opt.step();
        s += loss.item() * xb.shape[0];
        n += xb.shape[0];
      }
      losses.push(s / n);
    }
    assert.deepEqual(h.history.loss, losses);
  });

  it("the same seed gives a bit-identical loss curve twice", async () => {
    const run = async () => {
      manualSeed(11);
      const { x, y } = moons(64);
      const m = mlp();
      return (await fit(m, [x, y], { loss: "crossEntropy", optimizer: new optim.SGD(m.parameters(), { lr: 0.2 }), epochs: 4, batchSize: 8, verbose: 0 })).history.loss;
    };
    assert.deepEqual(await run(), await run());
  });

  it("validationSplit holds out the last samples and logs valLoss/valAccuracy", async () => {
    manualSeed(0);
    const { x, y } = moons(100);
    const m = mlp();
    const h = await fit(m, [x, y], { loss: "crossEntropy", optimizer: new optim.Adam(m.parameters()), epochs: 2, batchSize: 20, validationSplit: 0.2, metrics: ["accuracy"], verbose: 0 });
    assert.equal(h.history.valLoss.length, 2);
    assert.ok(h.history.valAccuracy.every((v) => v >= 0 && v <= 1));
    assert.equal(h.history.lr[0], 1e-3);
  });

  it("EarlyStopping stops after `patience` epochs without improvement and restores the best weights", async () => {
    manualSeed(0);
    const { x, y } = moons(64);
    const m = mlp();
    // a scripted validation loss: best at epoch 2 (index 1), then two epochs without improvement, then a better one it never sees
    const script = [1.0, 0.8, 0.9, 0.85, 0.7];
    let bestWeights: number[] = [];
    const scripted = {
      onEpochEnd: (epoch: number, logs: Record<string, number>) => {
        logs.valLoss = script[epoch];
        if (epoch === 1) bestWeights = Array.from(m.parameters()[0].values());
      },
    };
    const es = new EarlyStopping({ monitor: "valLoss", patience: 2, restoreBestWeights: true });
    const h = await fit(m, [x, y], {
      loss: "crossEntropy", optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), epochs: 5, batchSize: 16,
      validationData: [x, y], callbacks: [scripted, es], verbose: 0,
    });
    assert.equal(h.stopReason, "stopped by callback");
    assert.equal(es.bestEpoch, 1);
    assert.equal(es.stoppedEpoch, 3);
    assert.equal(h.epochs.length, 4);
    assert.deepEqual(Array.from(m.parameters()[0].values()), bestWeights);
  });

  it("Ctrl-C (SIGINT) stops after the current batch and keeps the model and history", async () => {
    manualSeed(0);
    const { x, y } = moons(128);
    const m = mlp();
    let batches = 0;
    const h = await fit(m, [x, y], {
      loss: "crossEntropy", optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), epochs: 50, batchSize: 8, verbose: 0,
      callbacks: [{ onBatchEnd: (b: number) => { batches++; if (batches === 20) process.emit("SIGINT"); } }],
    });
    assert.equal(h.stopReason, "interrupted");
    assert.equal(batches, 20);
    assert.equal(h.epochs.length, 2); // epoch 1 complete (16 batches), epoch 2 cut short and recorded
    assert.equal(process.listenerCount("SIGINT"), 0);
  });

  it("a loss that becomes NaN stops training with a clear error that keeps the history", async () => {
    const x = randn([16, 2]);
    const bad = tensor(new Array(16).fill(NaN)).reshape([16, 1]);
    const m = new nn.Sequential(new nn.Linear(2, 1));
    await assert.rejects(
      fit(m, [x, bad], { loss: "mse", optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), epochs: 1, batchSize: 4, verbose: 0 }),
      (e: unknown) => e instanceof GradlabError && /became NaN at epoch 1, batch 1/.test(e.message) && (e as GradlabError & { history: History }).history instanceof History,
    );
  });

  it("mismatched batch sizes and bad options name what is wrong", async () => {
    const m = mlp();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    await assert.rejects(fit(m, [randn([10, 2]), tensor([1, 0, 1], { dtype: "int32" })], { loss: "crossEntropy", optimizer: opt, verbose: 0 }), /\[10,2\].*\[3\]/);
    await assert.rejects(fit(m, [randn([10, 2]), randn([10])], { loss: "crossEntropy", optimizer: opt, validationSplit: 1.5, verbose: 0 }), /validationSplit/);
    assertThrowsOp(() => evaluate(m, [randn([4, 2]), randn([4])], { loss: "nope" as "mse" }), "fit", "unknown loss");
    await assert.rejects(fit(m, [randn([10, 2]), randn([10])], { loss: "mse", optimizer: opt, clipGradNorm: 0, verbose: 0 }), /clipGradNorm must be a positive number, got 0/);
    await assert.rejects(fit(m, [randn([10, 2]), randn([10])], { loss: "mse", optimizer: opt, stepsPerEpoch: 2.5, verbose: 0 }), /stepsPerEpoch must be a positive integer, got 2.5/);
  });

  /** The losses, and the gradient norm before clipping, of a hand-written loop with clipGradNorm (PyTorch's way). */
  function clippedLoop(model: nn.Sequential, loader: DataLoader, batches: number, maxNorm: number) {
    const opt = new optim.SGD(model.parameters(), { lr: 0.5 });
    const losses: number[] = [], norms: number[] = [];
    while (losses.length < batches) {
      for (const [xb, yb] of loader) {
        if (losses.length === batches) break;
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(xb), yb);
        loss.backward();
        norms.push(optim.clipGradNorm(model.parameters(), maxNorm));
        opt.step();
        losses.push(loss.item());
      }
    }
    return { losses, norms };
  }

  it("clipGradNorm clips between backward and step, as the hand-written loop does, and logs the norm before clipping", async () => {
    const { x, y } = moons(64);
    manualSeed(2);
    const a = mlp();
    const seen: Record<string, number>[] = [];
    await fit(a, new DataLoader(new TensorDataset(x, y), { batchSize: 8, shuffle: true, seed: 4 }), {
      loss: "crossEntropy", optimizer: new optim.SGD(a.parameters(), { lr: 0.5 }), epochs: 1, verbose: 0, clipGradNorm: 0.05,
      callbacks: [{ onBatchEnd: (_, logs) => void seen.push({ ...logs }) }],
    });
    manualSeed(2);
    const ref = clippedLoop(mlp(), new DataLoader(new TensorDataset(x, y), { batchSize: 8, shuffle: true, seed: 4 }), 8, 0.05);
    assert.deepEqual(seen.map((s) => s.gradNorm), ref.norms);
    assert.ok(ref.norms.every((n) => n > 0.05), `the norms ${ref.norms} exceed the bound, so clipping acted`);
    // a batch's logs carry the running mean of the epoch's losses
    seen.forEach((s, i) => {
      const mean = ref.losses.slice(0, i + 1).reduce((p, q) => p + q) / (i + 1);
      assert.ok(Math.abs(s.loss - mean) < 1e-6, `batch ${i}: ${s.loss} vs ${mean}`);
    });
  });

  it("stepsPerEpoch: epochs of a fixed number of batches that run on through the data, validated at each end", async () => {
    const { x, y } = moons(80); // 10 batches of 8 per pass
    manualSeed(3);
    const a = mlp();
    const h = await fit(a, new DataLoader(new TensorDataset(x, y), { batchSize: 8, shuffle: true, seed: 6 }), {
      loss: "crossEntropy", optimizer: new optim.SGD(a.parameters(), { lr: 0.5 }), epochs: 6, stepsPerEpoch: 4, verbose: 0,
      clipGradNorm: 1e6, validationData: [x, y],
    });
    // 6 epochs x 4 batches = 24 batches: two passes over the data, then 4 batches of a third
    manualSeed(3);
    const ref = clippedLoop(mlp(), new DataLoader(new TensorDataset(x, y), { batchSize: 8, shuffle: true, seed: 6 }), 24, 1e6);
    const perEpoch = [0, 1, 2, 3, 4, 5].map((e) => ref.losses.slice(4 * e, 4 * e + 4).reduce((p, q) => p + q) / 4);
    assert.equal(h.epochs.length, 6);
    h.history.loss.forEach((l, e) => assert.ok(Math.abs(l - perEpoch[e]) < 1e-6, `epoch ${e}: ${l} vs ${perEpoch[e]}`));
    assert.equal(h.history.valLoss.length, 6);
  });
});

// keep the import used for type positions only
export type _T = Tensor;

describe("fit on the tfjs backend", function () {
  this.timeout(120_000);
  let previous: string;
  before(async function () {
    if (!backends.available().includes("tfjs")) this.skip();
    previous = backends.active().name;
    await backends.switchTo("tfjs");
  });
  after(async () => {
    if (previous) await backends.switchTo(previous);
  });

  it("trains with Adam and SGD+momentum for 3 epochs without growing the number of live tfjs tensors", async () => {
    for (const makeOpt of [(m: nn.Sequential) => new optim.Adam(m.parameters(), { lr: 0.05 }), (m: nn.Sequential) => new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 })]) {
      manualSeed(0);
      const { x, y } = makeMoons(128, { noise: 0.1, seed: 3 });
      const model = mlp();
      const opt = makeOpt(model);
      const counts: number[] = [];
      const h = await fit(model, [x, y], {
        loss: "crossEntropy", optimizer: opt, epochs: 3, batchSize: 16, metrics: ["accuracy"], validationSplit: 0.25, verbose: 0,
        callbacks: [{ onEpochEnd: () => { counts.push(backends.memory("tfjs")!.arrays); } }],
      });
      assert.ok(h.history.loss[2] < h.history.loss[0], `loss ${h.history.loss}`);
      // after the first epoch has created the optimizer state, nothing more accumulates
      assert.equal(counts[2], counts[1], `live arrays per epoch: ${counts}`);
    }
  });
});

describe("ProgressBar", () => {
  it("in a terminal redraws one line; in a log prints a line now and then and one per epoch", async () => {
    const run = async (isTTY: boolean, logEveryMs: number) => {
      const written: string[] = [];
      const out = { isTTY, write: (s: string) => { written.push(s); return true; } } as unknown as NodeJS.WriteStream;
      manualSeed(0);
      const { x, y } = moons(64);
      const m = mlp();
      await fit(m, [x, y], { loss: "crossEntropy", optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), epochs: 2, batchSize: 8, verbose: 0, callbacks: [new ProgressBar(out, logEveryMs)] });
      return written;
    };
    const tty = await run(true, 0);
    assert.ok(tty.every((w) => w.startsWith("\r")), "a terminal gets carriage returns");
    assert.match(tty[tty.length - 1], /^\rEpoch 2\/2 \[=+\] 8\/8 .*loss \d/);
    const log = await run(false, 0);
    assert.ok(log.every((w) => !w.includes("\r") && w.endsWith("\n")), "a log gets whole lines");
    assert.equal(log.filter((w) => / 8\/8 /.test(w)).length, 2, "one line per finished epoch");
    assert.ok(log.length > 2, "and lines while an epoch runs");
    assert.equal((await run(false, 60_000)).length, 2, "no more often than asked");
  });
});
