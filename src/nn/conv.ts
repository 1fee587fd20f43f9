import { avgPool2d, conv2d, maxPool2d } from "../ops/conv";
import { fail } from "../errors";
import { zeros } from "../tensor/creation";
import { Tensor } from "../tensor/tensor";
import * as init from "./init";
import { initBias } from "./linear";
import { Module } from "./module";
import { Parameter } from "./parameter";

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === "number" ? [v, v] : v);
const fmtPair = (v: [number, number]): string => (v[0] === v[1] ? `${v[0]}` : `(${v[0]}, ${v[1]})`);

export interface Conv2dLayerOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * 2-D convolution over [N, C, H, W] inputs with a weight of shape
 * [outChannels, inChannels / groups, kH, kW], initialised as PyTorch does
 * (kaiming_uniform with a = sqrt(5); bias U(+-1/sqrt(fanIn))).
 */
export class Conv2d extends Module<[Tensor], Tensor> {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    const g = this.groups;
    if (!Number.isInteger(g) || g < 1 || inChannels % g !== 0 || outChannels % g !== 0) {
      fail("Conv2d", `groups=${g} must divide both inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    for (const v of [inChannels, outChannels, ...this.kernelSize]) {
      if (!Number.isInteger(v) || v < 1) fail("Conv2d", `channels and kernel size must be positive integers, got inChannels ${inChannels}, outChannels ${outChannels}, kernelSize ${fmtPair(this.kernelSize)}`);
    }
    this.weight = new Parameter(zeros([outChannels, inChannels / g, ...this.kernelSize]));
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    this.bias = opts.bias ?? true ? new Parameter(zeros([outChannels])) : null;
    if (this.bias) initBias(this.bias, this.weight);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernelSize=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (this.padding[0] || this.padding[1]) s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ", bias=false";
    return s;
  }
}

export interface Pool2dLayerOptions {
  /** Default: the kernel size (windows that do not overlap). */
  stride?: Pair;
  padding?: Pair;
}

abstract class Pool2d extends Module<[Tensor], Tensor> {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  constructor(kernelSize: Pair, opts: Pool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? kernelSize);
    this.padding = pair(opts.padding ?? 0);
  }
  override extraRepr(): string {
    return `kernelSize=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}`;
  }
}

/** The largest value of each window. */
export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

/** The mean of each window (zero padding counted, as in PyTorch's default). */
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}
