import assert from "node:assert/strict";
import fc from "fast-check";
import { autograd, cat, conv2d, randn, tensor, Tensor } from "../../src";
import type { Conv2dOptions } from "../../src/ops/conv";
import { assertClose, forEachBackend } from "../helpers";
import { FC, assertGradcheck, gradOf, tensorOfShapeArb } from "./arbitraries";

interface ConvCase {
  xShape: [number, number, number, number];
  wShape: [number, number, number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * The definition, written out with no cleverness (no im2col, no matrix
 * product): every output is a sum over its group's channels and the kernel
 * window, skipping taps that fall in the zero padding.
 */
function convReference(x: Tensor, w: Tensor, b: Tensor | null, c: ConvCase): Tensor {
  const [N, C, H, W] = c.xShape;
  const [O, Cg, kh, kw] = c.wShape;
  const [sh, sw] = c.stride, [ph, pw] = c.padding, [dh, dw] = c.dilation;
  const Og = O / c.groups;
  const Ho = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const xv = x.values(), wv = w.values(), bv = b?.values();
  const out = new Float64Array(N * O * Ho * Wo);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let s = bv ? bv[o] : 0;
          const g = Math.floor(o / Og);
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const y = oy * sh - ph + i * dh, xx = ox * sw - pw + j * dw;
                if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                s += xv[((n * C + g * Cg + ci) * H + y) * W + xx] * wv[((o * Cg + ci) * kh + i) * kw + j];
              }
          out[((n * O + o) * Ho + oy) * Wo + ox] = s;
        }
  return Tensor.fromTyped(out, [N, O, Ho, Wo], { dtype: x.dtype });
}

const optsOf = (c: ConvCase): Conv2dOptions => ({ stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });

/** Small random convolutions: every combination of stride, padding, dilation and groups, output at least 1x1. */
const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 2 }),
    Cg: fc.integer({ min: 1, max: 2 }),
    Og: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 5 }),
    W: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 2 }),
    sw: fc.integer({ min: 1, max: 2 }),
    ph: fc.integer({ min: 0, max: 2 }),
    pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
  })
  .filter((r) => r.H + 2 * r.ph >= r.dh * (r.kh - 1) + 1 && r.W + 2 * r.pw >= r.dw * (r.kw - 1) + 1)
  .map((r) => ({
    xShape: [r.N, r.G * r.Cg, r.H, r.W],
    wShape: [r.G * r.Og, r.Cg, r.kh, r.kw],
    stride: [r.sh, r.sw],
    padding: [r.ph, r.pw],
    dilation: [r.dh, r.dw],
    groups: r.G,
  }));

/** A conv case with its x (any layout), w and bias. */
const convProblem = (dtype: "float32" | "float64") =>
  convCase.chain((c) =>
    fc.tuple(fc.constant(c), tensorOfShapeArb(c.xShape, { dtype }), tensorOfShapeArb(c.wShape, { dtype }), tensorOfShapeArb([c.wShape[0]], { dtype, layouts: ["contiguous"] })),
  );

forEachBackend("conv2d: forward", () => {
  it("a 3x3 kernel on a 4x4 image, by hand", () => {
    const x = tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    const w = tensor([[[[1, 0, -1], [0, 1, 0], [-1, 0, 1]]]]);
    // cross-correlation: y[0][0] = 1 - 3 + 6 - 9 + 11 = 6
    assertClose(conv2d(x, w), [[[[6, 7], [10, 11]]]]);
    assertClose(x.conv2d(w, tensor([100])), [[[[106, 107], [110, 111]]]]);
    // padding 1, stride 2: windows centred on (0,0), (0,2), (2,0), (2,2)
    assertClose(conv2d(x, w, null, { padding: 1, stride: 2 }), [[[[7, 5], [17, 11]]]]);
  });

  it("dilation spreads the kernel taps", () => {
    const x = tensor([[[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]]]]);
    const w = tensor([[[[1, 1]]]]);
    assertClose(conv2d(x, w, null, { dilation: [1, 3] }), [[[[5, 7], [15, 17], [25, 27]]]]);
  });

  it("groups keep channel groups apart", () => {
    const x = tensor([[[[1]], [[10]], [[100]], [[1000]]]]);
    const w = tensor([[[[1]], [[2]]], [[[3]], [[4]]]]);
    // group 0 sees channels 0,1; group 1 sees channels 2,3
    assertClose(conv2d(x, w, null, { groups: 2 }), [[[[21]], [[4300]]]]);
  });

  it("matches a direct convolution for random stride, padding, dilation and groups", () => {
    fc.assert(
      fc.property(convProblem("float32"), ([c, x, w, b]) => {
        const y = conv2d(x, w, b, optsOf(c));
        assertClose(y, convReference(x, w, b, c), { rtol: 1e-4, atol: 1e-5 });
      }),
      FC,
    );
  });
});

forEachBackend("conv2d: gradients (float64 central differences)", (backend) => {
  if (backend !== "js") return;

  it("d/dx, d/dw and d/dbias for random geometry and layouts", () => {
    fc.assert(
      fc.property(convProblem("float64"), ([c, x, w, b]) => {
        assertGradcheck((xx, ww, bb) => conv2d(xx, ww, bb, optsOf(c)), [x, w, b]);
      }),
      { ...FC, numRuns: 15 },
    );
  });

  it("double backward: the gradient function is differentiable in x, w and the incoming gradient", () => {
    fc.assert(
      fc.property(convProblem("float64"), ([c, x, w]) => {
        const y = conv2d(x, w, null, optsOf(c));
        const gy = randn(y.shape, { dtype: "float64" });
        // (x, w, gy) -> (dx, dw): both conv2d gradient kernels and the backward rules that differentiate them
        const grads = (...ins: Tensor[]) => {
          // gradcheck's finite-difference probes come without requiresGrad: make them leaves
          const [xx, ww, gg] = ins.map((t) => (t.requiresGrad ? t : t.detach().requiresGrad_(true)));
          const [dx, dw] = autograd.grad(conv2d(xx, ww, null, optsOf(c)), [xx, ww], { gradOutputs: [gg], createGraph: true });
          return cat([dx!.reshape(-1), dw!.reshape(-1)]);
        };
        assertGradcheck(grads, [x, w, gy]);
      }),
      { ...FC, numRuns: 10 },
    );
  });

  it("second derivatives through a nonlinearity (Hessian-vector products)", () => {
    const opts = { stride: 2, padding: 1, dilation: [2, 1] as [number, number], groups: 2 };
    const x = randn([2, 4, 5, 4], { dtype: "float64" }), w = randn([2, 2, 2, 3], { dtype: "float64" });
    assertGradcheck(gradOf((a, b) => conv2d(a, b, null, opts).tanh(), 0), [x, w]);
    assertGradcheck(gradOf((a, b) => conv2d(a, b, null, opts).tanh(), 1), [x, w]);
  });

  it("the weight gradient of a 1x1 conv is the sum of x * gy, by hand", () => {
    const x = tensor([[[[1, 2], [3, 4]]]], { requiresGrad: true });
    const w = tensor([[[[2]]]], { requiresGrad: true });
    conv2d(x, w).sum().backward();
    assertClose(w.grad!, [[[[10]]]]);
    assertClose(x.grad!, [[[[2, 2], [2, 2]]]]);
    assert.equal(x.grad!.dtype, "float32");
  });
});
