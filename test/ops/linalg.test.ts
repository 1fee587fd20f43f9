import assert from "node:assert/strict";
import fc from "fast-check";
import { matmul, tensor, Tensor } from "../../src";
import { assertClose, assertThrowsOp, forEachBackend, itOnJs } from "../helpers";
import { FC, assertGradcheck, gradOf, tensorsOfShapesArb } from "./arbitraries";

/**
 * The reference: PyTorch's matmul rules spelled out on plain arrays. 1-D
 * operands become a row / column and lose that dim again; batch dims broadcast.
 */
function naiveMatmul(a: Tensor, b: Tensor): { shape: number[]; values: number[] } {
  const as = a.ndim === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.ndim === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K] = as.slice(-2);
  const N = bs[bs.length - 1];
  const ab = as.slice(0, -2), bb = bs.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const ap = pad(ab), bp = pad(bb);
  const batch = ap.map((d, i) => Math.max(d, bp[i]));
  const av = a.values(), bv = b.values();
  const nb = batch.reduce((x, y) => x * y, 1);
  const out: number[] = [];
  for (let t = 0; t < nb; t++) {
    // multi-index of batch element t, then the matching (broadcast) element of a and b
    let rem = t, ai = 0, bi = 0, aStride = 1, bStride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      ai += (ap[d] === 1 ? 0 : i) * aStride;
      bi += (bp[d] === 1 ? 0 : i) * bStride;
      aStride *= ap[d];
      bStride *= bp[d];
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += av[ai * M * K + i * K + k] * bv[bi * K * N + k * N + j];
        out.push(s);
      }
  }
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  return { shape, values: out };
}

/** Shapes for a @ b: 1-D or 2-D operands, or batched ones whose batch dims broadcast (some 1s, some missing). */
const matmulShapesArb = fc
  .record({
    M: fc.integer({ min: 1, max: 4 }),
    K: fc.integer({ min: 1, max: 4 }),
    N: fc.integer({ min: 1, max: 4 }),
    batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    aKind: fc.constantFrom("vector", "matrix", "batched"),
    bKind: fc.constantFrom("vector", "matrix", "batched"),
    aOnes: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    bOnes: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
    aDrop: fc.integer({ min: 0, max: 2 }),
    bDrop: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ M, K, N, batch, aKind, bKind, aOnes, bOnes, aDrop, bDrop }) => {
    const bat = (ones: boolean[], drop: number) => batch.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(drop, batch.length));
    const a = aKind === "vector" ? [K] : aKind === "matrix" ? [M, K] : [...bat(aOnes, aDrop), M, K];
    const b = bKind === "vector" ? [K] : bKind === "matrix" ? [K, N] : [...bat(bOnes, bDrop), K, N];
    return [a, b];
  });

forEachBackend("matmul", (backend) => {
  const itJs = itOnJs(backend);

  describe("forward values", () => {
    it("2-D @ 2-D", () => {
      const a = tensor([[1, 2, 3], [4, 5, 6]]);
      const b = tensor([[7, 8], [9, 10], [11, 12]]);
      assertClose(a.matmul(b), [[58, 64], [139, 154]]);
      assertClose(matmul(b, a), [[39, 54, 69], [49, 68, 87], [59, 82, 105]]);
    });

    it("1-D operands: dot product, vector @ matrix, matrix @ vector", () => {
      assertClose(tensor([1, 2, 3]).matmul(tensor([4, 5, 6])), 32);
      assertClose(tensor([1, 2]).matmul(tensor([[1, 2, 3], [4, 5, 6]])), [9, 12, 15]);
      assertClose(tensor([[1, 2, 3], [4, 5, 6]]).matmul(tensor([1, 0, -1])), [-2, -2]);
    });

    it("batched, with a shared right matrix, and with broadcast batch dims", () => {
      const a = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 3]]]); // [2,2,2]
      const b = tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
      assertClose(a.matmul(b), [[[1, 2], [3, 4]], [[10, 12], [21, 24]]]);
      assertClose(a.matmul(tensor([[1, 1], [1, 1]])), [[[1, 1], [1, 1]], [[2, 2], [3, 3]]]);
      assertClose(tensor([[1, 1]]).matmul(b), [[[4, 6]], [[12, 14]]]);
      // [2,1,1,2] @ [3,2,1] -> [2,3,1,1]
      const p = tensor([[[[1, 2]]], [[[3, 4]]]]);
      const q = tensor([[[1], [0]], [[0], [1]], [[1], [1]]]);
      assertClose(p.matmul(q), [[[[1]], [[2]], [[3]]], [[[3]], [[4]], [[7]]]]);
      // vector @ batch of matrices, batch of matrices @ vector
      assertClose(tensor([1, -1]).matmul(b), [[-2, -2], [-2, -2]]);
      assertClose(b.matmul(tensor([1, -1])), [[-1, -1], [-1, -1]]);
    });

    it("transposed and strided operands give the same product as contiguous copies", () => {
      const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
      const xt = x.t();
      assertClose(xt.matmul(x), xt.contiguous().matmul(x));
      const s = x.slice(1, 0, undefined, 2); // [3,2]
      assertClose(s.t().matmul(s), [[107, 137], [137, 179]]);
    });

    it("agrees with the reference on random shapes (1-D, 2-D, batched, broadcast) and layouts", () => {
      fc.assert(
        fc.property(matmulShapesArb.chain(([a, b]) => tensorsOfShapesArb([a, b], { dtype: "float32" })), ([a, b]) => {
          const ref = naiveMatmul(a, b);
          const r = a.matmul(b);
          assert.deepEqual(r.shape, ref.shape);
          assertClose(r.reshape([-1]), ref.values, { rtol: 1e-5, atol: 1e-5 });
        }),
        FC,
      );
    });

    it("a large product (several 4x4 blocks and a K-block boundary) matches the reference", () => {
      const a = tensor(Array.from({ length: 9 }, (_, i) => Array.from({ length: 300 }, (_, k) => Math.sin(i * 300 + k))));
      const b = tensor(Array.from({ length: 300 }, (_, k) => Array.from({ length: 7 }, (_, j) => Math.cos(k * 7 + j))));
      const ref = naiveMatmul(a, b);
      assertClose(a.matmul(b).reshape([-1]), ref.values, { rtol: 1e-4, atol: 1e-4 });
    });

    it("a · bᵀ with both row-major (a filter gradient's layout, multiplied without packing), odd sizes, matches the reference", () => {
      for (const [M, N, K] of [[9, 7, 300], [5, 3, 2], [1, 13, 41], [32, 9, 67]]) {
        const a = tensor(Array.from({ length: M }, (_, i) => Array.from({ length: K }, (_, k) => Math.sin(i * K + k))));
        const b = tensor(Array.from({ length: N }, (_, j) => Array.from({ length: K }, (_, k) => Math.cos(j * K + k))));
        const ref = naiveMatmul(a, b.t().contiguous());
        assertClose(a.matmul(b.t()).reshape([-1]), ref.values, { rtol: 1e-4, atol: 1e-4 });
      }
    });

    it("float64 stays float64; float32 with float64 promotes", () => {
      if (backend !== "js") return;
      const d = tensor([[1, 2]], { dtype: "float64" });
      assert.equal(d.matmul(tensor([[1], [2]], { dtype: "float64" })).dtype, "float64");
      assert.equal(d.matmul(tensor([[1], [2]])).dtype, "float64");
    });
  });

  describe("errors name the op and both shapes", () => {
    it("inner dims differ, batch dims do not broadcast, 0-d operands", () => {
      assertThrowsOp(() => tensor([[1, 2, 3]]).matmul(tensor([[1, 2]])), "matmul", "[1,3]", "[1,2]", "3", "1");
      assertThrowsOp(() => tensor([1, 2]).matmul(tensor([1, 2, 3])), "matmul", "[2]", "[3]");
      assertThrowsOp(
        () => tensor([[[1]], [[2]]]).matmul(tensor([[[1]], [[2]], [[3]]])),
        "matmul", "[2,1,1]", "[3,1,1]", "batch",
      );
      assertThrowsOp(() => tensor(2).matmul(tensor([1])), "matmul", "[]", "[1]");
    });
  });

  describe("gradients", () => {
    it("known values: dA = G B^T, dB = A^T G", () => {
      const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
      const b = tensor([[5, 6], [7, 8]], { requiresGrad: true });
      a.matmul(b).mul(tensor([[1, 0], [0, 2]])).sum().backward();
      // G = [[1,0],[0,2]]: G B^T = [[5,7],[12,16]], A^T G = [[1,6],[2,8]]
      assertClose(a.grad!, [[5, 7], [12, 16]]);
      assertClose(b.grad!, [[1, 6], [2, 8]]);
    });

    itJs("gradcheck on random shapes, broadcast batches and views", () => {
      fc.assert(
        fc.property(matmulShapesArb.chain(([a, b]) => tensorsOfShapesArb([a, b])), ([a, b]) => {
          assertGradcheck((x, y) => x.matmul(y), [a, b]);
        }),
        FC,
      );
    });

    itJs("double backward: d/dA and d/dB of dL/dA and dL/dB", () => {
      fc.assert(
        fc.property(matmulShapesArb.chain(([a, b]) => tensorsOfShapesArb([a, b])), ([a, b]) => {
          // L = sum((A B)^2): its gradients are bilinear/cubic in A and B
          const f = (x: Tensor, y: Tensor) => x.matmul(y).square();
          assertGradcheck(gradOf(f, 0), [a, b]);
          assertGradcheck(gradOf(f, 1), [a, b]);
          // and the plain product: dL/dA = W B^T depends on B only
          const w = a.matmul(b).detach().cos();
          assertGradcheck(gradOf((x, y) => x.matmul(y), 0, w), [a, b]);
        }),
        { ...FC, numRuns: 12 },
      );
    });
  });
});
