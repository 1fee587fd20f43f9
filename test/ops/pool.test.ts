import fc from "fast-check";
import { avgPool2d, maxPool2d, randn, tensor, Tensor } from "../../src";
import { assertClose, forEachBackend } from "../helpers";
import { FC, assertGradcheck, gradOf, tensorOfShapeArb } from "./arbitraries";

interface PoolCase {
  shape: [number, number, number, number];
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/**
 * Pooling by its definition. Max skips the padding (it never wins); average
 * counts it as zeros and always divides by kh*kw (PyTorch's default,
 * count_include_pad=True).
 */
function poolReference(kind: "max" | "avg", x: Tensor, c: PoolCase): Tensor {
  const [N, C, H, W] = c.shape;
  const [kh, kw] = c.kernel, [sh, sw] = c.stride, [ph, pw] = c.padding;
  const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
  const xv = x.values();
  const out = new Float64Array(N * C * Ho * Wo);
  for (let p = 0; p < N * C; p++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let m = -Infinity, s = 0;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const y = oy * sh - ph + i, xx = ox * sw - pw + j;
            if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
            const v = xv[(p * H + y) * W + xx];
            m = Math.max(m, v);
            s += v;
          }
        out[(p * Ho + oy) * Wo + ox] = kind === "max" ? m : s / (kh * kw);
      }
  return Tensor.fromTyped(out, [N, C, Ho, Wo], { dtype: x.dtype });
}

const poolCase: fc.Arbitrary<PoolCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 6 }),
    W: fc.integer({ min: 1, max: 6 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 1 }),
    pw: fc.integer({ min: 0, max: 1 }),
  })
  .filter((r) => 2 * r.ph <= r.kh && 2 * r.pw <= r.kw && r.H + 2 * r.ph >= r.kh && r.W + 2 * r.pw >= r.kw)
  .map((r) => ({ shape: [r.N, r.C, r.H, r.W], kernel: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw] }));

/** A pooling case with its input, values distinct so the max (and its finite differences) is never a tie. */
const poolProblem = (dtype: "float32" | "float64") =>
  poolCase.chain((c) => fc.tuple(fc.constant(c), tensorOfShapeArb(c.shape, { dtype, distinct: true })));

const optsOf = (c: PoolCase) => ({ stride: c.stride, padding: c.padding });

forEachBackend("pooling: forward", () => {
  const x = tensor([[[[1, 5, 2, 0], [3, -1, 4, 8], [7, 6, -2, 9], [0, 1, 3, 2]]]]);

  it("maxPool2d: kernel 2 (stride defaults to the kernel), stride 1, padding 1", () => {
    assertClose(maxPool2d(x, 2), [[[[5, 8], [7, 9]]]]);
    assertClose(maxPool2d(x, 2, { stride: 1 }), [[[[5, 5, 8], [7, 6, 9], [7, 6, 9]]]]);
    // with padding 1 the 2x2 windows start at (-1,-1); padding never wins, even against negatives
    assertClose(maxPool2d(x, 2, { padding: 1 }), [[[[1, 5, 0], [7, 6, 9], [0, 3, 2]]]]);
    assertClose(maxPool2d(tensor([[[[-3, -4], [-5, -6]]]]), 3, { padding: 1, stride: 2 }), [[[[-3]]]]);
    assertClose(maxPool2d(x, [1, 4]), [[[[5], [8], [9], [3]]]]);
  });

  it("avgPool2d: padding counts as zeros, divided by the full window", () => {
    assertClose(avgPool2d(x, 2), [[[[2, 3.5], [3.5, 3]]]]);
    assertClose(avgPool2d(x, [2, 4], { stride: [2, 1] }), [[[[22 / 8], [26 / 8]]]]);
    assertClose(avgPool2d(tensor([[[[4, 8], [12, 16]]]]), 2, { padding: 1 }), [[[[1, 2], [3, 4]]]]);
  });

  it("match the definition for random kernel, stride, padding and layouts", () => {
    fc.assert(
      fc.property(poolProblem("float32"), ([c, x]) => {
        assertClose(maxPool2d(x, c.kernel, optsOf(c)), poolReference("max", x, c));
        assertClose(avgPool2d(x, c.kernel, optsOf(c)), poolReference("avg", x, c), { rtol: 1e-5, atol: 1e-6 });
      }),
      FC,
    );
  });
});

forEachBackend("pooling: gradients (float64 central differences)", (backend) => {
  if (backend !== "js") return;

  it("maxPool2d sends each gradient to its max; overlapping windows add up", () => {
    const x = tensor([[[[1, 5, 2], [3, -1, 4], [7, 6, -2]]]], { requiresGrad: true });
    maxPool2d(x, 2, { stride: 1 }).mul(tensor([[[[1, 10], [100, 1000]]]])).sum().backward();
    // windows: max 5 (g 1), 5 (g 10), 7 (g 100), 6 (g 1000)
    assertClose(x.grad!, [[[[0, 11, 0], [0, 0, 0], [100, 1000, 0]]]]);
  });

  it("avgPool2d spreads each gradient over its window", () => {
    const x = tensor([[[[1, 2, 3], [4, 5, 6]]]], { requiresGrad: true });
    avgPool2d(x, 2, { stride: 1 }).mul(tensor([[[[4, 8]]]])).sum().backward();
    assertClose(x.grad!, [[[[1, 3, 2], [1, 3, 2]]]]);
  });

  it("gradcheck for random kernel, stride, padding and layouts", () => {
    fc.assert(
      fc.property(poolProblem("float64"), ([c, x]) => {
        assertGradcheck((a) => maxPool2d(a, c.kernel, optsOf(c)), [x]);
        assertGradcheck((a) => avgPool2d(a, c.kernel, optsOf(c)), [x]);
      }),
      FC,
    );
  });

  it("double backward of maxPool2d and avgPool2d", () => {
    fc.assert(
      fc.property(poolProblem("float64"), ([c, x]) => {
        assertGradcheck(gradOf((a) => maxPool2d(a, c.kernel, optsOf(c)).pow(3)), [x]);
        assertGradcheck(gradOf((a) => avgPool2d(a, c.kernel, optsOf(c)).pow(3)), [x]);
      }),
      { ...FC, numRuns: 10 },
    );
    // avgPool2dBackward's own backward (avgPool2d again), reached through a weighted sum
    const x = randn([1, 2, 4, 5], { dtype: "float64" });
    const w = randn([1, 2, 3, 2], { dtype: "float64" });
    assertGradcheck(gradOf((a) => avgPool2d(a.mul(a), 2, { padding: 1, stride: [2, 3] }), 0, w), [x]);
  });
});
