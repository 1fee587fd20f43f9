import assert from "node:assert/strict";
import fc from "fast-check";
import { argmax, argmin, max, mean, min, std, sum, tensor, Tensor, var as variance } from "../../src";
import { assertClose, assertThrowsOp, forEachBackend, itOnJs } from "../helpers";
import { FC, assertGradcheck, gradOf, shapeArb, tensorOfShapeArb } from "./arbitraries";

const f64 = { dtype: "float64" as const };

/**
 * The reference reduction: walks every element of a row-major array by its
 * multi-index and folds it into the output element it belongs to.
 */
function naiveReduce(
  values: ArrayLike<number>, shape: readonly number[], dims: readonly number[], keepDim: boolean,
  init: number, fold: (acc: number, v: number) => number,
): { shape: number[]; values: number[] } {
  const outShape = shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const outN = outShape.reduce((a, b) => a * b, 1);
  const out = new Array<number>(outN).fill(init);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d] + (dims.includes(d) ? 0 : idx[d]);
    out[o] = fold(out[o], values[flat]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { shape: keepDim ? outShape : shape.filter((_, i) => !dims.includes(i)), values: out };
}

function expectReduced(actual: Tensor, ref: { shape: number[]; values: number[] }, tol = {}): void {
  assert.deepEqual(actual.shape, ref.shape);
  assertClose(actual.reshape([-1]), ref.values, tol);
}

/** A tensor of a random shape and layout, a random set of its dims (undefined: all) and keepDim. */
const reductionArb = (o: { distinct?: boolean; dtype?: "float32" | "float64" } = {}) =>
  shapeArb({ maxDim: 4 }).chain((s) =>
    fc.tuple(
      tensorOfShapeArb(s, o),
      fc.option(fc.subarray([...s.keys()]), { nil: undefined }),
      fc.boolean(),
    ),
  );

forEachBackend("reductions", (backend) => {
  const itJs = itOnJs(backend);
  const m = () => tensor([[1, 5, -2], [4, 0, 3]]);

  describe("forward values", () => {
    it("sum: full, along one dim, negative dim, several dims, keepDim", () => {
      assertClose(m().sum(), 11);
      assertClose(sum(m(), 0), [5, 5, 1]);
      assertClose(m().sum(1), [4, 7]);
      assertClose(m().sum(-1, true), [[4], [7]]);
      assertClose(m().sum([0, 1]), 11);
      assertClose(m().sum([1, 0], true), [[11]]);
      assertClose(m().sum(undefined, true), [[11]]);
      const c = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      assertClose(c.sum([0, 2]), [14, 22]);
      assertClose(c.sum([0, -1], true), [[[14], [22]]]);
    });

    it("mean, max, min", () => {
      assertClose(m().mean(), 11 / 6);
      assertClose(mean(m(), 0), [2.5, 2.5, 0.5]);
      assertClose(m().mean(1, true), [[4 / 3], [7 / 3]]);
      assertClose(m().max(), 5);
      assertClose(max(m(), 0), [4, 5, 3]);
      assertClose(m().max(1, true), [[5], [4]]);
      assertClose(m().min(), -2);
      assertClose(min(m(), 1), [-2, 0]);
      assertClose(m().min([0, 1], true), [[-2]]);
    });

    it("argmax and argmin: first index on ties, flat index without a dim", () => {
      const x = tensor([[1, 5, 5], [4, -1, 4]]);
      assert.deepEqual(x.argmax().toArray(), 1);
      assert.deepEqual(argmax(x, 1).toArray(), [1, 0]);
      assert.deepEqual(argmax(x, 0).toArray(), [1, 0, 0]);
      assert.deepEqual(x.argmax(-1, true).toArray(), [[1], [0]]);
      assert.deepEqual(x.argmin().toArray(), 4);
      assert.deepEqual(argmin(x, 1).toArray(), [0, 1]);
      assert.equal(x.argmax(1).dtype, "int32");
    });

    it("NaN propagates through max and min and wins argmax, as in PyTorch", () => {
      const x = tensor([1, NaN, 3]);
      assert.ok(Number.isNaN(x.max().item()));
      assert.ok(Number.isNaN(x.min().item()));
      assert.equal(x.argmax().item(), 1);
      assert.equal(x.argmin().item(), 1);
    });

    it("var and std: unbiased by default, biased on request, with dims and keepDim", () => {
      const x = tensor([1, 2, 3, 4]);
      assertClose(x.var(), 5 / 3);
      assertClose(x.var(undefined, { unbiased: false }), 1.25);
      assertClose(x.std(), Math.sqrt(5 / 3));
      assertClose(std(x, 0, { unbiased: false }), Math.sqrt(1.25));
      const y = tensor([[1, 2, 3], [2, 4, 9]]);
      assertClose(variance(y, 1), [1, 13]);
      assertClose(y.var(0, { keepDim: true }), [[0.5, 2, 18]]);
      assertClose(y.std(1, { unbiased: false, keepDim: true }), [[Math.sqrt(2 / 3)], [Math.sqrt(26 / 3)]]);
      assertClose(y.var([0, 1]), 8.3);
    });

    it("integer and bool inputs: sum keeps int32 (bools count), mean is float", () => {
      const i = tensor([[1, 2], [3, 4]], { dtype: "int32" });
      assert.equal(i.sum().dtype, "int32");
      assert.equal(i.sum().item(), 10);
      assert.equal(i.mean().dtype, "float32");
      assertClose(i.mean(0), [2, 3]);
      const b = tensor([true, false, true]);
      assert.equal(b.sum().dtype, "int32");
      assert.equal(b.sum().item(), 2);
      assert.equal(i.max().item(), 4);
    });

    it("0-d and size-1 inputs", () => {
      assertClose(tensor(3).sum(), 3);
      assertClose(tensor(3).max(), 3);
      assertClose(tensor([[7]]).mean([0, 1]), 7);
      assertClose(tensor([]).sum(), 0);
      // a 0-d tensor takes dim 0 or -1, as in PyTorch, and reduces to itself
      for (const r of [tensor(3).sum(0), tensor(3).mean(-1), tensor(3).max(0), tensor(3).min(-1, true), tensor(3).softmax().log().add(3)]) {
        assertClose(r, 3);
      }
      assertClose(tensor(3).logsumexp(0), 3);
      assert.equal(tensor(3).argmax(0).item(), 0);
    });

    it("sum, mean, max, min agree with a reference on random shapes, dims and layouts", () => {
      fc.assert(
        fc.property(reductionArb({ dtype: "float32" }), ([x, dims, keep]) => {
          const v = x.values();
          const all = dims ?? [...x.shape.keys()];
          const n = all.reduce((a, d) => a * x.shape[d], 1);
          expectReduced(x.sum(dims, keep), naiveReduce(v, x.shape, all, keep, 0, (a, b) => a + b), { rtol: 1e-5, atol: 1e-5 });
          const mref = naiveReduce(v, x.shape, all, keep, 0, (a, b) => a + b);
          expectReduced(x.mean(dims, keep), { ...mref, values: mref.values.map((s) => s / n) }, { rtol: 1e-5, atol: 1e-5 });
          expectReduced(x.max(dims, keep), naiveReduce(v, x.shape, all, keep, -Infinity, Math.max));
          expectReduced(x.min(dims, keep), naiveReduce(v, x.shape, all, keep, Infinity, Math.min));
        }),
        FC,
      );
    });

    it("argmax agrees with the max along every dim of random views", () => {
      fc.assert(
        fc.property(
          shapeArb({ minRank: 1 }).chain((s) => fc.tuple(tensorOfShapeArb(s, { dtype: "float32", distinct: true }), fc.integer({ min: 0, max: s.length - 1 }))),
          ([x, d]) => {
            const idx = x.argmax(d, true);
            assertClose(x.gather(d, idx), x.max(d, true));
            assertClose(x.gather(d, x.argmin(d, true)), x.min(d, true));
          },
        ),
        FC,
      );
    });
  });

  describe("errors", () => {
    it("bad dims, repeated dims, empty reductions name the op", () => {
      assertThrowsOp(() => m().sum(2), "sum", "dim 2", "rank 2");
      assertThrowsOp(() => m().mean([0, -2]), "mean", "same dimension");
      assertThrowsOp(() => m().max(-3), "max", "dim -3");
      assertThrowsOp(() => tensor([]).max(), "max", "size 0");
      assertThrowsOp(() => tensor([]).mean(), "mean", "empty");
      assertThrowsOp(() => tensor([1]).var(), "var", "at least 2");
      assertThrowsOp(() => m().argmax(3), "argmax", "dim 3");
    });
  });

  describe("gradients", () => {
    it("known values: sum spreads 1s, mean 1/n, max goes to the argmax and is shared by ties", () => {
      const x = tensor([[1, 5, -2], [4, 0, 3]], { requiresGrad: true });
      x.sum(0).mul(tensor([1, 2, 3])).sum().backward();
      assertClose(x.grad!, [[1, 2, 3], [1, 2, 3]]);
      x.grad = null;
      x.mean().backward();
      assertClose(x.grad!, [[1 / 6, 1 / 6, 1 / 6], [1 / 6, 1 / 6, 1 / 6]]);
      x.grad = null;
      x.max(1).sum().backward();
      assertClose(x.grad!, [[0, 1, 0], [1, 0, 0]]);
      const t = tensor([1, 3, 3], { requiresGrad: true });
      t.max().backward();
      assertClose(t.grad!, [0, 0.5, 0.5]);
    });

    it("var's gradient is 2 (x - mean) / (n - 1)", () => {
      const x = tensor([1, 2, 3, 6], { requiresGrad: true });
      x.var().backward();
      assertClose(x.grad!, [-4 / 3, -2 / 3, 0, 2]);
    });

    itJs("sum, mean: gradcheck over random dims, keepDim and layouts", () => {
      fc.assert(
        fc.property(reductionArb(), ([x, dims, keep]) => {
          assertGradcheck((t) => t.sum(dims, keep), [x]);
          assertGradcheck((t) => t.mean(dims, keep), [x]);
        }),
        FC,
      );
    });

    itJs("max, min: gradcheck on distinct values", () => {
      fc.assert(
        fc.property(reductionArb({ distinct: true }), ([x, dims, keep]) => {
          assertGradcheck((t) => t.max(dims, keep), [x]);
          assertGradcheck((t) => t.min(dims, keep), [x]);
        }),
        FC,
      );
    });

    itJs("var, std (biased and unbiased): gradcheck, and double backward of var and std", () => {
      fc.assert(
        fc.property(reductionArb({ distinct: true }), ([x, dims, keep]) => {
          const n = (dims ?? [...x.shape.keys()]).reduce((a, d) => a * x.shape[d], 1);
          fc.pre(n >= 2);
          for (const unbiased of [true, false]) {
            assertGradcheck((t) => t.var(dims, { unbiased, keepDim: keep }), [x]);
            assertGradcheck((t) => t.std(dims, { unbiased, keepDim: keep }), [x]);
          }
          assertGradcheck(gradOf((t) => t.var(dims, { keepDim: keep })), [x]);
          assertGradcheck(gradOf((t) => t.std(dims, { keepDim: keep })), [x]);
        }),
        FC,
      );
    });

    itJs("float64 reductions keep full precision", () => {
      assert.equal(tensor([1, 1e-10], f64).sum().item(), 1 + 1e-10);
      assert.equal(tensor([1, 1e-10]).sum().item(), 1); // float32 cannot hold it
      assertClose(tensor([0.1, 0.2, 0.3], f64).mean(), 0.2, { rtol: 1e-15 });
    });
  });
});
