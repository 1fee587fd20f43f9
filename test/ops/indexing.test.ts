import assert from "node:assert/strict";
import fc from "fast-check";
import { arange, embedding, gather, index, indexAdd, indexSelect, oneHot, ones, randn, scatterAdd, tensor, Tensor, zeros } from "../../src";
import { assertClose, forEachBackend } from "../helpers";
import { FC, assertGradcheck, gradOf, shapeArb, tensorOfShapeArb, ravel, unravel } from "./arbitraries";

const int = (data: number[] | number[][] | number[][][]) => tensor(data, { dtype: "int32" });


/**
 * A gather/scatter problem: x of a random shape and layout, a dim, and an
 * int32 index no larger than x off `dim` (any length along it), with values
 * in range and repeats (so scatterAdd has to add, not overwrite).
 */
const gatherCase = (dtype: "float32" | "float64") =>
  shapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
    fc.nat(s.length - 1).chain((d) =>
      fc
        .tuple(...s.map((n, i) => (i === d ? fc.integer({ min: 1, max: 4 }) : fc.integer({ min: 1, max: n }))))
        .chain((ishape) =>
          fc.tuple(
            tensorOfShapeArb(s, { dtype }),
            fc.constant(d),
            fc.array(fc.nat(s[d] - 1), { minLength: ishape.reduce((a, b) => a * b, 1), maxLength: ishape.reduce((a, b) => a * b, 1) }).map((v) => Tensor.fromTyped(Int32Array.from(v), ishape)),
          ),
        ),
    ),
  );

/** An indexSelect / indexAdd problem: x, a dim, a 1-D index (repeats allowed). */
const selectCase = (dtype: "float32" | "float64") =>
  shapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
    fc.tuple(
      tensorOfShapeArb(s, { dtype }),
      fc.nat(s.length - 1).chain((d) => fc.tuple(fc.constant(d), fc.array(fc.nat(s[d] - 1), { minLength: 1, maxLength: 5 }))),
    ),
  );

forEachBackend("indexing ops: forward", () => {
  it("index with an integer tensor of any shape, along any dim", () => {
    const x = arange(12).float().reshape(3, 4);
    assertClose(x.index(int([2, 0, 2])), [[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    const y = index(x, int([[3, 0], [1, 1]]), 1);
    assert.deepEqual(y.shape, [3, 2, 2]);
    assertClose(y.select(0, 1), [[7, 4], [5, 5]]);
    assertClose(x.index(tensor(1, { dtype: "int32" })), [4, 5, 6, 7]);
  });

  it("gather picks along dim, PyTorch's rule", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    // out[i][j] = x[i][idx[i][j]]
    assertClose(x.gather(1, int([[2, 0], [1, 1]])), [[3, 1], [5, 5]]);
    // out[i][j] = x[idx[i][j]][j]
    assertClose(gather(x, 0, int([[1, 0, 1]])), [[4, 2, 6]]);
    // a transposed input
    assertClose(x.t().gather(0, int([[1, 0]])), [[2, 4]]);
  });

  it("gather matches index arithmetic on random shapes and layouts", () => {
    fc.assert(
      fc.property(gatherCase("float32"), ([x, d, idx]) => {
        const y = x.gather(d, idx);
        const xv = x.values(), iv = idx.values(), yv = y.values();
        assert.deepEqual(y.shape, idx.shape);
        for (let p = 0; p < yv.length; p++) {
          const at = unravel(p, idx.shape);
          at[d] = iv[p];
          assert.equal(yv[p], xv[ravel(at, x.shape)]);
        }
      }),
      FC,
    );
  });

  it("scatterAdd adds repeated targets; src may be larger than index", () => {
    const r = zeros([2, 3]).scatterAdd(1, int([[0, 0, 2], [1, 1, 1]]), tensor([[1, 2, 3], [4, 5, 6]]));
    assertClose(r, [[3, 0, 3], [0, 15, 0]]);
    const big = scatterAdd(ones([3, 2]), 0, int([[2, 0]]), tensor([[10, 20], [30, 40]]));
    assertClose(big, [[1, 21], [1, 1], [11, 1]]);
  });

  it("scatterAdd matches index arithmetic and leaves its input alone", () => {
    fc.assert(
      fc.property(gatherCase("float32"), ([x, d, idx]) => {
        const before = Array.from(x.values());
        const src = randn(idx.shape);
        const y = x.scatterAdd(d, idx, src);
        const expected = Float64Array.from(before);
        const iv = idx.values(), sv = src.values();
        for (let p = 0; p < iv.length; p++) {
          const at = unravel(p, idx.shape);
          at[d] = iv[p];
          expected[ravel(at, x.shape)] += sv[p];
        }
        assertClose(y, Tensor.fromTyped(expected, x.shape, { dtype: "float32" }), { rtol: 1e-5, atol: 1e-5 });
        assert.deepEqual(Array.from(x.values()), before);
      }),
      FC,
    );
  });

  it("indexSelect and indexAdd (with repeats)", () => {
    const x = arange(6).float().reshape(2, 3);
    assertClose(x.indexSelect(1, int([2, 2, 0])), [[2, 2, 0], [5, 5, 3]]);
    assertClose(indexSelect(x, 0, int([1])), [[3, 4, 5]]);
    assertClose(indexAdd(zeros([3, 2]), 0, int([0, 2, 0]), tensor([[1, 2], [3, 4], [5, 6]])), [[6, 8], [0, 0], [3, 4]]);
    assertClose(indexAdd(x, 1, int([1]), tensor([[10], [20]])), [[0, 11, 2], [3, 24, 5]]);
  });

  it("indexSelect and indexAdd match index arithmetic on random views", () => {
    fc.assert(
      fc.property(selectCase("float32"), ([x, [d, ids]]) => {
        const idx = int(ids);
        const y = x.indexSelect(d, idx);
        const xv = x.values(), yv = y.values();
        for (let p = 0; p < yv.length; p++) {
          const at = unravel(p, y.shape);
          at[d] = ids[at[d]];
          assert.equal(yv[p], xv[ravel(at, x.shape)]);
        }
        const src = randn(y.shape);
        const z = indexAdd(x, d, idx, src);
        const expected = Float64Array.from(xv);
        const sv = src.values();
        for (let p = 0; p < sv.length; p++) {
          const at = unravel(p, y.shape);
          at[d] = ids[at[d]];
          expected[ravel(at, x.shape)] += sv[p];
        }
        assertClose(z, Tensor.fromTyped(expected, x.shape, { dtype: "float32" }), { rtol: 1e-5, atol: 1e-5 });
      }),
      FC,
    );
  });

  it("embedding looks up rows for ids of any shape", () => {
    const w = arange(8).float().reshape(4, 2);
    const e = embedding(int([[3, 0, 3], [1, 2, 2]]), w);
    assert.deepEqual(e.shape, [2, 3, 2]);
    assertClose(e.select(0, 0), [[6, 7], [0, 1], [6, 7]]);
    assertClose(e.select(0, 1), [[2, 3], [4, 5], [4, 5]]);
  });

  it("oneHot gives float32 rows with a single 1", () => {
    const h = oneHot(int([2, 0, 1]), 4);
    assert.equal(h.dtype, "float32");
    assertClose(h, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]);
    const h2 = oneHot(int([[1], [0]]), 2);
    assertClose(h2, [[[0, 1]], [[1, 0]]]);
  });
});

forEachBackend("indexing ops: gradients (float64 central differences)", (backend) => {
  if (backend !== "js") return;

  it("gather: the gradient is scattered back, repeats add up", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    x.gather(1, int([[2, 2], [0, 1]])).mul(tensor([[1, 10], [100, 1000]])).sum().backward();
    assertClose(x.grad!, [[0, 0, 11], [100, 1000, 0]]);
    fc.assert(fc.property(gatherCase("float64"), ([x, d, idx]) => assertGradcheck((a) => a.gather(d, idx).sin(), [x])), FC);
  });

  it("scatterAdd: x gets the gradient, src the gathered gradient (also a larger src)", () => {
    fc.assert(
      fc.property(gatherCase("float64"), fc.boolean(), ([x, d, idx], larger) => {
        const src = randn(larger ? idx.shape.map((n) => n + 1) : idx.shape, { dtype: "float64" });
        assertGradcheck((a, s) => a.scatterAdd(d, idx, s).sin(), [x, src]);
      }),
      FC,
    );
  });

  it("indexSelect and indexAdd", () => {
    fc.assert(
      fc.property(selectCase("float64"), ([x, [d, ids]]) => {
        const idx = int(ids);
        assertGradcheck((a) => a.indexSelect(d, idx).sin(), [x]);
        const src = randn(x.shape.map((n, i) => (i === d ? ids.length : n)), { dtype: "float64" });
        assertGradcheck((a, s) => indexAdd(a, d, idx, s).sin(), [x, src]);
      }),
      FC,
    );
  });

  it("index and embedding: a row used twice gets both gradients", () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    embedding(int([[0, 2], [0, 0]]), w).sum().backward();
    assertClose(w.grad!, [[3, 3], [0, 0], [1, 1]]);
    const x = randn([3, 4], { dtype: "float64" });
    assertGradcheck((a) => a.index(int([[3, 1], [1, 0]]), 1).tanh(), [x]);
    assertGradcheck((a) => embedding(int([[2, 0, 2]]), a).pow(2), [x]);
  });

  it("gather, scatterAdd and indexSelect differentiate twice", () => {
    const x = randn([3, 4], { dtype: "float64" });
    const idx = int([[1, 1, 0], [3, 2, 2], [0, 0, 0]]);
    assertGradcheck(gradOf((a) => a.gather(1, idx).pow(3)), [x]);
    assertGradcheck(gradOf((a, s) => a.scatterAdd(1, idx, s).pow(3), 1), [x, randn([3, 3], { dtype: "float64" })]);
    assertGradcheck(gradOf((a) => a.indexSelect(0, int([2, 0, 2])).sin()), [x]);
  });
});
