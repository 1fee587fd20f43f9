import assert from "node:assert/strict";
import fc from "fast-check";
import { dropout, Generator, manualSeed, ones, randn, Tensor } from "../../src";
import { assertClose, forEachBackend } from "../helpers";
import { FC, assertGradcheck, shapeArb, tensorOfShapeArb } from "./arbitraries";

const zerosAt = (t: Tensor) => Array.from(t.values(), (v) => (v === 0 ? 1 : 0));

forEachBackend("dropout", (backend) => {
  it("the same seed gives the same mask; another seed another one", () => {
    const x = ones([200]);
    const a = dropout(x, 0.5, true, new Generator(1));
    const b = dropout(x, 0.5, true, new Generator(1));
    const c = dropout(x, 0.5, true, new Generator(2));
    assert.deepEqual(zerosAt(a), zerosAt(b));
    assert.notDeepEqual(zerosAt(a), zerosAt(c));
    // the default generator, through manualSeed
    manualSeed(7);
    const d = dropout(x, 0.5);
    manualSeed(7);
    assert.deepEqual(zerosAt(dropout(x, 0.5)), zerosAt(d));
  });

  it("keeps the expectation: survivors scaled by 1/(1-p), a fraction p dropped", () => {
    const n = 20000;
    for (const p of [0.1, 0.5, 0.8]) {
      const y = dropout(ones([n]), p, true, new Generator(42));
      const v = y.values();
      let dropped = 0;
      for (const e of v) {
        if (e === 0) dropped++;
        else assert.ok(Math.abs(e - 1 / (1 - p)) < 1e-6, `survivor ${e} != ${1 / (1 - p)}`);
      }
      // binomial: the dropped fraction has std sqrt(p(1-p)/n) < 0.004; allow 5 of them
      assert.ok(Math.abs(dropped / n - p) < 0.02, `dropped ${dropped / n}, expected ${p}`);
      assert.ok(Math.abs(y.mean().item() - 1) < 5 * Math.sqrt(p / (1 - p) / n), `mean ${y.mean().item()}`);
    }
  });

  it("is the identity in evaluation mode and for p = 0; p = 1 drops everything", () => {
    const x = randn([3, 4]);
    assert.equal(dropout(x, 0.5, false), x);
    assertClose(dropout(x, 0, true), x);
    assertClose(dropout(x, 1, true), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it("keeps the dtype and works on non-contiguous views", () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3 }).chain((s) => tensorOfShapeArb(s, { minAbs: 0.1, dtype: "float32" })), fc.integer({ min: 1, max: 9 }), (x, tenths) => {
        const p = tenths / 10;
        const y = dropout(x, p, true, new Generator(tenths));
        assert.deepEqual(y.shape, x.shape);
        const xv = x.values(), yv = y.values();
        for (let i = 0; i < yv.length; i++) assert.ok(yv[i] === 0 || Math.abs(yv[i] - xv[i] / (1 - p)) < 1e-5 * Math.abs(yv[i]) + 1e-6);
      }),
      FC,
    );
    if (backend === "js") assert.equal(dropout(randn([4], { dtype: "float64" }), 0.3, true, new Generator(0)).dtype, "float64");
  });

  it("the gradient is mask / (1 - p)", () => {
    const x = randn([5, 6], { requiresGrad: true });
    const p = 0.4;
    const y = dropout(x, p, true, new Generator(3));
    y.sum().backward();
    const mask = zerosAt(y).map((z) => 1 - z);
    assertClose(x.grad!, Tensor.fromTyped(Float32Array.from(mask, (m) => m / (1 - p)), [5, 6]));
    assert.ok(mask.some((m) => m === 0) && mask.some((m) => m === 1));
  });

  if (backend === "js") {
    it("gradcheck with a fixed mask", () => {
      fc.assert(
        fc.property(shapeArb({ minRank: 1, maxRank: 3 }).chain((s) => tensorOfShapeArb(s)), fc.integer({ min: 1, max: 9 }), (x, tenths) => {
          // a fresh generator per call: every finite-difference probe sees the same mask
          assertGradcheck((a) => dropout(a, tenths / 10, true, new Generator(tenths)), [x]);
        }),
        FC,
      );
    });
  }
});
