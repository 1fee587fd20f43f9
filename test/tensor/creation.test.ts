import assert from "node:assert/strict";
import { arange, eye, full, fullLike, linspace, ones, onesLike, tensor, zeros, zerosLike } from "../../src";
import { assertClose, assertThrowsOp, forEachBackend } from "../helpers";

forEachBackend("tensor creation", (backend) => {
  describe("tensor() from nested arrays", () => {
    it("infers the shape, float32 by default, row-major values", () => {
      const x = tensor([[1, 2, 3], [4, 5, 6]]);
      assert.deepEqual(x.shape, [2, 3]);
      assert.equal(x.dtype, "float32");
      assert.equal(x.ndim, 2);
      assert.equal(x.numel(), 6);
      assert.deepEqual(Array.from(x.values()), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(x.toArray(), [[1, 2, 3], [4, 5, 6]]);
      assert.deepEqual(tensor([[[1], [2]]]).shape, [1, 2, 1]);
    });

    it("scalars, empty arrays, booleans, typed arrays", () => {
      const s = tensor(2.5);
      assert.deepEqual(s.shape, []);
      assert.equal(s.item(), 2.5);
      assert.equal(s.toArray(), 2.5);
      assert.deepEqual(tensor([]).shape, [0]);
      assert.deepEqual(tensor([[], []]).shape, [2, 0]);
      const b = tensor([[true, false]]);
      assert.equal(b.dtype, "bool");
      assert.deepEqual(b.toArray(), [[true, false]]);
      // numbers and booleans mixed are numbers (true = 1), as in PyTorch
      const m = tensor([true, 2]);
      assert.equal(m.dtype, "float32");
      assert.deepEqual(m.toArray(), [1, 2]);
      if (backend === "js") assert.equal(tensor(new Float64Array([1, 2])).dtype, "float64");
      assert.equal(tensor(new Int32Array([1, 2])).dtype, "int32");
      const src = new Float32Array([1, 2]);
      const t = tensor(src);
      src[0] = 99; // tensor() copies
      assert.deepEqual(t.toArray(), [1, 2]);
    });

    it("an explicit dtype converts: int32 truncates toward zero, bool is 'not zero'", () => {
      assert.deepEqual(tensor([1.7, -1.7, 3], { dtype: "int32" }).toArray(), [1, -1, 3]);
      assert.deepEqual(tensor([0, 2, -0.5], { dtype: "bool" }).toArray(), [false, true, true]);
      if (backend === "js") {
        const d = tensor([0.1], { dtype: "float64" });
        assert.equal(d.dtype, "float64");
        assert.equal(d.item(), 0.1); // exactly; float32 would give 0.10000000149011612
        assert.equal(tensor([0.1]).item(), Math.fround(0.1));
      }
    });

    it("ragged or non-numeric input names the position at fault", () => {
      assertThrowsOp(() => tensor([[1, 2], [3]]), "tensor", "ragged", "[1]", "length 1", "expected 2");
      assertThrowsOp(() => tensor([[1], [2, 3]]), "tensor", "ragged", "[1]", "length 2", "expected 1");
      assertThrowsOp(() => tensor([1, [2]]), "tensor", "ragged", "[1]", "list");
      assertThrowsOp(() => tensor([[1, 2], 3]), "tensor", "ragged", "[1]");
      assertThrowsOp(() => tensor([[1, 2], [3, [4]]]), "tensor", "[1,1]");
      assertThrowsOp(() => tensor(["a"] as unknown as number[]), "tensor", "[0]", "string");
    });

    it("requiresGrad only for float tensors", () => {
      assert.equal(tensor([1], { requiresGrad: true }).requiresGrad, true);
      assertThrowsOp(() => tensor([1], { dtype: "int32", requiresGrad: true }), "requiresGrad", "int32");
    });
  });

  describe("toArray and item", () => {
    it("round-trip nested arrays of any rank, also from views", () => {
      const data = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]];
      assert.deepEqual(tensor(data).toArray(), data);
      assert.deepEqual(tensor(data).permute(2, 0, 1).toArray(), [[[1, 3, 5], [7, 9, 11]], [[2, 4, 6], [8, 10, 12]]]);
      assert.deepEqual(tensor([[1, 2, 3]]).t().toArray(), [[1], [2], [3]]);
    });

    it("item needs exactly one element", () => {
      assert.equal(tensor([[4]]).item(), 4);
      assertThrowsOp(() => tensor([1, 2]).item(), "item", "[2]");
      assertThrowsOp(() => tensor([]).item(), "item", "[0]");
    });
  });

  describe("filled tensors", () => {
    it("zeros, ones, full, and their *Like forms", () => {
      assert.deepEqual(zeros([2, 3]).toArray(), [[0, 0, 0], [0, 0, 0]]);
      assert.deepEqual(ones([2]).toArray(), [1, 1]);
      assert.deepEqual(full([2, 2], 7).toArray(), [[7, 7], [7, 7]]);
      assert.deepEqual(zeros([]).toArray(), 0);
      assert.deepEqual(zeros([0, 4]).shape, [0, 4]);
      assert.equal(full([1], 3, { dtype: "int32" }).dtype, "int32");
      // a bool is 0 or 1 whatever number fills it
      assert.deepEqual(full([2], 2, { dtype: "bool" }).eq(tensor([true, true])).toArray(), [true, true]);
      const x = tensor([[1, 2]], { dtype: "int32" });
      assert.equal(zerosLike(x).dtype, "int32");
      assert.deepEqual(onesLike(x).toArray(), [[1, 1]]);
      assert.deepEqual(fullLike(x, 5).toArray(), [[5, 5]]);
      assert.equal(zeros([2], { requiresGrad: true }).requiresGrad, true);
    });

    it("eye: square and rectangular", () => {
      assert.deepEqual(eye(3).toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
      assert.deepEqual(eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
      assert.deepEqual(eye(3, 2).toArray(), [[1, 0], [0, 1], [0, 0]]);
      assert.deepEqual(eye(0).shape, [0, 0]);
    });

    it("bad shapes name the op", () => {
      assertThrowsOp(() => zeros([2, -1]), "zeros", "[2,-1]");
      assertThrowsOp(() => ones([1.5]), "ones", "[1.5]");
      assertThrowsOp(() => full([-3], 1), "full", "[-3]");
      assertThrowsOp(() => eye(-1), "eye", "-1");
    });
  });

  describe("ranges", () => {
    it("arange: end only, start/end, steps (negative, fractional); int32 for integers", () => {
      const a = arange(5);
      assert.equal(a.dtype, "int32");
      assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
      assert.deepEqual(arange(2, 6).toArray(), [2, 3, 4, 5]);
      assert.deepEqual(arange(5, 0, -2).toArray(), [5, 3, 1]);
      assert.deepEqual(arange(3, 3).shape, [0]);
      assert.deepEqual(arange(3, 1).shape, [0]);
      const f = arange(1, 2.5, 0.5);
      assert.equal(f.dtype, "float32");
      assertClose(f, [1, 1.5, 2]);
      // the count is ceil((end - start) / step), as in PyTorch
      assert.deepEqual(arange(0, 0.3, 0.1).shape, [3]);
      assert.deepEqual(arange(0, 1, 0.1).shape, [10]);
      assert.equal(arange(3, undefined, 1, { dtype: "float32" }).dtype, "float32");
      assertThrowsOp(() => arange(0, 1, 0), "arange", "step");
    });

    it("linspace includes both ends exactly", () => {
      assertClose(linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
      assertClose(linspace(-1, 1, 3), [-1, 0, 1]);
      assertClose(linspace(2, 3, 1), [2]);
      assert.deepEqual(linspace(2, 3, 0).shape, [0]);
      assertClose(linspace(1, 0, 3), [1, 0.5, 0]);
      if (backend === "js") {
        // start + (end - start) * 6/6 is not exactly end for these: counting back from end is
        const v = linspace(-3, -0.7799999999999995, 7, { dtype: "float64" }).values();
        assert.equal(v[0], -3);
        assert.equal(v[6], -0.7799999999999995);
        for (let i = 1; i < 7; i++) assert.ok(Math.abs(v[i] - v[i - 1] - (3 - 0.7799999999999995) / 6) < 1e-15);
      }
      assertThrowsOp(() => linspace(0, 1, -1), "linspace", "-1");
    });
  });

  describe("dtypes", () => {
    it("conversion with type(), float(), double(), int(), bool()", () => {
      const x = tensor([1.5, -2.5, 0]);
      assert.deepEqual(x.int().toArray(), [1, -2, 0]);
      assert.deepEqual(x.bool().toArray(), [true, true, false]);
      assert.equal(x.int().float().dtype, "float32");
      if (backend === "js") {
        const d = x.double();
        assert.equal(d.dtype, "float64");
        assert.deepEqual(d.toArray(), [1.5, -2.5, 0]);
        // casting is differentiable between float types
        const y = tensor([2], { requiresGrad: true });
        y.double().mul(3).sum().backward();
        assert.equal(y.grad!.dtype, "float32");
        assert.deepEqual(y.grad!.toArray(), [3]);
      }
    });
  });
});
