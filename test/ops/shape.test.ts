import assert from "node:assert/strict";
import fc from "fast-check";
import { arange, cat, chunk, pad, split, stack, tensor, Tensor } from "../../src";
import { assertClose, forEachBackend } from "../helpers";
import { FC, assertGradcheck, gradOf, shapeArb, tensorOfShapeArb, tensorsOfShapesArb, ravel, unravel } from "./arbitraries";

/*
 * Shape ops move values without computing new ones, so their forward is
 * checked against index arithmetic written here (unravel / ravel), and their
 * backward with float64 central differences on every layout the arbitraries
 * make (contiguous, transposed, sliced with a step, expanded with stride 0).
 */


/** Python's range(start, stop, step) of a slice, after negative indices and clipping. */
function sliceIndices(n: number, start: number, end: number | undefined, step: number): number[] {
  const clip = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const out: number[] = [];
  for (let i = clip(start); i < clip(end ?? n); i += step) out.push(i);
  return out;
}

/** A different weight per output element, so a gradient routed to the wrong place shows. */
const weighted = (y: Tensor) => y.mul(arange(y.numel()).double().add(1).reshape(y.shape));

forEachBackend("shape ops: forward", (backend) => {
  it("reshape infers one -1 and keeps row-major order", () => {
    const x = arange(12).float();
    assertClose(x.reshape(-1, 4), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    assertClose(x.reshape([2, -1, 2]).select(1, 2), [[4, 5], [10, 11]]);
    assert.deepEqual(x.view(3, 2, 2).shape, [3, 2, 2]);
    assert.deepEqual(tensor([5]).reshape([]).shape, []);
  });

  it("reshape of a transposed (non-contiguous) tensor reads it in its logical order", () => {
    const x = arange(6).float().reshape(2, 3).t();
    assertClose(x.reshape(-1), [0, 3, 1, 4, 2, 5]);
  });

  if (backend === "js") {
    it("a view of contiguous data shares storage: writing through it changes the base", () => {
      const x = arange(6).float();
      const v = x.reshape(2, 3);
      v.add_(10);
      assertClose(x, [10, 11, 12, 13, 14, 15]);
      const row = x.reshape(2, 3).select(0, 1);
      row.zero_();
      assertClose(x, [10, 11, 12, 0, 0, 0]);
      assert.equal(x.version, v.version, "views share the version counter");
      const t = x.reshape(2, 3).t();
      t.slice(0, 0, 1).fill_(-1);
      assertClose(x, [-1, 11, 12, -1, 0, 0]);
    });
  }

  it("transpose, t() and permute", () => {
    const x = arange(24).float().reshape(2, 3, 4);
    assertClose(arange(6).float().reshape(2, 3).t(), [[0, 3], [1, 4], [2, 5]]);
    const p = x.permute(2, 0, 1);
    assert.deepEqual(p.shape, [4, 2, 3]);
    assertClose(p.select(0, 1), [[1, 5, 9], [13, 17, 21]]);
    assertClose(x.transpose(0, 2).select(2, 1), [[12, 16, 20], [13, 17, 21], [14, 18, 22], [15, 19, 23]]);
    assertClose(x.permute([-1, -3, -2]), p);
  });

  it("permute matches index arithmetic on random shapes and layouts", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 4 }).chain((s) => fc.tuple(tensorOfShapeArb(s, { dtype: "float32" }), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }))),
        ([x, perm]) => {
          const y = x.permute(perm);
          const xv = x.values(), yv = y.values();
          assert.deepEqual(y.shape, perm.map((p) => x.shape[p]));
          for (let i = 0; i < yv.length; i++) {
            const yi = unravel(i, y.shape);
            const xi = new Array<number>(perm.length);
            perm.forEach((p, k) => (xi[p] = yi[k]));
            assert.equal(yv[i], xv[ravel(xi, x.shape)]);
          }
        },
      ),
      FC,
    );
  });

  it("flatten, squeeze and unsqueeze", () => {
    const x = arange(24).float().reshape(2, 3, 4);
    assert.deepEqual(x.flatten().shape, [24]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
    assertClose(x.flatten(1).select(1, 5), [5, 17]);
    const y = x.reshape(1, 2, 1, 3, 4, 1);
    assert.deepEqual(y.squeeze().shape, [2, 3, 4]);
    assert.deepEqual(y.squeeze(2).shape, [1, 2, 3, 4, 1]);
    assert.deepEqual(y.squeeze([0, -1]).shape, [2, 1, 3, 4]);
    assert.deepEqual(y.squeeze(1).shape, y.shape, "squeezing a dim that is not 1 is a no-op");
    assert.deepEqual(x.unsqueeze(0).shape, [1, 2, 3, 4]);
    assert.deepEqual(x.unsqueeze(-1).shape, [2, 3, 4, 1]);
    assert.deepEqual(x.unsqueeze([0, 2]).shape, [1, 2, 1, 3, 4]);
    assertClose(x.unsqueeze(1).squeeze(1), x);
  });

  it("expand broadcasts size-1 and new leading dims; -1 keeps a size", () => {
    const x = tensor([[1], [2]]);
    assertClose(x.expand(2, 3), [[1, 1, 1], [2, 2, 2]]);
    assertClose(x.expand(2, -1, 2), [[[1, 1], [2, 2]], [[1, 1], [2, 2]]]);
    assertClose(tensor([1, 2, 3]).expandAs(arange(6).reshape(2, 3)), [[1, 2, 3], [1, 2, 3]]);
  });

  it("contiguous keeps the values of any view", () => {
    const x = arange(24).float().reshape(2, 3, 4);
    const views = [x.transpose(0, 2), x.slice(2, 1, undefined, 2), x.select(1, 1).expand(3, 2, 4), x.permute(1, 2, 0)];
    for (const v of views) {
      const c = v.contiguous();
      assert.deepEqual(c.shape, v.shape);
      assert.deepEqual(Array.from(c.values()), Array.from(v.values()));
    }
    assertClose(x.t().contiguous().reshape(-1).slice(0, 0, 4), [0, 4, 8, 1]);
  });

  it("cat along any dim, and stack", () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6]]), c = tensor([[7], [8]]);
    assertClose(cat([a, b]), [[1, 2], [3, 4], [5, 6]]);
    assertClose(cat([a, c], 1), [[1, 2, 7], [3, 4, 8]]);
    assertClose(cat([a, c, a], -1), [[1, 2, 7, 1, 2], [3, 4, 8, 3, 4]]);
    assertClose(stack([a, a.mul(10)]), [[[1, 2], [3, 4]], [[10, 20], [30, 40]]]);
    assertClose(stack([a, a.mul(10)], 1), [[[1, 2], [10, 20]], [[3, 4], [30, 40]]]);
    assertClose(stack([a, a.mul(10)], -1), [[[1, 10], [2, 20]], [[3, 30], [4, 40]]]);
    assertClose(stack([tensor(1), tensor(2)]), [1, 2]);
  });

  it("cat of random views matches index arithmetic", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(shapeArb({ minRank: 1, maxRank: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), fc.nat())
          .chain(([s, sizes, dr]) => {
            const d = dr % s.length;
            const shapes = sizes.map((n) => s.map((v, i) => (i === d ? n : v)));
            return fc.tuple(fc.constant(d), tensorsOfShapesArb(shapes, { dtype: "float32" }));
          }),
        ([d, xs]) => {
          const y = cat(xs, d);
          const yv = y.values();
          let at = 0;
          for (const x of xs) {
            const xv = x.values();
            for (let i = 0; i < xv.length; i++) {
              const idx = unravel(i, x.shape);
              idx[d] += at;
              assert.equal(yv[ravel(idx, y.shape)], xv[i]);
            }
            at += x.shape[d];
          }
          assert.equal(y.shape[d], at);
        },
      ),
      FC,
    );
  });

  it("split by size and by a list, chunk", () => {
    const x = arange(10).float().reshape(2, 5);
    const parts = x.split(2, 1);
    assert.deepEqual(parts.map((p) => p.shape), [[2, 2], [2, 2], [2, 1]]);
    assertClose(parts[2], [[4], [9]]);
    const [p, q] = split(x, [1, 4], -1);
    assertClose(p, [[0], [5]]);
    assertClose(q, [[1, 2, 3, 4], [6, 7, 8, 9]]);
    const ch = chunk(arange(7).float(), 3);
    assert.deepEqual(ch.map((c) => Array.from(c.values())), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(x.chunk(2, 0).map((c) => c.shape), [[1, 5], [1, 5]]);
    // an empty dim splits into one empty piece, as in PyTorch
    assert.deepEqual(arange(0).float().split(2).map((c) => c.shape), [[0]]);
    assert.deepEqual(arange(0).float().chunk(3).map((c) => c.shape), [[0]]);
  });

  it("slice with negative indices, clipping and steps", () => {
    const x = arange(10).float();
    assertClose(x.slice(0, -3), [7, 8, 9]);
    assertClose(x.slice(0, 1, -1, 3), [1, 4, 7]);
    assertClose(x.slice(0, -100, 100, 4), [0, 4, 8]);
    assertClose(x.slice(0, 8, 2), []);
    const m = arange(12).float().reshape(3, 4);
    assertClose(m.slice(-1, 1, undefined, 2), [[1, 3], [5, 7], [9, 11]]);
    assertClose(m.slice(0, -2).slice(1, 0, -2), [[4, 5], [8, 9]]);
  });

  it("slice matches Python's semantics on random arguments and layouts", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 }).chain((s) =>
          fc.tuple(
            tensorOfShapeArb(s, { dtype: "float32" }),
            fc.integer({ min: -s.length, max: s.length - 1 }),
            fc.integer({ min: -7, max: 7 }),
            fc.option(fc.integer({ min: -7, max: 7 })),
            fc.integer({ min: 1, max: 3 }),
          ),
        ),
        ([x, dim, start, end, step]) => {
          const d = dim < 0 ? dim + x.ndim : dim;
          const keep = sliceIndices(x.shape[d], start, end ?? undefined, step);
          const y = x.slice(dim, start, end ?? undefined, step);
          assert.deepEqual(y.shape, x.shape.map((v, i) => (i === d ? keep.length : v)));
          const xv = x.values(), yv = y.values();
          for (let i = 0; i < yv.length; i++) {
            const idx = unravel(i, y.shape);
            idx[d] = keep[idx[d]];
            assert.equal(yv[i], xv[ravel(idx, x.shape)]);
          }
        },
      ),
      FC,
    );
  });

  it("select drops the dim; negative indices count from the end", () => {
    const m = arange(12).float().reshape(3, 4);
    assertClose(m.select(0, 1), [4, 5, 6, 7]);
    assertClose(m.select(1, -1), [3, 7, 11]);
    assertClose(m.select(-2, -3), [0, 1, 2, 3]);
    assert.deepEqual(tensor([7]).select(0, 0).shape, []);
  });

  it("pad: (left, right, top, bottom) from the last dim, with a value", () => {
    const x = tensor([[1, 2], [3, 4]]);
    assertClose(x.pad([1, 0]), [[0, 1, 2], [0, 3, 4]]);
    assertClose(pad(x, [0, 1, 1, 0], -1), [[-1, -1, -1], [1, 2, -1], [3, 4, -1]]);
    const y = arange(24).float().reshape(2, 3, 4);
    const p = y.pad([1, 2, 0, 1, 2, 0]);
    assert.deepEqual(p.shape, [4, 4, 7]);
    assertClose(p.slice(0, 2).slice(1, 0, 3).slice(2, 1, 5), y);
    assertClose(p.sum(), y.sum());
  });
});

forEachBackend("shape ops: gradients (float64 central differences)", (backend) => {
  if (backend !== "js") return;

  it("reshape (with -1), flatten, squeeze, unsqueeze on every layout", () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3 }).chain((s) => tensorOfShapeArb(s)), (x) => {
        assertGradcheck((a) => weighted(a.reshape(-1)), [x]);
        assertGradcheck((a) => weighted(a.flatten(x.ndim > 1 ? 1 : 0)), [x]);
        assertGradcheck((a) => weighted(a.unsqueeze(0).unsqueeze(-1).squeeze()), [x]);
        assertGradcheck((a) => weighted(a.reshape(1, -1, 1).squeeze(0)), [x]);
      }),
      FC,
    );
  });

  it("transpose, permute and contiguous on every layout", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 2, maxRank: 4, maxDim: 3 }).chain((s) => fc.tuple(tensorOfShapeArb(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }))),
        ([x, perm]) => {
          assertGradcheck((a) => weighted(a.permute(perm)), [x]);
          assertGradcheck((a) => weighted(a.transpose(0, -1).contiguous()), [x]);
          // a reshape of a non-contiguous view copies; its gradient still lands in place
          assertGradcheck((a) => weighted(a.permute(perm).reshape(-1)), [x]);
        },
      ),
      FC,
    );
  });

  it("expand sums the gradient over broadcast dims", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
          fc.tuple(fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.integer({ min: 1, max: 3 })).chain(([ones, lead]) => {
            const small = s.map((d, i) => (ones[i] ? 1 : d));
            return fc.tuple(tensorOfShapeArb(small), fc.constant([lead, ...s]));
          }),
        ),
        ([x, target]) => assertGradcheck((a) => weighted(a.expand(target)), [x]),
      ),
      FC,
    );
    const x = tensor([[1], [2]], { dtype: "float64", requiresGrad: true });
    x.expand(2, 3).mul(tensor([1, 2, 3], { dtype: "float64" })).sum().backward();
    assertClose(x.grad!, [[6], [6]]);
  });

  it("slice with random start, end and step, and select", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 }).chain((s) =>
          fc.tuple(tensorOfShapeArb(s), fc.nat(s.length - 1), fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 }), fc.integer({ min: 1, max: 3 })),
        ),
        ([x, d, start, end, step]) => {
          assertGradcheck((a) => weighted(a.slice(d, start, end, step)), [x]);
          const i = ((start % x.shape[d]) + x.shape[d]) % x.shape[d];
          assertGradcheck((a) => weighted(a.select(d, i - x.shape[d])), [x]);
        },
      ),
      FC,
    );
  });

  it("slice and its adjoint differentiate twice", () => {
    const x = tensor([[0.5, -1, 2, 0.3], [1.5, 0.7, -0.2, 1.1]], { dtype: "float64" });
    // d/dx of sum(slice(x)^3) is 3 slice(x)^2 scattered back; differentiate that again
    assertGradcheck(gradOf((b) => b.slice(1, 1, undefined, 2).pow(3)), [x]);
  });

  it("cat and stack of random views send each input its own part", () => {
    fc.assert(
      fc.property(
        fc
          .tuple(shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }), fc.nat())
          .chain(([s, sizes, dr]) => {
            const d = dr % s.length;
            return fc.tuple(fc.constant(d), tensorsOfShapesArb(sizes.map((n) => s.map((v, i) => (i === d ? n : v)))), tensorsOfShapesArb(sizes.map(() => s)));
          }),
        ([d, xs, same]) => {
          assertGradcheck((...as) => weighted(cat(as, d)), xs);
          assertGradcheck((...as) => weighted(stack(as, d)), same);
        },
      ),
      FC,
    );
  });

  it("split and chunk: every piece gets its own gradient", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, maxDim: 5 }).chain((s) => fc.tuple(tensorOfShapeArb(s), fc.nat(s.length - 1), fc.integer({ min: 1, max: 4 }))),
        ([x, d, k]) => {
          const mix = (ps: Tensor[]) => cat(ps.map((p, i) => p.mul(i + 1).sin()), d);
          assertGradcheck((a) => weighted(mix(a.split(k, d))), [x]);
          assertGradcheck((a) => weighted(mix(a.chunk(k, d))), [x]);
        },
      ),
      FC,
    );
  });

  it("pad passes the gradient of the middle back", () => {
    fc.assert(
      fc.property(
        shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 }).chain((s) =>
          fc.tuple(tensorOfShapeArb(s), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2 * s.length, maxLength: 2 * s.length }), fc.nat(s.length)),
        ),
        ([x, p, keep]) => assertGradcheck((a) => weighted(a.pad(p.slice(0, 2 * Math.max(keep, 1)), 0.5)), [x]),
      ),
      FC,
    );
  });
});
