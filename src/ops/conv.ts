import type { Conv2dParams, Pool2dParams } from "../backend/backend";
import { convOutSize } from "../backend/js/conv";
import { fail, fmtShape } from "../errors";
import { Tensor } from "../tensor/tensor";
import { apply, OpDef } from "./op";

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);

/*
 * conv2d is bilinear in (x, w). Its two gradients are kernels of their own,
 * and each of those is bilinear too, so the three ops below differentiate
 * into each other and second derivatives come for free:
 *   y  = conv(x, w)           dx = convInputGrad(g, w)      dw = convWeightGrad(x, g)
 *   dx = convInputGrad(gy, w)  d gy = conv(G, w)             dw = convWeightGrad(G, gy)
 *   dw = convWeightGrad(x, gy) dx = convInputGrad(gy, G)     d gy = conv(x, G)
 */
const CONV2D: OpDef<Conv2dParams> = {
  name: "conv2d",
  forward: (be, [x, w], p) => be.conv2d(x, w, p),
  backward: ({ inputs: [x, w], attrs: p }, g) => [
    x.requiresGrad ? convInputGrad(g, w, x.shape, p) : null,
    w.requiresGrad ? convWeightGrad(x, g, w.shape, p) : null,
  ],
  saves: { inputs: [0, 1] },
};

const CONV_INPUT_GRAD: OpDef<Conv2dParams & { xShape: readonly number[] }> = {
  name: "conv2dBackwardInput",
  forward: (be, [gy, w], p) => be.conv2dBackwardInput(gy, w, p.xShape, p),
  backward: ({ inputs: [gy, w], attrs: p }, G) => [
    apply(CONV2D, [G, w], strip(p)),
    convWeightGrad(G, gy, w.shape, strip(p)),
  ],
  saves: { inputs: [0, 1] },
};

const CONV_WEIGHT_GRAD: OpDef<Conv2dParams & { wShape: readonly number[] }> = {
  name: "conv2dBackwardFilter",
  forward: (be, [x, gy], p) => be.conv2dBackwardFilter(x, gy, p.wShape, p),
  backward: ({ inputs: [x, gy], attrs: p }, G) => [
    convInputGrad(gy, G, x.shape, strip(p)),
    apply(CONV2D, [x, G], strip(p)),
  ],
  saves: { inputs: [0, 1] },
};

function strip(p: Conv2dParams): Conv2dParams {
  return { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups };
}
function convInputGrad(gy: Tensor, w: Tensor, xShape: readonly number[], p: Conv2dParams): Tensor {
  return apply(CONV_INPUT_GRAD, [gy, w], { ...strip(p), xShape });
}
function convWeightGrad(x: Tensor, gy: Tensor, wShape: readonly number[], p: Conv2dParams): Tensor {
  return apply(CONV_WEIGHT_GRAD, [x, gy], { ...strip(p), wShape });
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** 2-D convolution (cross-correlation, as in every framework) of x [N, C, H, W] with w [O, C/groups, kh, kw]. */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const p: Conv2dParams = {
    stride: pair(opts.stride ?? 1),
    padding: pair(opts.padding ?? 0),
    dilation: pair(opts.dilation ?? 1),
    groups: opts.groups ?? 1,
  };
  if (x.ndim !== 4) fail("conv2d", `input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (w.ndim !== 4) fail("conv2d", `weight must be [outChannels, inChannels/groups, kH, kW], got ${fmtShape(w.shape)}`);
  const [, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const g = p.groups;
  if (!Number.isInteger(g) || g < 1 || C % g !== 0 || O % g !== 0) {
    fail("conv2d", `groups=${g} must divide both input channels ${C} and output channels ${O}`);
  }
  if (Cg * g !== C) {
    fail("conv2d", `input ${fmtShape(x.shape)} has ${C} channels but weight ${fmtShape(w.shape)} expects ${Cg * g} (${Cg} per group x ${g} groups)`);
  }
  for (const v of [...p.stride, ...p.dilation]) if (!Number.isInteger(v) || v < 1) fail("conv2d", `stride and dilation must be positive integers, got stride ${fmtShape(p.stride)} dilation ${fmtShape(p.dilation)}`);
  for (const v of p.padding) if (!Number.isInteger(v) || v < 0) fail("conv2d", `padding must be non-negative integers, got ${fmtShape(p.padding)}`);
  const Ho = convOutSize(H, kh, p.stride[0], p.padding[0], p.dilation[0]);
  const Wo = convOutSize(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
  if (Ho <= 0 || Wo <= 0) {
    fail("conv2d", `kernel ${kh}x${kw} (dilation ${p.dilation.join("x")}) is larger than the padded input ${H + 2 * p.padding[0]}x${W + 2 * p.padding[1]} of ${fmtShape(x.shape)}`);
  }
  let y = apply(CONV2D, [x, w], p);
  if (bias) {
    if (bias.ndim !== 1 || bias.shape[0] !== O) fail("conv2d", `bias must have shape [${O}], got ${fmtShape(bias.shape)}`);
    y = y.add(bias.reshape([1, O, 1, 1]));
  }
  return y;
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

function poolParams(op: string, x: Tensor, kernel: Pair, opts: Pool2dOptions): Pool2dParams {
  const p: Pool2dParams = { kernel: pair(kernel), stride: pair(opts.stride ?? kernel), padding: pair(opts.padding ?? 0) };
  if (x.ndim !== 4) fail(op, `input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  for (let i = 0; i < 2; i++) {
    if (!Number.isInteger(p.kernel[i]) || !Number.isInteger(p.stride[i]) || p.kernel[i] < 1 || p.stride[i] < 1) {
      fail(op, `kernel and stride must be positive integers, got kernel ${fmtShape(p.kernel)} stride ${fmtShape(p.stride)}`);
    }
    if (!Number.isInteger(p.padding[i]) || p.padding[i] < 0) fail(op, `padding must be non-negative integers, got ${fmtShape(p.padding)}`);
    if (p.padding[i] * 2 > p.kernel[i]) fail(op, `padding ${p.padding[i]} must be at most half the kernel size ${p.kernel[i]}`);
    const n = convOutSize(x.shape[2 + i], p.kernel[i], p.stride[i], p.padding[i], 1);
    if (n <= 0) fail(op, `kernel ${p.kernel.join("x")} is larger than the padded input of ${fmtShape(x.shape)}`);
  }
  return p;
}

// max pooling: the gradient goes back to where each max came from (the argmax kept by forward)
const MAX_POOL: OpDef<Pool2dParams> = {
  name: "maxPool2d",
  forward: (be, [x], p) => {
    const { out, argmax } = be.maxPool2d(x, p);
    return { out, saved: [argmax] };
  },
  backward: ({ inputs: [x], saved: [argmax] }, g) => {
    const [N, C, H, W] = x.shape;
    const flatIdx = argmax.reshape([N, C, -1]);
    const gx = x.zerosLike().reshape([N, C, H * W]).scatterAdd(2, flatIdx, g.reshape([N, C, -1]));
    return [gx.reshape(x.shape)];
  },
};

export function maxPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  return apply(MAX_POOL, [x], poolParams("maxPool2d", x, kernel, opts));
}

// average pooling is linear: its gradient is its adjoint, and the adjoint's gradient is avgPool2d again
const AVG_POOL: OpDef<Pool2dParams> = {
  name: "avgPool2d",
  forward: (be, [x], p) => be.avgPool2d(x, p),
  backward: ({ inputs: [x], attrs: p }, g) => [apply(AVG_POOL_BACKWARD, [g], { ...p, xShape: x.shape })],
};

const AVG_POOL_BACKWARD: OpDef<Pool2dParams & { xShape: readonly number[] }> = {
  name: "avgPool2dBackward",
  forward: (be, [g], p) => be.avgPool2dBackward(g, p.xShape, p),
  backward: ({ attrs: p }, gg) => [apply(AVG_POOL, [gg], { kernel: p.kernel, stride: p.stride, padding: p.padding })],
};

export function avgPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  return apply(AVG_POOL, [x], poolParams("avgPool2d", x, kernel, opts));
}
