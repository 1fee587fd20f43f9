import { fail, fmtShape } from "../errors";
import { logSoftmax, softplus } from "../ops/activation";
import { where } from "../ops/elementwise";
import { isFloat } from "../tensor/dtype";
import { sameShape } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { Module } from "./module";

/**
 * Loss functions, PyTorch's names and conventions. Each returns the loss of
 * every element (reduction "none"), their sum ("sum") or their mean ("mean",
 * the default). They are written in the numerically stable forms: cross
 * entropy from logits through log-softmax (log-sum-exp), binary cross
 * entropy from logits through softplus, never log(softmax(x)).
 */
export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  reduction?: Reduction;
}

function reduce(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? "mean") {
    case "mean":
      return loss.mean();
    case "sum":
      return loss.sum();
    case "none":
      return loss;
    default:
      return fail(op, `reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
}

/**
 * Input and target must have the same shape. Broadcasting is refused on
 * purpose: an output [N, 1] against a target [N] would broadcast to [N, N]
 * and train on the wrong loss without any error.
 */
function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    const hint = input.ndim === target.ndim + 1 && input.shape[input.ndim - 1] === 1 ? " (squeeze the output's last dimension, or unsqueeze the target)" : "";
    fail(op, `input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} must have the same shape${hint}`);
  }
  if (!isFloat(input.dtype)) fail(op, `input must be a float tensor, got ${input.dtype}`);
}

/** A float target for a float input: integer labels become numbers. */
function asFloat(target: Tensor, like: Tensor): Tensor {
  return target.dtype === like.dtype ? target : target.type(like.dtype);
}

/** Mean squared error: (input - target)^2. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape("mseLoss", input, target);
  const d = input.sub(asFloat(target, input));
  return reduce("mseLoss", d.mul(d), opts.reduction);
}

/** Mean absolute error: |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape("l1Loss", input, target);
  return reduce("l1Loss", input.sub(asFloat(target, input)).abs(), opts.reduction);
}

export interface BCEOptions extends LossOptions {
  /** A rescaling weight for each element (broadcast against the loss). */
  weight?: Tensor;
}

/** log(p), with PyTorch's floor of -100 (so p = 0 gives a large finite loss, and a zero gradient instead of NaN). */
function clampedLog(p: Tensor): Tensor {
  const positive = p.gt(0);
  // log of 1 where p = 0, so neither the value nor log's gradient (g / p) is ever 0/0
  return where(positive, where(positive, p, 1).log().clamp(-100), -100);
}

/**
 * Binary cross entropy of probabilities p in [0, 1] against targets y:
 *   -(y log p + (1 - y) log(1 - p)),
 * each log clamped to >= -100 as in PyTorch. For a network's raw outputs,
 * binaryCrossEntropyWithLogits is the stable choice.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCEOptions = {}): Tensor {
  const op = "binaryCrossEntropy";
  checkSameShape(op, input, target);
  const v = input.values();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1)) {
      fail(op, `input holds ${v[i]} (at flat position ${i}): probabilities must be in [0, 1] (apply sigmoid first, or use binaryCrossEntropyWithLogits on the raw outputs)`);
    }
  }
  const y = asFloat(target, input);
  let loss = y.mul(clampedLog(input)).add(y.neg().add(1).mul(clampedLog(input.neg().add(1)))).neg();
  if (opts.weight) loss = loss.mul(opts.weight);
  return reduce(op, loss, opts.reduction);
}

export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive class (per class, broadcast over the last dim): > 1 raises recall. */
  posWeight?: Tensor;
}

/**
 * Binary cross entropy of sigmoid(x) against y, computed from the logits x
 * without ever forming sigmoid(x): with log sigma(x) = -softplus(-x) and
 * log(1 - sigma(x)) = -x - softplus(-x),
 *   loss = (1 - y) x + softplus(-x)                           (posWeight w: (1 - y) x + (1 + (w - 1) y) softplus(-x)).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  checkSameShape(op, input, target);
  const y = asFloat(target, input);
  const sp = softplus(input.neg());
  const oneMinusY = y.neg().add(1);
  let loss = opts.posWeight
    ? oneMinusY.mul(input).add(opts.posWeight.sub(1).mul(y).add(1).mul(sp))
    : oneMinusY.mul(input).add(sp);
  if (opts.weight) loss = loss.mul(opts.weight);
  return reduce(op, loss, opts.reduction);
}

export interface NLLOptions extends LossOptions {
  /** Targets equal to this class are skipped: no loss, no gradient, not counted in the mean. */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NLLOptions {
  /** Mix the target with the uniform distribution: (1 - eps) onehot + eps / C. */
  labelSmoothing?: number;
}

/**
 * Shapes for class-index targets: input [N, C] with target [N], or input
 * [N, C, d1, ...] with target [N, d1, ...], or unbatched input [C] with a
 * 0-d target. Returns the input with a batch dim and the class count.
 */
function checkClassTarget(op: string, input: Tensor, target: Tensor): { input: Tensor; target: Tensor } {
  if (!isFloat(input.dtype)) fail(op, `input must be a float tensor of scores, got ${input.dtype}`);
  if (input.ndim === 0) fail(op, `input must be [N, C] (or [C], or [N, C, d1, ...]), got a 0-d tensor`);
  const batched = input.ndim > 1;
  const x = batched ? input : input.unsqueeze(0);
  const t = batched ? target : target.unsqueeze(0);
  const want = [x.shape[0], ...x.shape.slice(2)];
  if (!sameShape(t.shape, want)) {
    const what = t.ndim === 0 || t.shape[0] !== x.shape[0] ? "batch sizes differ" : "shapes do not match";
    fail(op, `input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)}: ${what}; class-index targets must have shape ${fmtShape(batched ? want : [])} (input without its class dimension 1)`);
  }
  return { input: x, target: t };
}

/**
 * The negative log-likelihood of each target class under log-probabilities
 * `logp` [N, C, ...], with ignored targets masked to 0. Also returns how
 * many targets count (for the mean). Labels are checked here, by value, so
 * the error names the label and the number of classes.
 */
function pickedNll(op: string, logp: Tensor, target: Tensor, ignoreIndex: number): { nll: Tensor; valid: Tensor | null; count: number } {
  if (target.dtype !== "int32") fail(op, `class-index targets must be int32, got ${target.dtype} (use .int(), or pass float class probabilities of the input's shape)`);
  const C = logp.shape[1];
  const tv = target.values();
  let ignored = 0;
  for (let i = 0; i < tv.length; i++) {
    const c = tv[i];
    if (c === ignoreIndex) ignored++;
    else if (c < 0 || c >= C) fail(op, `target holds class label ${c} (at flat position ${i}), out of range for ${C} classes (input ${fmtShape(logp.shape)}): labels must be in 0..${C - 1}`);
  }
  const valid = ignored ? target.ne(ignoreIndex) : null;
  const safe = valid ? where(valid, target, 0) : target;
  let nll = logp.gather(1, safe.unsqueeze(1)).squeeze(1).neg();
  if (valid) nll = where(valid, nll, 0);
  return { nll, valid, count: tv.length - ignored };
}

function reduceCounted(op: string, loss: Tensor, count: number, reduction: Reduction | undefined): Tensor {
  // the mean over the targets that count, as PyTorch does with ignoreIndex (0 / 0 = NaN when none count)
  return (reduction ?? "mean") === "mean" ? loss.sum().div(count) : reduce(op, loss, reduction);
}

/** Negative log-likelihood of log-probabilities (the output of logSoftmax) for class-index targets. */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLOptions = {}): Tensor {
  const op = "nllLoss";
  const c = checkClassTarget(op, input, target);
  const { nll, count } = pickedNll(op, c.input, c.target, opts.ignoreIndex ?? -100);
  const r = reduceCounted(op, nll, count, opts.reduction);
  return input.ndim === 1 && opts.reduction === "none" ? r.squeeze(0) : r;
}

/**
 * Cross entropy of logits [N, C] (or [N, C, d1, ...]) against class
 * indices (int32, [N] or [N, d1, ...]) or class probabilities (float, the
 * input's shape):
 *   loss_i = -sum_c y_ic log softmax(x_i)_c = logsumexp(x_i) - x_i,y_i for a class index y_i.
 * Its gradient with respect to the logits is softmax(x) - y.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) fail(op, `labelSmoothing must be in [0, 1], got ${eps}`);
  if (isFloat(target.dtype)) {
    // class probabilities: same shape as the input
    if (!sameShape(input.shape, target.shape)) {
      fail(op, `input ${fmtShape(input.shape)} and probability target ${fmtShape(target.shape)} must have the same shape (for class indices, pass an int32 target without the class dimension)`);
    }
    const classDim = input.ndim > 1 ? 1 : 0;
    const C = input.shape[classDim];
    const y = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
    const loss = y.mul(logSoftmax(input, classDim)).sum(classDim).neg();
    return reduce(op, loss, opts.reduction);
  }
  const c = checkClassTarget(op, input, target);
  const C = c.input.shape[1];
  const logp = logSoftmax(c.input, 1);
  const { nll, valid, count } = pickedNll(op, logp, c.target, opts.ignoreIndex ?? -100);
  let loss = nll;
  if (eps > 0) {
    // (1 - eps) * nll + eps * (the cross entropy against the uniform distribution)
    let smooth = logp.sum(1).neg().div(C);
    if (valid) smooth = where(valid, smooth, 0);
    loss = nll.mul(1 - eps).add(smooth.mul(eps));
  }
  const r = reduceCounted(op, loss, count, opts.reduction);
  return input.ndim === 1 && opts.reduction === "none" ? r.squeeze(0) : r;
}

// --- the same, as modules --------------------------------------------------------
abstract class Loss<O> extends Module<[Tensor, Tensor], Tensor> {
  constructor(readonly options: O) {
    super();
  }
  override extraRepr(): string {
    return Object.entries(this.options as object)
      .filter(([, v]) => !(v instanceof Tensor))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(", ");
  }
}

export class MSELoss extends Loss<LossOptions> {
  constructor(opts: LossOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, this.options);
  }
}

export class L1Loss extends Loss<LossOptions> {
  constructor(opts: LossOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, this.options);
  }
}

export class BCELoss extends Loss<BCEOptions> {
  constructor(opts: BCEOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss extends Loss<BCEWithLogitsOptions> {
  constructor(opts: BCEWithLogitsOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, this.options);
  }
}

export class CrossEntropyLoss extends Loss<CrossEntropyOptions> {
  constructor(opts: CrossEntropyOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, this.options);
  }
}

export class NLLLoss extends Loss<NLLOptions> {
  constructor(opts: NLLOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, this.options);
  }
}
