import { currentBackwardOf, isAnomalyEnabled, isGradEnabled } from "../autograd/mode";
import type { Backend, BackendArray } from "../backend/backend";
import { fail, fmtShape } from "../errors";
import { isFloat } from "../tensor/dtype";
import { Tensor } from "../tensor/tensor";

/**
 * An op, defined once: `forward` computes the result with backend kernels;
 * `backward` returns the gradient for each input, *built from other ops*, so
 * gradients are themselves differentiable (double backward, Hessian-vector
 * products) and run on every backend.
 *
 * Broadcasting is undone once, by the engine (see `sumToShape` in
 * autograd/engine.ts), so a backward rule may return a gradient of the
 * broadcast shape.
 */
export interface OpDef<A> {
  readonly name: string;
  forward(be: Backend, inputs: BackendArray[], attrs: A): BackendArray | Forward;
  backward?(ctx: BackwardContext<A>, grad: Tensor): (Tensor | null | undefined)[];
  /**
   * For a one-input op that a tensor may feed many times (slices of it): the gradient of that
   * input from all those uses at once, or null to differentiate each use with `backward`. The
   * engine calls it when it reaches the input, when every use has its gradient.
   */
  backwardMany?(ctxs: readonly BackwardContext<A>[], grads: readonly Tensor[]): Tensor | null;
  /** Which inputs (and whether the output) backward reads: those are checked for in-place changes. */
  readonly saves?: { inputs?: readonly number[]; output?: boolean };
  /** The output is a view sharing the first input's storage (reshape, transpose, slice, expand). */
  readonly view?: boolean;
}

/** A forward that also keeps backend arrays for its backward (pooling's argmax, dropout's mask). */
export interface Forward {
  out: BackendArray;
  saved: BackendArray[];
}

export interface BackwardContext<A> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
  /** The arrays forward kept, as constant tensors. */
  readonly saved: readonly Tensor[];
}

/** A recorded application of an op: the graph's edge from an output back to its inputs. */
export class Node {
  constructor(
    readonly op: OpDef<unknown>,
    readonly inputs: readonly Tensor[],
    readonly attrs: unknown,
    readonly saved: readonly Tensor[],
    /** Storage versions of the saved inputs/output when forward ran. */
    readonly versions: readonly number[],
    /** Where the op was called from, kept in anomaly mode for its error messages. */
    readonly trace?: string,
  ) {}
}

function isForward(r: BackendArray | Forward): r is Forward {
  return (r as Forward).saved !== undefined;
}

/** Runs an op: forward on the inputs' backend, then records the graph node when a gradient is needed. */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const be = inputs[0].backend;
  for (const t of inputs) {
    if (t.backend !== be) {
      fail(op.name, `inputs live on different backends (${be.name} and ${t.backend.name}); move one with .to("${be.name}")`);
    }
  }
  const result = op.forward(be, inputs.map((t) => t.data), attrs);
  const out = isForward(result) ? result.out : result;
  const anomaly = isAnomalyEnabled();
  if (anomaly) checkFinite(op.name, "forward", be, out, inputs);

  const needsGrad = isGradEnabled() && op.backward !== undefined && isFloat(out.dtype) && inputs.some((t) => t.requiresGrad);
  // a view shares its base's version counter (an in-place change to either is a change to both),
  // unless the backend had to copy (reshape of a non-contiguous view)
  const shared = op.view && be.sharesMemory(out, inputs[0].data);
  const t = new Tensor(out, be, { requiresGrad: needsGrad, version: shared ? inputs[0].versionBox : undefined });
  if (needsGrad) {
    const saved = isForward(result) ? result.saved.map((s) => new Tensor(s, be)) : [];
    t.gradFn = new Node(
      op as OpDef<unknown>,
      inputs,
      attrs,
      saved,
      savedTensors(op as OpDef<unknown>, inputs, t).map((s) => s.version),
      anomaly ? new Error().stack?.split("\n").slice(3, 8).join("\n") : undefined,
    );
  }
  return t;
}

export function savedTensors(op: OpDef<unknown>, inputs: readonly Tensor[], output: Tensor): Tensor[] {
  const list = (op.saves?.inputs ?? []).map((i) => inputs[i]);
  if (op.saves?.output) list.push(output);
  return list;
}

export function checkFinite(opName: string, phase: string, be: Backend, x: BackendArray, inputs: readonly Tensor[]): void {
  if (!isFloat(x.dtype)) return;
  const v = be.read(x);
  let nan = 0, inf = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) nan++;
    else if (!Number.isFinite(v[i])) inf++;
  }
  if (nan || inf) {
    const what = [nan ? `${nan} NaN` : "", inf ? `${inf} Inf` : ""].filter(Boolean).join(" and ");
    const within = phase === "forward" ? currentBackwardOf() : null;
    fail(
      within ? op(within, "backward") : op(opName, phase),
      `${within ? `the ${opName} inside its gradient ` : ""}` +
        `produced ${what} in its ${phase === "forward" ? "output" : "gradient"} of shape ${fmtShape(x.shape)} ` +
        `(inputs: ${inputs.map((t) => fmtShape(t.shape)).join(", ")}) [detectAnomaly]`,
    );
  }
}

function op(name: string, phase: string): string {
  return phase === "forward" ? name : `${name} (backward)`;
}
