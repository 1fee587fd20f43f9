import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import type { Conv2dParams, Pool2dParams } from "../backend";
import { convOutSize } from "../js/conv";
import type { TF } from "./engine";
import { cast } from "./kernels";
import * as L from "./layout";

/*
 * Convolution and pooling in NCHW, on TensorFlow.js kernels that want NHWC.
 *
 * Only the forward Conv2D (and DepthwiseConv2dNative) kernel is used, for
 * all three convolution kernels, because it is the one every engine has
 * and runs fast. Measured on wasm, batch 64, 32->64 channels, 14x14, 3x3:
 *   forward Conv2D                              39 ms
 *   input gradient: Conv2DBackpropInput        332 ms   as a forward conv of the flipped kernel: 25 ms
 *   filter gradient: (no kernel on wasm)   im2col + matMul: 887 ms   as a forward conv, batch<->channels: 73 ms
 * (with one input channel im2col wins after all, when an identity conv lays the windows out: see filterGrad).
 * The transposes NCHW<->NHWC cost about 1 ms each at that size.
 *
 * tfjs has no groups and refuses stride > 1 together with dilation > 1;
 * groups become a depthwise conv (one input channel per group) or one conv
 * per group, and the stride/dilation clash is resolved by spelling the
 * dilation out as zeros inside the kernel.
 */

export type Pads = [[number, number], [number, number]];

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

/**
 * The forward convolution: x [N, H, W, C] (NHWC), w [kh, kw, C/G, O] (HWIO,
 * group g's outputs are channels g*O/G...), explicit padding that may be
 * negative (a crop).
 */
function convNHWC(tf: TF, x: Tensor, w: Tensor, stride: [number, number], dil: [number, number], pads: Pads, G: number): Tensor {
  if (pads.some(([a, b]) => a < 0 || b < 0)) {
    x = L.padOrCrop(tf, x, [[0, 0], ...pads.map(([a, b]) => [Math.min(a, 0), Math.min(b, 0)] as [number, number]), [0, 0]]);
    pads = pads.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)]) as Pads;
  }
  if (dil.some((d) => d > 1) && stride.some((s) => s > 1)) {
    w = L.dilate(tf, L.dilate(tf, w, 0, dil[0]), 1, dil[1]);
    dil = [1, 1];
  }
  const pad = [[0, 0], pads[0], pads[1], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
  const [kh, kw, Cg, O] = w.shape as number[];
  if (G === 1) return tf.conv2d(x as Tensor4D, w as Tensor4D, stride, pad, "NHWC", dil);
  if (Cg === 1) return tf.depthwiseConv2d(x as Tensor4D, tf.reshape(w, [kh, kw, G, O / G]) as Tensor4D, stride, pad, "NHWC", dil);
  const Og = O / G;
  const parts: Tensor[] = [];
  for (let g = 0; g < G; g++) {
    const xg = L.slice(tf, x, [0, 0, 0, g * Cg], [...x.shape.slice(0, 3), Cg]);
    const wg = L.slice(tf, w, [0, 0, 0, g * Og], [kh, kw, Cg, Og]);
    parts.push(tf.conv2d(xg as Tensor4D, wg as Tensor4D, stride, pad, "NHWC", dil));
  }
  return tf.concat(parts, 3);
}

/** w [O, Cg, kh, kw] (PyTorch's OIHW) as HWIO. */
const toHWIO = (tf: TF, w: Tensor) => L.transpose(tf, w, [2, 3, 1, 0]);

export function conv2d(tf: TF, x: Tensor, w: Tensor, p: Conv2dParams): Tensor {
  const [ph, pw] = p.padding;
  const y = convNHWC(tf, L.transpose(tf, x, NCHW_TO_NHWC), toHWIO(tf, w), p.stride, p.dilation, [[ph, ph], [pw, pw]], p.groups);
  return L.transpose(tf, y, NHWC_TO_NCHW);
}

/**
 * dx as a forward convolution (NHWC in and out). Along one axis,
 * y[o] = sum_k x[o*s - p + k*d] w[k], so dx[i] = sum_k gz[i + p - k*d] w[k]
 * where gz is gy with s-1 zeros between neighbours. Flipping the kernel
 * turns that into a correlation of gz, padded by (kh-1)*d - p in front, with
 * dilation d and stride 1; channels swap roles (the kernel's in/out
 * transposed within each group).
 */
function inputGradNHWC(tf: TF, gy: Tensor, w: Tensor, H: number, W: number, p: Conv2dParams): Tensor {
  const [O, Cg, kh, kw] = w.shape as number[];
  const G = p.groups, Og = O / G;
  const [Ho, Wo] = [gy.shape[1] as number, gy.shape[2] as number];
  const gz = L.dilate(tf, L.dilate(tf, gy, 1, p.stride[0]), 2, p.stride[1]);
  // w [G, Og, Cg, kh, kw], flipped, as [kh, kw, Og, G*Cg]: input channel o of group g, output channel g*Cg + c
  const wf = tf.reverse(tf.reshape(w, [G, Og, Cg, kh, kw]), [3, 4]);
  const wt = tf.reshape(L.transpose(tf, wf, [3, 4, 1, 0, 2]), [kh, kw, Og, G * Cg]);
  const pads = ([[H, Ho, kh, 0], [W, Wo, kw, 1]] as const).map(([n, no, k, a]) => {
    const before = (k - 1) * p.dilation[a] - p.padding[a];
    const after = n + p.padding[a] - (no - 1) * p.stride[a] - 1;
    return [before, after];
  }) as Pads;
  return convNHWC(tf, gz, wt, [1, 1], p.dilation, pads, G);
}

export function conv2dBackwardInput(tf: TF, gy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  const dx = inputGradNHWC(tf, L.transpose(tf, gy, NCHW_TO_NHWC), w, xShape[2], xShape[3], p);
  return L.transpose(tf, dx, NHWC_TO_NCHW);
}

/** How the caller's x and dy are laid out: gradlab's NCHW or tfjs' own NHWC. */
export type Layout = "NCHW" | "NHWC";

/** For each layout: x as [C, H, W, N], dy as [Ho, Wo, N, O], either as NHWC. */
const PERMS: Record<Layout, { chwn: number[]; hwno: number[]; nhwc: number[] }> = {
  NCHW: { chwn: [1, 2, 3, 0], hwno: [2, 3, 0, 1], nhwc: NCHW_TO_NHWC },
  NHWC: { chwn: [3, 1, 2, 0], hwno: [1, 2, 0, 3], nhwc: [0, 1, 2, 3] },
};

export interface FilterGradParams {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** [[top, bottom], [left, right]], as tfjs' "same" padding may be uneven. */
  pads: Pads;
  groups: number;
}

/**
 * The filter gradient, dW [Cg, kh, kw, O], from x and dy in `layout`; gradlab's
 * conv2dBackwardFilter and the Conv2DBackpropFilter kernel composed for
 * engines that lack it (missing.ts) both come here.
 *
 * Two compositions, measured on wasm at batch 64:
 * - in general, a forward convolution in which the batch is the channel
 *   being summed over: dW[o, c, i, j] = sum over n, oy, ox of
 *   dy[n, oy, ox, o] * xpad[n, oy*s + i*d, ox*s + j*d, c], which is conv of
 *   X'[c, h, w, n] (channels as the batch) with the filter F[oy, ox, n, o],
 *   stride d and dilation s (32->64 channels, 13x13: 25 ms). When both d
 *   and s exceed 1 (tfjs takes only one), it computes the gradient of the
 *   kernel with its zeros spelled out (stride 1) and keeps every d-th tap;
 * - with one input channel (a first layer) that conv has a huge kernel
 *   (26x26 for MNIST) and only kh*kw outputs, and runs slowly (23 ms); there
 *   im2col is cheap instead: a forward conv with an identity filter lays
 *   each window out as a row of patches [N*Ho*Wo, kh*kw], and
 *   dW = patches^T · dy is one matMul (3 ms). (Slicing the kh*kw taps out
 *   of x instead costs 20 ms: wasm's Slice of a 4-D box is slow.)
 */
export function filterGrad(tf: TF, x: Tensor, dy: Tensor, layout: Layout, p: FilterGradParams): Tensor {
  const [kh, kw] = p.kernel;
  const G = p.groups;
  const C = x.shape[layout === "NCHW" ? 1 : 3] as number, O = dy.shape[layout === "NCHW" ? 1 : 3] as number;
  const Cg = C / G, Og = O / G;
  const perm = PERMS[layout];
  if (C === 1) {
    const eye = tf.reshape(tf.eye(kh * kw), [kh, kw, 1, kh * kw]);
    const patches = convNHWC(tf, L.transpose(tf, x, perm.nhwc), eye, p.stride, p.dilation, p.pads, 1); // [N, Ho, Wo, kh*kw]
    const rows = L.transpose(tf, tf.reshape(patches, [-1, kh * kw]), [1, 0]);
    const dyRows = tf.reshape(L.transpose(tf, dy, perm.nhwc), [-1, O]);
    return tf.reshape(tf.matMul(rows, dyRows), [1, kh, kw, O]);
  }
  const xt = L.transpose(tf, x, perm.chwn); // [C, H, W, N]
  const f = L.transpose(tf, dy, perm.hwno); // [Ho, Wo, N, O]
  const clash = p.dilation.some((d) => d > 1) && p.stride.some((s) => s > 1);
  const stride: [number, number] = clash ? [1, 1] : p.dilation;
  const span = [0, 1].map((a) => (clash ? (p.kernel[a] - 1) * p.dilation[a] + 1 : p.kernel[a]));
  const parts: Tensor[] = [];
  for (let g = 0; g < G; g++) {
    const xg = G === 1 ? xt : L.slice(tf, xt, [g * Cg, 0, 0, 0], [Cg, ...xt.shape.slice(1)]);
    const fg = G === 1 ? f : L.slice(tf, f, [0, 0, 0, g * Og], [...f.shape.slice(0, 3), Og]);
    const out = convNHWC(tf, xg, fg, stride, p.stride, p.pads, 1); // [Cg, >=kh, >=kw, Og]
    parts.push(L.slice(tf, out, [0, 0, 0, 0], [Cg, span[0], span[1], Og]));
  }
  let dw = G === 1 ? parts[0] : tf.concat(parts, 3); // [Cg, kh, kw, O]
  if (clash) dw = L.stridedSlice(tf, dw, [0, 0, 0, 0], dw.shape, [1, p.dilation[0], p.dilation[1], 1]);
  return tf.reshape(dw, [Cg, kh, kw, O]);
}

/** dW [O, Cg, kh, kw] (OIHW) for x and gy in NCHW. */
export function conv2dBackwardFilter(tf: TF, x: Tensor, gy: Tensor, wShape: readonly number[], p: Conv2dParams): Tensor {
  const [ph, pw] = p.padding;
  const dw = filterGrad(tf, x, gy, "NCHW", {
    kernel: [wShape[2], wShape[3]], stride: p.stride, dilation: p.dilation, pads: [[ph, ph], [pw, pw]], groups: p.groups,
  });
  return L.transpose(tf, dw, [3, 0, 1, 2]);
}

// --- pooling -------------------------------------------------------------------------

const asConv = (p: Pool2dParams): Conv2dParams => ({ stride: p.stride, padding: p.padding, dilation: [1, 1], groups: 1 });

/**
 * Average pooling that counts the padding (PyTorch's count_include_pad) is a
 * convolution of each plane with a constant kernel 1/(kh*kw): the planes
 * become the batch ([N*C, H, W, 1] is NCHW reshaped, no transpose), and the
 * backward pass is that convolution's input gradient.
 */
export function avgPool2d(tf: TF, x: Tensor, p: Pool2dParams): Tensor {
  const [N, C, H, W] = x.shape as number[];
  const [kh, kw] = p.kernel;
  const w = tf.fill([kh, kw, 1, 1], 1 / (kh * kw));
  const [ph, pw] = p.padding;
  const y = convNHWC(tf, tf.reshape(cast(tf, x, "float32"), [N * C, H, W, 1]), w, p.stride, [1, 1], [[ph, ph], [pw, pw]], 1);
  return tf.reshape(y, [N, C, y.shape[1] as number, y.shape[2] as number]);
}

export function avgPool2dBackward(tf: TF, gy: Tensor, xShape: readonly number[], p: Pool2dParams): Tensor {
  const [N, C, H, W] = xShape;
  const [kh, kw] = p.kernel;
  const w = tf.fill([1, 1, kh, kw], 1 / (kh * kw));
  const g = tf.reshape(cast(tf, gy, "float32"), [N * C, gy.shape[2] as number, gy.shape[3] as number, 1]);
  return tf.reshape(inputGradNHWC(tf, g, w, H, W, asConv(p)), [N, C, H, W]);
}

/**
 * Max pooling with the argmax as the js backend defines it: per output, the
 * flat index y*W + x (in its input plane) of the first maximum of the window
 * in row-major order. Each window is laid out as one row of a [windows,
 * kh*kw] matrix, so max and argMax run along the last axis (fast); padding
 * is -Infinity, so it never wins.
 */
export function maxPool2d(tf: TF, x: Tensor, p: Pool2dParams): { out: Tensor; argmax: Tensor } {
  const [N, C, H, W] = x.shape as number[];
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding;
  const Ho = convOutSize(H, kh, sh, ph, 1), Wo = convOutSize(W, kw, sw, pw, 1);
  const v = x.dtype === "float32" ? x : tf.cast(x, "float32");
  const planes = tf.reshape(v, [N * C, H, W]);
  let rows: Tensor;
  if (sh === kh && sw === kw) {
    // windows tile the plane: pad, crop to Ho*kh x Wo*kw, and regroup with one 4-D transpose
    const t = L.padOrCrop(tf, planes, [[0, 0], [ph, Ho * kh - H - ph], [pw, Wo * kw - W - pw]], -Infinity);
    rows = tf.reshape(L.transpose(tf, tf.reshape(t, [N * C * Ho, kh, Wo, kw]), [0, 2, 1, 3]), [-1, kh * kw]);
  } else {
    // overlapping (or gapped) windows: one strided slice per window offset, stacked along a leading axis
    const t = tf.pad(planes, [[0, 0], [ph, ph], [pw, pw]], -Infinity);
    const taps: Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        taps.push(L.stridedSlice(tf, t, [0, i, j], [N * C, i + (Ho - 1) * sh + 1, j + (Wo - 1) * sw + 1], [1, sh, sw]));
      }
    }
    rows = tf.transpose(tf.reshape(tf.concat(taps, 0), [kh * kw, -1]));
  }
  const out = tf.reshape(tf.max(rows, 1), [N, C, Ho, Wo]);
  // tap q = i*kw + j of window (oy, ox) is input (oy*sh - ph + i, ox*sw - pw + j), whose flat index
  // is base(oy, ox) + q + floor(q / kw) * (W - kw); computed in float32 (exact: far below 2^24) because
  // the wasm engine's int32 arithmetic is slow
  const q = tf.reshape(tf.cast(tf.argMax(rows, 1), "float32"), [N * C, Ho, Wo]);
  const rowBase = tf.reshape(tf.range(-ph * W, (Ho * sh - ph) * W, sh * W), [1, Ho, 1]);
  const colBase = tf.reshape(tf.range(-pw, Wo * sw - pw, sw), [1, 1, Wo]);
  const wrap = tf.mul(tf.floor(tf.div(q, kw)), W - kw);
  const idx = tf.cast(tf.add(tf.add(q, wrap), tf.add(rowBase, colBase)), "int32");
  return { out: x.dtype === "float32" ? out : cast(tf, out, x.dtype as "int32" | "bool"), argmax: tf.reshape(idx, [N, C, Ho, Wo]) };
}
