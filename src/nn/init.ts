import { noGrad } from "../autograd/mode";
import { fail, fmtShape } from "../errors";
import { Generator, defaultGenerator } from "../tensor/random";
import { Tensor } from "../tensor/tensor";

/**
 * Weight initialisers, PyTorch's nn.init. Each fills a tensor in place
 * (under noGrad, so it works on parameters) and returns it. Random ones draw
 * from the default generator (so `manualSeed` fixes them) or from the
 * generator you pass.
 *
 * The scaled ones keep the variance of activations roughly constant from
 * layer to layer: Xavier/Glorot for tanh and sigmoid, Kaiming/He for ReLU.
 */

export type Nonlinearity = "linear" | "conv2d" | "sigmoid" | "tanh" | "relu" | "leakyRelu" | "selu";

/** The factor by which a nonlinearity shrinks the standard deviation, to undo (PyTorch's calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv2d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leakyRelu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      return fail("calculateGain", `unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * fanIn: inputs feeding one output unit; fanOut: outputs one input feeds.
 * For a Linear weight [out, in] they are in and out; for a conv weight
 * [out, in, kh, kw] each is multiplied by the kernel area.
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) fail("init", `fan in and fan out need a tensor with at least 2 dimensions, got ${fmtShape(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

export interface InitOptions {
  generator?: Generator;
}

function fillWith(t: Tensor, values: Tensor): Tensor {
  noGrad(() => t.copy_(values));
  return t;
}

function draw(kind: "rand" | "randn", t: Tensor, gen?: Generator): Tensor {
  const opts = { dtype: t.dtype, generator: gen ?? defaultGenerator, backend: t.backend.name };
  return kind === "rand" ? Tensor.rand(t.shape, opts) : Tensor.randn(t.shape, opts);
}

/** U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  if (!(b >= a)) fail("uniform", `b ${b} must be at least a ${a}`);
  return noGrad(() => fillWith(t, draw("rand", t, opts.generator).mul(b - a).add(a)));
}

/** N(mean, std^2). */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  if (!(std >= 0)) fail("normal", `std must be non-negative, got ${std}`);
  return noGrad(() => fillWith(t, draw("randn", t, opts.generator).mul(std).add(mean)));
}

export function constant(t: Tensor, value: number): Tensor {
  return fillWith(t, Tensor.scalar(value, t.dtype, t.backend));
}
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Glorot: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a, opts);
}

/** Glorot: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

export interface KaimingOptions extends InitOptions {
  /** The negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  /** "fanIn" keeps the forward pass's variance, "fanOut" the backward pass's. */
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = (opts.mode ?? "fanIn") === "fanIn" ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? "leakyRelu", opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He: U(-b, b) with b = gain * sqrt(3 / fan), the gain of the following (leaky) ReLU. */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform(t, -bound, bound, opts);
}

/** He: N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, opts), opts);
}
