import assert from "node:assert/strict";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as backends from "../../src/backend";
import { noGrad } from "../../src/autograd/mode";
import { maxPool2d } from "../../src/ops/conv";
import { Generator } from "../../src/tensor/random";
import { Tensor } from "../../src/tensor/tensor";
import { assertThrowsOp, backendsUnderTest } from "../helpers";

/** These suites test the tfjs backend itself; GRADLAB_TEST_BACKENDS=js skips them. */
const describeTfjs = backendsUnderTest().includes("tfjs") ? describe : describe.skip;

/*
 * tfjs tensors live in WebAssembly (or native) memory that the garbage
 * collector does not see. These tests pin down how the tfjs backend frees
 * them: tidy() scopes, keep(), in-place writes, and the finalizer behind it.
 */

const live = () => backends.memory("tfjs")!.arrays;
const gen = new Generator(7);
const on = { backend: "tfjs" };

/** A parameter: a leaf made outside any scope. */
const param = (shape: number[], scale: number) => Tensor.randn(shape, { ...on, generator: gen }).mul(scale).detach().requiresGrad_();

/** Plain SGD on a model written with gradlab ops, each step in a tidy() scope. */
function trainEpoch(params: Tensor[], forward: (x: Tensor) => Tensor, batches: number, batch: number, inShape: number[], classes: number): number {
  let last = 0;
  for (let b = 0; b < batches; b++) {
    last = backends.tidy(() => {
      const x = Tensor.randn([batch, ...inShape], { ...on, generator: gen });
      const labels = Tensor.fromTyped(Int32Array.from({ length: batch }, () => Math.floor(gen.uniform() * classes)), [batch, 1], on);
      const loss = forward(x).logSoftmax(-1).gather(1, labels).neg().mean();
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!.mul(0.05));
          p.grad = null;
        }
      });
      return loss.item();
    });
  }
  return last;
}

/** Runs three epochs and checks the engine holds exactly as many tensors after each. */
function threeEpochsBounded(params: Tensor[], forward: (x: Tensor) => Tensor, inShape: number[]): void {
  const start = live();
  const counts: number[] = [];
  const rss: number[] = [];
  for (let epoch = 0; epoch < 3; epoch++) {
    const loss = trainEpoch(params, forward, 15, 16, inShape, 10);
    assert.ok(Number.isFinite(loss), `epoch ${epoch}: loss ${loss}`);
    counts.push(live());
    rss.push(process.memoryUsage().rss);
  }
  assert.deepEqual(counts, [start, start, start], `tensors alive after each epoch (start ${start})`);
  // wasm memory grows to the first epoch's peak and is reused after; allow the JS heap some slack
  const growth = (rss[2] - rss[0]) / 2 ** 20;
  assert.ok(growth < 48, `process memory grew ${growth.toFixed(1)} MiB between epochs 1 and 3`);
}

describeTfjs("tfjs memory: tidy scopes, keep, in-place writes, finalizer", function () {
  this.timeout(120000);
  before(async () => {
    await backends.load("tfjs");
  });

  it("three epochs of an MLP trained with SGD do not grow the engine's tensor count", () => {
    const params = [param([20, 32], 0.2), param([32], 0), param([32, 10], 0.2), param([10], 0)];
    const [w1, b1, w2, b2] = params;
    threeEpochsBounded(params, (x) => x.matmul(w1).add(b1).relu().matmul(w2).add(b2), [20]);
  });

  it("three epochs of a tiny CNN (conv, relu, max pool, linear) do not either", () => {
    const params = [param([4, 1, 3, 3], 0.3), param([4], 0), param([4 * 4 * 4, 10], 0.1), param([10], 0)];
    const [k, kb, w, b] = params;
    threeEpochsBounded(params, (x) => maxPool2d(x.conv2d(k, kb, { padding: 1 }).relu(), 2).flatten(1).matmul(w).add(b), [1, 8, 8]);
  });

  it("tidy frees what fn made, except the tensors it returns (also inside arrays and objects)", () => {
    const a = Tensor.randn([3], on);
    const start = live();
    const { sum, parts } = backends.tidy(() => {
      const t = a.mul(2).add(1).exp();
      return { sum: t.sum(), parts: [t.sin(), 3] as const };
    });
    assert.equal(live(), start + 2, "only the two returned tensors remain");
    assert.ok(Number.isFinite(sum.item()) && parts[0].shape[0] === 3);
    backends.dispose(sum, parts[0]);
    assert.equal(live(), start);
  });

  it("a nested scope hands its result to the enclosing one, which frees it unless returned further", () => {
    const a = Tensor.randn([4], on);
    const start = live();
    backends.tidy(() => {
      const inner = backends.tidy(() => a.add(1).mul(3));
      assert.equal(backends.memory("tfjs")!.depth, 1);
      assert.equal(inner.shape[0], 4);
      assert.ok(live() > start);
    });
    assert.equal(live(), start);
  });

  it("keep() exempts a tensor made inside (an optimizer's state); dispose() frees it", () => {
    const start = live();
    let state: Tensor | undefined;
    backends.tidy(() => {
      state = backends.keep(Tensor.full([2], 0.5, on).mul(2));
    });
    assert.equal(live(), start + 1);
    assert.deepEqual([...state!.values()], [1, 1]);
    backends.dispose(state!);
    assert.equal(live(), start);
  });

  it("a tensor used after its scope ended fails with a message that says why", () => {
    let escaped: Tensor | undefined;
    backends.tidy(() => {
      escaped = Tensor.randn([2, 2], on).relu();
    });
    assertThrowsOp(() => escaped!.add(1), "tfjs", "tidy() scope", "keep()");
    assertThrowsOp(() => escaped!.values(), "tfjs", "freed");
  });

  it("an exception inside fn still frees the scope; an async fn is refused", () => {
    const start = live();
    assert.throws(() => backends.tidy(() => {
      Tensor.randn([5], on).exp();
      throw new Error("boom");
    }), /boom/);
    assert.equal(live(), start);
    assertThrowsOp(() => backends.tidy(() => Promise.resolve(Tensor.randn([1], on))), "tidy", "Promise");
    assert.equal(live(), start);
  });

  it("copy_ (an optimizer step outside any scope) frees the array it replaces", () => {
    const p = Tensor.randn([3, 3], on);
    const g = Tensor.randn([3, 3], on);
    const start = live();
    noGrad(() => p.sub_(g.mul(0.1)));
    // g.mul(0.1), p.detach().sub(...) and the scalars are unscoped temporaries (the finalizer's job); p's old array is gone
    const after = live();
    p.copy_(g);
    assert.equal(live(), after, "copy_ from an existing tensor adds nothing: the old array was freed");
    assert.deepEqual([...p.values()], [...g.values()]);
    assert.ok(after >= start);
  });

  it("on the js backend tidy only runs fn", () => {
    const r = backends.tidy(() => Tensor.full([2], 3, { backend: "js" }).add(1));
    assert.deepEqual([...r.values()], [4, 4]);
    assert.equal(backends.memory("js"), null);
  });

  it("arrays nobody references are freed by the finalizer after a garbage collection", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const start = live();
    (() => {
      for (let i = 0; i < 50; i++) Tensor.randn([8], on).exp();
    })();
    assert.ok(live() >= start + 50);
    for (let i = 0; i < 20 && live() > start + 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(live() <= start + 5, `${live() - start} of 100 unreachable arrays still alive`);
  });
});
