import assert from "node:assert/strict";
import { autograd, detectAnomaly, enableGrad, gradcheck, noGrad, ones, randn, tensor, Tensor } from "../../src";
import { GradlabError } from "../../src/errors";
import { assertClose, assertThrowsOp, countSliceAssigns as countPadding, forEachBackend } from "../helpers";

forEachBackend("autograd engine", (backend) => {
  describe("accumulation", () => {
    it("gradients add up across backward calls until zeroed", () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      x.mul(x).sum().backward();
      assertClose(x.grad!, [2, 4, 6]);
      x.mul(3).sum().backward();
      assertClose(x.grad!, [5, 7, 9]);
      x.grad = null;
      x.sum().backward();
      assertClose(x.grad!, [1, 1, 1]);
    });

    it("a tensor used twice (and a shared subexpression) gets every path's gradient", () => {
      const x = tensor([2], { requiresGrad: true });
      const h = x.mul(x); // h = x^2, used by two branches
      const y = h.mul(3).add(h.mul(h)); // 3x^2 + x^4 -> 6x + 4x^3 = 12 + 32
      y.sum().backward();
      assertClose(x.grad!, [44]);
      const z = tensor([3], { requiresGrad: true });
      z.mul(z).mul(z).sum().backward(); // z used three times: 3 z^2
      assertClose(z.grad!, [27]);
    });

    it("backward of a leaf itself, and backward with an explicit gradient", () => {
      const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
      x.mul(2).backward(tensor([[1, 0], [0.5, -1]]));
      assertClose(x.grad!, [[2, 0], [1, -2]]);
      const s = tensor(5, { requiresGrad: true });
      s.backward();
      assertClose(s.grad!, 1);
    });

    it("broadcast inputs get gradients of their own shape", () => {
      const a = tensor([[1], [2]], { requiresGrad: true });
      const b = tensor([10, 20, 30], { requiresGrad: true });
      a.mul(b).sum().backward();
      assertClose(a.grad!, [[60], [60]]);
      assertClose(b.grad!, [3, 3, 3]);
    });
  });

  describe("what records a graph", () => {
    it("requiresGrad propagates to results, not to comparisons or integer results", () => {
      const x = tensor([1, -2], { requiresGrad: true });
      const c = tensor([3, 4]);
      assert.equal(x.mul(c).requiresGrad, true);
      assert.equal(c.mul(c).requiresGrad, false);
      assert.equal(x.gt(0).requiresGrad, false);
      assert.equal(x.argmax().requiresGrad, false);
      assert.equal(x.mul(c).isLeaf, false);
      assert.equal(x.isLeaf, true);
      assert.equal(c.mul(c).gradFn, null);
    });

    it("detach cuts the graph but shares the values", () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const d = x.mul(3).detach();
      assert.equal(d.requiresGrad, false);
      assert.equal(d.isLeaf, true);
      assertClose(d, [3, 6]);
      // only the non-detached path contributes: d(x*x + stop(x)*x)/dx = 2x + stop(x)
      x.mul(x).add(x.detach().mul(x)).sum().backward();
      assertClose(x.grad!, [3, 6]);
    });

    it("noGrad records nothing and restores the mode, even after a throw", () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = noGrad(() => x.mul(2));
      assert.equal(y.requiresGrad, false);
      assert.equal(y.gradFn, null);
      assert.throws(() => noGrad(() => { throw new Error("boom"); }));
      assert.equal(x.mul(2).requiresGrad, true);
      // enableGrad inside noGrad records again
      const z = noGrad(() => enableGrad(() => x.mul(2)));
      assert.equal(z.requiresGrad, true);
      assertThrowsOp(() => y.sum().backward(), "backward", "does not require grad");
    });

    it("retainGrad keeps .grad on a non-leaf; other non-leaves get none", () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const h = x.mul(3).retainGrad();
      const k = h.add(1);
      h.mul(h).add(k).sum().backward();
      assertClose(h.grad!, [7, 13]); // 2h + 1
      assertClose(x.grad!, [21, 39]);
      assert.equal(k.grad, null);
    });

    it("requiresGrad_ makes a leaf; not allowed on non-leaves", () => {
      const x = tensor([1, 2]).requiresGrad_();
      x.pow(2).sum().backward();
      assertClose(x.grad!, [2, 4]);
      assertThrowsOp(() => x.mul(2).requiresGrad_(), "requiresGrad_", "leaf");
    });
  });

  describe("autograd.grad", () => {
    it("returns gradients without touching .grad", () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const [g] = autograd.grad(x.pow(3).sum(), x);
      assertClose(g!, [3, 12]);
      assert.equal(x.grad, null);
    });

    it("allowUnused gives null for an input the output does not depend on; otherwise an error", () => {
      const x = tensor([1], { requiresGrad: true });
      const z = tensor([1], { requiresGrad: true });
      const [gx, gz] = autograd.grad(x.mul(4).sum(), [x, z], { allowUnused: true });
      assertClose(gx!, [4]);
      assert.equal(gz, null);
      assertThrowsOp(() => autograd.grad(x.mul(4).sum(), [x, z]), "grad", "input 1", "allowUnused");
    });

    it("createGraph: second and third derivatives", () => {
      const x = tensor([2, -1], { requiresGrad: true });
      const y = x.pow(4).sum();
      const [g1] = autograd.grad(y, x, { createGraph: true });
      assertClose(g1!, [32, -4]); // 4x^3
      const [g2] = autograd.grad(g1!.sum(), x, { createGraph: true });
      assertClose(g2!, [48, 12]); // 12x^2
      const [g3] = autograd.grad(g2!.sum(), x);
      assertClose(g3!, [48, -24]); // 24x
      // without createGraph the gradient is a constant
      const [flat] = autograd.grad(x.pow(4).sum(), x);
      assert.equal(flat!.requiresGrad, false);
    });

    it("gradOutputs for non-scalar outputs, and several outputs at once", () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      const [g] = autograd.grad(x.mul(x), x, { gradOutputs: [tensor([1, 0, 2])] });
      assertClose(g!, [2, 0, 12]);
      const [h] = autograd.grad([x.sum(), x.mul(2).sum()], x);
      assertClose(h!, [3, 3, 3]);
      assertThrowsOp(() => autograd.grad(x.mul(x), x), "grad", "[3]", "gradOutputs");
    });

    if (backend === "js") {
      it("a Hessian-vector product through createGraph matches finite differences", () => {
        const f = (x: Tensor) => x.sin().mul(x.pow(2)).sum();
        const v = randn([4], { dtype: "float64" });
        const hv = (x: Tensor) => {
          const leaf = x.requiresGrad ? x : x.detach().requiresGrad_();
          const [g] = autograd.grad(f(leaf), leaf, { createGraph: true });
          return g!.mul(v).sum();
        };
        const r = gradcheck(hv, [randn([4], { dtype: "float64" })]);
        assert.ok(r.ok, JSON.stringify(r.inputs));
      });
    }
  });

  describe("errors the engine raises", () => {
    it("backward on a non-scalar without a gradient names the shape", () => {
      const y = randn([2, 3], { requiresGrad: true }).mul(2);
      assertThrowsOp(() => y.backward(), "backward", "[2,3]", "without a gradient");
      assertThrowsOp(() => y.backward(ones([3, 2])), "backward", "[3,2]", "[2,3]");
    });
  });

  describe("detectAnomaly", () => {
    afterEach(() => detectAnomaly(false));

    it("names the op that first produced NaN in forward (log of a negative number)", () => {
      detectAnomaly(true);
      const x = tensor([1, -1], { requiresGrad: true });
      const y = x.mul(2);
      assertThrowsOp(() => y.log(), "log", "NaN", "[2]");
      // off again: NaN flows silently, as in PyTorch
      detectAnomaly(false);
      assert.ok(Number.isNaN(y.log().values()[1]));
    });

    it("names the op whose gradient went Inf in backward (sqrt at 0), with where it was called", () => {
      const x = tensor([0, 4], { requiresGrad: true });
      detectAnomaly(true);
      const y = x.sqrt().mul(3).sum(); // forward is finite: sqrt(0) = 0
      assert.throws(
        () => y.backward(),
        (e: unknown) => {
          assert.ok(e instanceof GradlabError);
          assert.equal(e.op, "sqrt (backward)");
          assert.ok(e.message.includes("Inf"), e.message);
          assert.ok(e.message.includes("The forward call was"), e.message);
          return true;
        },
      );
    });

    it("an Inf made inside a backward rule names the op being differentiated, not the op inside", () => {
      detectAnomaly(true);
      const x = tensor([0, 1], { requiresGrad: true });
      const y = x.pow(0.5).sum(); // finite forward; d/dx = 0.5 x^-0.5 is Inf at 0
      assertThrowsOp(() => y.backward(), "pow (backward)", "the pow inside its gradient", "Inf");
    });

    it("lets finite graphs through unchanged", () => {
      detectAnomaly(true);
      const x = tensor([1, 2], { requiresGrad: true });
      x.exp().log().sum().backward();
      assertClose(x.grad!, [1, 1]);
    });
  });

  describe("in-place changes to saved tensors", () => {
    it("in-place changes to tensors that require grad are refused in grad mode", () => {
      const x = tensor([0, 1], { requiresGrad: true });
      assertThrowsOp(() => x.add_(1), "add_", "requires grad", "noGrad");
      const y = x.exp();
      assertThrowsOp(() => y.mul_(2), "mul_", "[2]", "y.mul(");
      noGrad(() => x.add_(1)); // what an optimizer step does
      assertClose(x, [1, 2]);
    });

    it("y = x.exp(); y.detach().add_(1); backward throws naming exp", () => {
      const x = tensor([0, 1], { requiresGrad: true });
      const y = x.exp();
      y.detach().add_(1);
      assertThrowsOp(() => y.sum().backward(), "exp (backward)", "modified in place", "[2]");
    });

    it("modifying a view of a saved tensor in place is caught too", () => {
      const x = tensor([[0, 1], [2, 3]], { requiresGrad: true });
      const y = x.exp();
      y.detach().select(0, 0).mul_(2);
      assertThrowsOp(() => y.sum().backward(), "exp (backward)", "modified in place");
      // and the other way round: the base of a saved view
      const a = x.mul(1);
      const v = a.t();
      const z = v.mul(v);
      noGrad(() => a.zero_());
      assertThrowsOp(() => z.sum().backward(), "mul (backward)", "modified in place");
    });

    it("changes to tensors backward does not need are fine", () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const y = x.add(1);
      const z = y.add(2).mul(3); // add saves nothing; mul saves y + 2, a tensor of its own
      y.detach().add_(5);
      z.sum().backward();
      assertClose(x.grad!, [3, 3]);
    });
  });

  describe("many slices of one tensor", () => {
    it("selects, chunks and splits along one dimension, with gaps and a dense use beside them", () => {
      const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]], { requiresGrad: true });
      // rows 0, 2 and 3 (row 1 unused) weighted 1, 3, 4; the whole of x once more, times 10
      const rows = [0, 2, 3].map((t) => x.select(0, t).sum().mul(t + 1));
      let y = rows.reduce((a, b) => a.add(b)).add(x.sum().mul(10));
      // columns in two chunks of 2: the first squared, the second times -1
      const [left, right] = x.chunk(2, 1);
      y = y.add(left.pow(2).sum()).sub(right.sum());
      y.backward();
      const v = x.toArray() as number[][];
      const want = v.map((row, t) => row.map((xv, j) => (t === 1 ? 0 : t + 1) + 10 + (j < 2 ? 2 * xv : -1)));
      assertClose(x.grad!, want);
    });

    it("slices the gathering cannot join (overlapping, strided, along two dimensions) still add up", () => {
      const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { requiresGrad: true });
      x.slice(0, 0, 2).sum().add(x.slice(0, 1, 3).sum().mul(2)).backward(); // overlapping rows
      assertClose(x.grad!, [[1, 1, 1], [3, 3, 3], [2, 2, 2]]);
      x.grad = null;
      x.slice(1, 0, 3, 2).sum().mul(5).add(x.select(1, 1).sum()).backward(); // columns 0 and 2 by a step, and column 1
      assertClose(x.grad!, [[5, 1, 5], [5, 1, 5], [5, 1, 5]]);
      x.grad = null;
      x.select(0, 0).sum().add(x.select(1, 2).sum().mul(3)).backward(); // a row and a column
      assertClose(x.grad!, [[1, 1, 4], [0, 0, 3], [0, 0, 3]]);
    });

    it("T selects cost one gathering, not T tensors padded to the full size; the fallback still pads", () => {
      const x = randn([16, 3, 4], { requiresGrad: true });
      const padded = countPadding(() => {
        let s = x.select(0, 0).sum();
        for (let t = 1; t < 16; t++) s = s.add(x.select(0, t).mul(t).sum());
        s.backward();
      });
      assert.equal(padded, 0);
      const want = Array.from({ length: 16 }, (_, t) => Array.from({ length: 3 }, () => new Array(4).fill(t === 0 ? 1 : t)));
      assertClose(x.grad!, want);
      x.grad = null;
      assert.equal(countPadding(() => x.slice(0, 0, 9).sum().add(x.slice(0, 4, 16).sum()).backward()), 2);
    });

    it("the gathered gradient is differentiable again (createGraph)", () => {
      const x = tensor([[1, -2], [3, 0.5], [2, 1]], { requiresGrad: true });
      const y = [0, 1, 2].map((t) => x.select(0, t).pow(3).sum()).reduce((a, b) => a.add(b));
      const [g] = autograd.grad(y, x, { createGraph: true });
      assertClose(g!, [[3, 12], [27, 0.75], [12, 3]]); // 3x^2
      const [h] = autograd.grad(g!.sum(), x);
      assertClose(h!, [[6, -12], [18, 3], [12, 6]]); // 6x
    });
  });

  describe("deep graphs", () => {
    it("5000 chained adds backpropagate without a stack overflow", () => {
      const x = tensor([1], { requiresGrad: true });
      let y = x;
      for (let i = 0; i < 5000; i++) y = y.add(1);
      y.sum().backward();
      assertClose(y, [5001]);
      assertClose(x.grad!, [1]);
    });

    it("a 5000-step recurrence with a tensor used at every step", () => {
      const x = tensor([0.5], { requiresGrad: true });
      let h = tensor([0]);
      for (let i = 0; i < 5000; i++) h = h.mul(0.999).add(x);
      h.sum().backward();
      // d h_n / dx = sum_{k<n} 0.999^k = (1 - 0.999^n) / 0.001
      assertClose(x.grad!, [(1 - 0.999 ** 5000) / 0.001], { rtol: 1e-3 });
    });
  });
});
