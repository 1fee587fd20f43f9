import assert from "node:assert/strict";
import fc from "fast-check";
import { autograd, tensor, where, Tensor } from "../../src";
import { assertClose, assertThrowsOp, forEachBackend, itOnJs } from "../helpers";
import {
  FC, assertGradcheck, broadcastPairTensorsArb, broadcastShapesArb, gradOf, tensorArb, tensorOfShapeArb, tensorsOfShapesArb,
} from "./arbitraries";

const f64 = { dtype: "float64" as const };

/** Smallest |a - b| over the broadcast pair: keeps maximum/minimum away from ties. */
function gap(a: Tensor, b: Tensor): number {
  return a.sub(b).abs().min().item();
}

forEachBackend("elementwise ops", (backend) => {
  const itJs = itOnJs(backend);

  describe("forward values", () => {
    const a = () => tensor([[1, 2, 3], [4, 5, 6]]);
    const row = () => tensor([10, 20, 30]);
    const col = () => tensor([[2], [-1]]);

    it("add, sub, mul, div broadcast a row and a column", () => {
      assertClose(a().add(row()), [[11, 22, 33], [14, 25, 36]]);
      assertClose(a().sub(col()), [[-1, 0, 1], [5, 6, 7]]);
      assertClose(a().mul(col()), [[2, 4, 6], [-4, -5, -6]]);
      assertClose(a().div(row()), [[0.1, 0.1, 0.1], [0.4, 0.25, 0.2]]);
      // [2,1] op [3] -> [2,3]
      assertClose(col().add(row()), [[12, 22, 32], [9, 19, 29]]);
    });

    it("plain numbers as operands", () => {
      assertClose(a().add(1), [[2, 3, 4], [5, 6, 7]]);
      assertClose(a().sub(0.5), [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]);
      assertClose(a().mul(-2), [[-2, -4, -6], [-8, -10, -12]]);
      assertClose(a().div(4), [[0.25, 0.5, 0.75], [1, 1.25, 1.5]]);
      assertClose(a().neg(), [[-1, -2, -3], [-4, -5, -6]]);
    });

    it("0-d tensors broadcast against anything", () => {
      assertClose(tensor(3).mul(a()), [[3, 6, 9], [12, 15, 18]]);
      assertClose(tensor(3).add(tensor(4)), 7);
    });

    it("pow with number and tensor exponents", () => {
      assertClose(tensor([1, 2, 3, -2]).pow(2), [1, 4, 9, 4]);
      assertClose(tensor([-2, 3]).pow(3), [-8, 27]);
      assertClose(tensor([4, 9, 0.25]).pow(0.5), [2, 3, 0.5]);
      assertClose(tensor([2, 4]).pow(-1), [0.5, 0.25]);
      assertClose(tensor(2).pow(tensor([0, 1, 10])), [1, 2, 1024]);
      assertClose(tensor([5, 0]).pow(0), [1, 1]);
      // a negative base to a fractional power is not real: NaN, as in PyTorch
      assert.ok(Number.isNaN(tensor([-8]).pow(1 / 3).item()));
    });

    it("exp, log, sqrt", () => {
      assertClose(tensor([0, 1, -1, 2]).exp(), [1, Math.E, 1 / Math.E, Math.exp(2)]);
      assertClose(tensor([1, Math.E, 10]).log(), [0, 1, Math.LN10]);
      assertClose(tensor([0, -1]).log(), [-Infinity, NaN]);
      assertClose(tensor([0, 4, 2]).sqrt(), [0, 2, Math.SQRT2]);
      assert.ok(Number.isNaN(tensor([-1]).sqrt().item()));
    });

    it("abs and sign (sign(0) = 0)", () => {
      assertClose(tensor([-2.5, 0, 3]).abs(), [2.5, 0, 3]);
      assertClose(tensor([-2.5, 0, 3]).sign(), [-1, 0, 1]);
    });

    itJs("sin and cos at well-known angles (float64)", () => {
      const x = tensor([0, Math.PI / 6, Math.PI / 2, Math.PI], f64);
      assertClose(x.sin(), [0, 0.5, 1, 0], { atol: 1e-15 });
      assertClose(x.cos(), [1, Math.sqrt(3) / 2, 0, -1], { atol: 1e-15 });
    });

    it("erf in float32", () => {
      assertClose(tensor([1, -1, 0.5, 3]).erf(), [0.8427007929497149, -0.8427007929497149, 0.5204998778130465, 0.9999779095030014]);
    });

    itJs("erf matches reference values to 1e-15 (both sides of the series/continued-fraction switch)", () => {
      // Python's math.erf
      const ref: [number, number][] = [
        [0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
        [1.5, 0.9661051464753108], [2, 0.9953222650189527], [2.4999, 0.9995928300996666],
        [2.5, 0.999593047982555], [2.5001, 0.9995932657565293], [3, 0.9999779095030014],
        [4, 0.9999999845827421], [5.5, 0.9999999999999927], [-0.7, -0.6778011938374184],
        [-3.2, -0.9999939742388483], [7, 1], [-30, -1],
      ];
      const x = tensor(ref.map((r) => r[0]), f64);
      assertClose(x.erf(), ref.map((r) => r[1]), { rtol: 1e-15, atol: 1e-16 });
    });

    it("clamp with both bounds, only min, only max", () => {
      const x = () => tensor([-3, -1, 0, 2, 5]);
      assertClose(x().clamp(-1, 2), [-1, -1, 0, 2, 2]);
      assertClose(x().clamp(0), [0, 0, 0, 2, 5]);
      assertClose(x().clamp(null, 1), [-3, -1, 0, 1, 1]);
      assertThrowsOp(() => x().clamp(3, 1), "clamp", "min 3", "max 1");
      assertThrowsOp(() => x().clamp(), "clamp", "min and max");
    });

    it("where picks from a where the condition holds, with broadcasting and numbers", () => {
      const c = tensor([[true, false, true]]);
      assertClose(where(c, tensor([[1, 2, 3], [4, 5, 6]]), tensor([-1])), [[1, -1, 3], [4, -1, 6]]);
      assertClose(where(tensor([1, 0, 2]).gt(0), 7, tensor([0, 8, 0])), [7, 8, 7]);
      assertClose(where(tensor([true, false]), 1, 0), [1, 0]);
    });

    it("maximum and minimum, elementwise with broadcasting", () => {
      const x = tensor([[1, 5], [3, -2]]);
      assertClose(x.maximum(tensor([2, 0])), [[2, 5], [3, 0]]);
      assertClose(x.minimum(tensor([2, 0])), [[1, 0], [2, -2]]);
      assertClose(x.maximum(0), [[1, 5], [3, 0]]);
    });

    it("comparisons give bool tensors", () => {
      const x = tensor([1, 2, 3]);
      const y = tensor([3, 2, 1]);
      const cases: [Tensor, boolean[]][] = [
        [x.eq(y), [false, true, false]],
        [x.ne(y), [true, false, true]],
        [x.lt(y), [true, false, false]],
        [x.le(y), [true, true, false]],
        [x.gt(y), [false, false, true]],
        [x.ge(y), [false, true, true]],
        [x.gt(1.5), [false, true, true]],
      ];
      for (const [r, expected] of cases) {
        assert.equal(r.dtype, "bool");
        assert.deepEqual(r.toArray(), expected);
      }
      // broadcasting in comparisons
      assert.deepEqual(tensor([[1], [3]]).lt(tensor([2, 4])).toArray(), [[true, true], [false, true]]);
      // NaN compares unequal to everything, itself included
      assert.deepEqual(tensor([NaN]).eq(tensor([NaN])).toArray(), [false]);
      assert.deepEqual(tensor([NaN]).ne(tensor([NaN])).toArray(), [true]);
    });

    it("logical and, or, not", () => {
      const p = tensor([true, true, false, false]);
      const q = tensor([true, false, true, false]);
      assert.deepEqual(p.logicalAnd(q).toArray(), [true, false, false, false]);
      assert.deepEqual(p.logicalOr(q).toArray(), [true, true, true, false]);
      assert.deepEqual(p.logicalNot().toArray(), [false, false, true, true]);
      assert.equal(p.logicalAnd(q).dtype, "bool");
    });

    it("results are the same on non-contiguous views as on copies", () => {
      const base = tensor([[1, -2, 3, -4], [5, -6, 7, -8], [9, -10, 11, -12]]);
      const t = base.t(); // [4,3], transposed
      const s = base.slice(1, 0, undefined, 2); // [3,2], every other column
      assertClose(t.mul(t.contiguous().add(1)), t.contiguous().mul(t.contiguous().add(1)));
      assertClose(s.abs(), [[1, 3], [5, 7], [9, 11]]);
      assertClose(t.slice(0, 1, undefined, 2).exp(), base.t().contiguous().slice(0, 1, undefined, 2).contiguous().exp());
      assertClose(tensor([2]).expand([3]).mul(tensor([1, 2, 3])), [2, 4, 6]);
    });
  });

  describe("dtypes", () => {
    it("promotes to the wider type, as in PyTorch", () => {
      const i = tensor([1, 2], { dtype: "int32" });
      const f = tensor([0.5, 0.5]);
      assert.equal(i.add(i).dtype, "int32");
      assert.equal(i.add(f).dtype, "float32");
      assertClose(i.add(f), [1.5, 2.5]);
      const b = tensor([true, false]);
      // bool arithmetic counts: true + true = 2
      assert.equal(b.add(b).dtype, "int32");
      assert.deepEqual(b.add(b).toArray(), [2, 0]);
      assert.equal(b.add(i).dtype, "int32");
      assert.equal(b.mul(f).dtype, "float32");
      if (backend === "js") {
        const d = tensor([0.5, 0.5], f64);
        assert.equal(f.add(d).dtype, "float64");
        assert.equal(i.mul(d).dtype, "float64");
        assert.equal(d.sub(b).dtype, "float64");
      }
    });

    it("a number does not widen a tensor's float dtype, and a fraction makes an int tensor float", () => {
      const i = tensor([1, 2], { dtype: "int32" });
      assert.equal(i.add(1).dtype, "int32");
      assert.equal(i.mul(0.5).dtype, "float32");
      assertClose(i.mul(0.5), [0.5, 1]);
      assert.equal(tensor([1]).add(0.1).dtype, "float32");
      if (backend === "js") assert.equal(tensor([1], f64).add(0.1).dtype, "float64");
    });

    it("integer division is true division (float), as in PyTorch", () => {
      const r = tensor([1, 3], { dtype: "int32" }).div(tensor([2, 2], { dtype: "int32" }));
      assert.equal(r.dtype, "float32");
      assertClose(r, [0.5, 1.5]);
    });

    itJs("float64 keeps its precision", () => {
      const x = tensor([1 + 1e-12], f64);
      assert.equal(x.sub(1).item(), (1 + 1e-12) - 1);
      // float32 would round this away
      assert.equal(tensor([1 + 1e-12]).sub(1).item(), 0);
    });
  });

  describe("errors name the op and the shapes", () => {
    it("incompatible broadcasting", () => {
      assertThrowsOp(() => tensor([[1, 2, 3]]).add(tensor([1, 2])), "add", "[1,3]", "[2]");
      assertThrowsOp(() => tensor([[1, 2, 3], [4, 5, 6]]).mul(tensor([[1], [2], [3]])), "mul", "[2,3]", "[3,1]");
      assertThrowsOp(() => tensor([1, 2]).lt(tensor([1, 2, 3])), "lt", "[2]", "[3]");
    });
  });

  describe("gradients", () => {
    it("known values: d(xy)/dx = y, d(x/y)/dy = -x/y^2, d(x^3)/dx = 3x^2", () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      const y = tensor([4, 5, 6], { requiresGrad: true });
      x.mul(y).add(x.div(y)).sum().backward();
      assertClose(x.grad!, [4 + 1 / 4, 5 + 1 / 5, 6 + 1 / 6]);
      assertClose(y.grad!, [1 - 1 / 16, 2 - 2 / 25, 3 - 3 / 36]);
      const z = tensor([-1, 2], { requiresGrad: true });
      z.pow(3).sum().backward();
      assertClose(z.grad!, [3, 12]);
    });

    it("broadcasting is undone: a row added to every row gets the sum of their gradients", () => {
      const m = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
      const b = tensor([10, 20], { requiresGrad: true });
      m.add(b).mul(m).sum().backward();
      assertClose(b.grad!, [9, 12]);
      assertClose(m.grad!, [[12, 24], [16, 28], [20, 32]]);
    });

    it("maximum sends the gradient to the larger input (to a on ties); clamp only inside the bounds", () => {
      const a = tensor([1, 5, 2], { requiresGrad: true });
      const b = tensor([3, 4, 2], { requiresGrad: true });
      a.maximum(b).sum().backward();
      assertClose(a.grad!, [0, 1, 1]);
      assertClose(b.grad!, [1, 0, 0]);
      const x = tensor([-2, 0.5, 3], { requiresGrad: true });
      x.clamp(-1, 1).sum().backward();
      assertClose(x.grad!, [0, 1, 0]);
    });

    it("d(x^0)/dx = 0, at x = 0 too (not 0 * inf), as in PyTorch", () => {
      const x = tensor([0, 2], { requiresGrad: true });
      x.pow(0).sum().backward();
      assertClose(x.grad!, [0, 0]);
      const y = tensor([0, 3], { requiresGrad: true });
      y.pow(tensor([0, 2])).sum().backward();
      assertClose(y.grad!, [0, 6]);
    });

    it("abs and sign: d|x| = sign(x), 0 at 0; sign has zero gradient", () => {
      const x = tensor([-2, 0, 3], { requiresGrad: true });
      x.abs().add(x.sign()).sum().backward();
      assertClose(x.grad!, [-1, 0, 1]);
    });

    it("comparisons and logical ops carry no gradient", () => {
      const x = tensor([1, -1], { requiresGrad: true });
      for (const r of [x.gt(0), x.eq(1), x.ne(x), x.le(0).logicalOr(x.ge(1)), x.lt(0).logicalNot()]) {
        assert.equal(r.requiresGrad, false);
        assert.equal(r.gradFn, null);
      }
    });

    itJs("add, sub, mul: gradcheck over broadcast shapes and views", () => {
      fc.assert(
        fc.property(broadcastPairTensorsArb(), ([a, b]) => {
          assertGradcheck((x, y) => x.add(y), [a, b]);
          assertGradcheck((x, y) => x.sub(y), [a, b]);
          assertGradcheck((x, y) => x.mul(y), [a, b]);
        }),
        FC,
      );
    });

    itJs("div: gradcheck, divisor kept away from 0", () => {
      fc.assert(
        fc.property(broadcastPairTensorsArb({ minAbs: 0.5 }), ([a, b]) => {
          assertGradcheck((x, y) => x.div(y), [a, b]);
          assertGradcheck((x) => x.div(3), [a]);
        }),
        FC,
      );
    });

    itJs("pow: gradcheck in base and exponent (positive base), and with number exponents", () => {
      fc.assert(
        fc.property(broadcastPairTensorsArb({ min: 0.3, max: 2 }), ([a, b]) => {
          assertGradcheck((x, y) => x.pow(y), [a, b]);
          assertGradcheck((x) => x.pow(2), [a]);
          assertGradcheck((x) => x.pow(-1.5), [a]);
          assertGradcheck((x) => x.neg().pow(3), [a]); // negative base, integer exponent
        }),
        FC,
      );
    });

    itJs("maximum, minimum: gradcheck away from ties", () => {
      fc.assert(
        fc.property(broadcastPairTensorsArb(), ([a, b]) => {
          fc.pre(gap(a, b) > 1e-3);
          assertGradcheck((x, y) => x.maximum(y), [a, b]);
          assertGradcheck((x, y) => x.minimum(y), [a, b]);
        }),
        FC,
      );
    });

    itJs("neg, exp, sin, cos, erf: gradcheck on views of random shapes", () => {
      fc.assert(
        fc.property(tensorArb(), (x) => {
          assertGradcheck((t) => t.neg(), [x]);
          assertGradcheck((t) => t.exp(), [x]);
          assertGradcheck((t) => t.sin(), [x]);
          assertGradcheck((t) => t.cos(), [x]);
          assertGradcheck((t) => t.erf(), [x]);
          assertGradcheck((t) => t.square(), [x]);
        }),
        FC,
      );
    });

    itJs("log, sqrt: gradcheck on positive inputs", () => {
      fc.assert(
        fc.property(tensorArb({ min: 0.2, max: 4 }), (x) => {
          assertGradcheck((t) => t.log(), [x]);
          assertGradcheck((t) => t.sqrt(), [x]);
        }),
        FC,
      );
    });

    itJs("abs, sign: gradcheck away from 0", () => {
      fc.assert(
        fc.property(tensorArb({ minAbs: 0.1 }), (x) => {
          assertGradcheck((t) => t.abs(), [x]);
          assertGradcheck((t) => t.sign().add(t), [x]);
        }),
        FC,
      );
    });

    itJs("clamp: gradcheck away from the bounds", () => {
      fc.assert(
        fc.property(tensorArb(), (x) => {
          fc.pre(gap(x, tensor(0.5, f64)) > 1e-3 && gap(x, tensor(-0.5, f64)) > 1e-3);
          assertGradcheck((t) => t.clamp(-0.5, 0.5), [x]);
          assertGradcheck((t) => t.clamp(-0.5), [x]);
          assertGradcheck((t) => t.clamp(null, 0.5), [x]);
        }),
        FC,
      );
    });

    itJs("where: gradcheck in both branches, condition broadcast too", () => {
      fc.assert(
        fc.property(
          broadcastShapesArb(3).chain(({ shapes: [c, a, b] }) =>
            fc.tuple(tensorOfShapeArb(c), tensorsOfShapesArb([a, b])),
          ),
          ([c, [a, b]]) => {
            const cond = c.gt(0);
            assertGradcheck((x, y) => where(cond, x, y), [a, b]);
            assertGradcheck((x) => where(cond, x, 0), [a]);
          },
        ),
        FC,
      );
    });

    itJs("double backward: grad of grad of exp, pow, div, mul, sin, erf", () => {
      fc.assert(
        fc.property(broadcastPairTensorsArb({ min: 0.3, max: 2 }), ([a, b]) => {
          assertGradcheck(gradOf((x) => x.exp()), [a]);
          assertGradcheck(gradOf((x) => x.sin()), [a]);
          assertGradcheck(gradOf((x) => x.erf()), [a]);
          assertGradcheck(gradOf((x) => x.log()), [a]);
          assertGradcheck(gradOf((x) => x.sqrt()), [a]);
          assertGradcheck(gradOf((x) => x.pow(3)), [a]);
          // d/da and d/db of d(a^b)/da, and of d(a/b)/db
          assertGradcheck(gradOf((x, y) => x.pow(y), 0), [a, b]);
          assertGradcheck(gradOf((x, y) => x.pow(y), 1), [a, b]);
          assertGradcheck(gradOf((x, y) => x.div(y), 0), [a, b]);
          assertGradcheck(gradOf((x, y) => x.div(y), 1), [a, b]);
          assertGradcheck(gradOf((x, y) => x.mul(y).mul(x), 0), [a, b]);
        }),
        { ...FC, numRuns: 10 },
      );
    });

    itJs("second derivative values: d2/dx2 of x^3 is 6x, of exp is exp", () => {
      const x = tensor([0.5, -2], { dtype: "float64", requiresGrad: true });
      const [g] = autograd.grad(x.pow(3).sum(), x, { createGraph: true });
      const [h] = autograd.grad(g!.sum(), x);
      assertClose(h!, [3, -12]);
      const [ge] = autograd.grad(x.exp().sum(), x, { createGraph: true });
      const [he] = autograd.grad(ge!.sum(), x);
      assertClose(he!, [Math.exp(0.5), Math.exp(-2)]);
    });
  });
});
