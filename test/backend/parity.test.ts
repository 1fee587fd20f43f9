import assert from "node:assert/strict";
import * as backends from "../../src/backend";
import { noGrad } from "../../src/autograd/mode";
import { maxPool2d } from "../../src/ops/conv";
import { Generator } from "../../src/tensor/random";
import { Tensor } from "../../src/tensor/tensor";
import { backendsUnderTest } from "../helpers";

/*
 * The same seeded CNN (conv, relu, max pool, linear), trained with plain SGD
 * on the same seeded data, on every backend: the losses of 20 steps agree.
 * The data and the initial weights are drawn once, on the host, so only
 * the kernels differ between the runs.
 */

interface Problem {
  x: Tensor[];
  y: Tensor[];
  init: Tensor[];
}

function problem(): Problem {
  const gen = new Generator(2024);
  const js = { backend: "js", generator: gen };
  const batches = 4, n = 8;
  const x = Array.from({ length: batches }, () => Tensor.randn([n, 2, 10, 10], js));
  const y = Array.from({ length: batches }, () =>
    Tensor.fromTyped(Int32Array.from({ length: n }, () => Math.floor(gen.uniform() * 5)), [n, 1], { backend: "js" }),
  );
  const init = [
    Tensor.randn([6, 2, 3, 3], js).mul(0.3),
    Tensor.randn([6], js).mul(0.1),
    Tensor.randn([6 * 5 * 5, 5], js).mul(0.1),
    Tensor.randn([5], js).mul(0.1),
  ];
  return { x, y, init };
}

function train(p: Problem, backend: string, steps: number): number[] {
  // clone: to("js") of a js tensor is the tensor itself, and SGD updates in place
  const params = p.init.map((t) => t.to(backend).clone().detach().requiresGrad_());
  const [k, kb, w, b] = params;
  const xs = p.x.map((t) => t.to(backend)), ys = p.y.map((t) => t.to(backend));
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(
      backends.tidy(() => {
        const h = maxPool2d(xs[s % xs.length].conv2d(k, kb, { padding: 1 }).relu(), 2);
        const logits = h.flatten(1).matmul(w).add(b);
        const loss = logits.logSoftmax(-1).gather(1, ys[s % ys.length]).neg().mean();
        loss.backward();
        noGrad(() => {
          for (const q of params) {
            q.sub_(q.grad!.mul(0.1));
            q.grad = null;
          }
        });
        return loss.item();
      }),
    );
  }
  return losses;
}

describe("backend parity: a small CNN trained 20 steps", function () {
  this.timeout(120000);

  it("gives the same losses on every backend, to 1e-3 relative", async () => {
    const p = problem();
    const reference = train(p, "js", 20);
    assert.ok(reference[19] < reference[0] * 0.8, `the model learns on js: ${reference[0]} -> ${reference[19]}`);
    for (const name of backendsUnderTest().filter((b) => b !== "js")) {
      await backends.load(name);
      const losses = train(p, name, 20);
      losses.forEach((l, i) => {
        const rel = Math.abs(l - reference[i]) / Math.abs(reference[i]);
        assert.ok(rel <= 1e-3, `${name}, step ${i}: loss ${l} vs ${reference[i]} on js (relative ${rel.toExponential(2)})`);
      });
    }
  });
});
