import { fail, fmtShape } from "../errors";
import { apply, OpDef } from "../ops/op";
import { Tensor } from "../tensor/tensor";
import { noGrad } from "./mode";

/**
 * What a custom op's forward receives and its backward reads back: PyTorch's
 * `ctx` of torch.autograd.Function. One per call of the op.
 */
export interface CustomContext {
  /** Keeps tensors for backward (inputs, intermediate results). */
  save(...tensors: Tensor[]): void;
  /** What forward saved, in order. */
  readonly saved: readonly Tensor[];
  /** The inputs of this call, as the caller passed them. */
  readonly inputs: readonly Tensor[];
  /** The output of this call; set once forward has returned. */
  readonly output: Tensor;
}

export interface CustomOpSpec {
  /** Names the op in error messages. */
  name: string;
  /**
   * Computes the output from the inputs with ordinary tensor ops; they run
   * without recording a graph (the op is one node of its own).
   */
  forward(ctx: CustomContext, ...inputs: Tensor[]): Tensor;
  /**
   * Given dL/d(output), returns dL/d(input) for each input (null for an input
   * without a gradient), built from tensor ops, so that with createGraph the
   * gradient is differentiable again. A gradient may have the broadcast shape:
   * the engine sums it back to the input's shape.
   */
  backward(ctx: CustomContext, grad: Tensor): (Tensor | null)[] | Tensor;
}

/** A custom op, callable like any other: `const y = myOp(x, w)`. */
export type CustomOp = ((...inputs: Tensor[]) => Tensor) & { readonly opName: string };

interface Attrs {
  ctx: Context;
}

class Context implements CustomContext {
  saved: Tensor[] = [];
  versions: number[] = [];
  out: Tensor | null = null;
  constructor(readonly name: string, readonly inputs: readonly Tensor[]) {}
  save(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) fail(this.name, `ctx.save: argument ${i} is not a Tensor`);
    });
    // kept as they are: a saved input still leads back into the graph, so a backward
    // built from it can be differentiated again (createGraph); results computed inside
    // forward ran without a graph and are constants
    this.saved.push(...tensors);
    this.versions.push(...tensors.map((t) => t.version));
  }
  /** Fails when a saved tensor was changed in place after forward, as the built-in ops do. */
  checkSaved(): void {
    this.saved.forEach((t, i) => {
      if (t.version !== this.versions[i]) {
        fail(`${this.name} (backward)`, `saved tensor ${i} (shape ${fmtShape(t.shape)}) was modified in place after the forward pass; use an out-of-place op or save a .clone()`);
      }
    });
  }
  get output(): Tensor {
    if (!this.out) return fail(this.name, "ctx.output is only known after forward has returned");
    return this.out;
  }
}

/**
 * Defines a new differentiable op from a forward and a backward written with
 * tensor ops, through the same machinery as the built-in ops (ops/op.ts):
 * the forward's result becomes one graph node whose gradient rule is `backward`.
 *
 *   const cube = autograd.defineOp({
 *     name: "cube",
 *     forward(ctx, x) { ctx.save(x); return x.mul(x).mul(x); },
 *     backward(ctx, g) { const [x] = ctx.saved; return [g.mul(x.mul(x)).mul(3)]; },
 *   });
 *   cube(tensor([2], { requiresGrad: true })).backward();   // grad 12
 */
export function defineOp(spec: CustomOpSpec): CustomOp {
  if (!spec || typeof spec.name !== "string" || spec.name === "") fail("defineOp", "the op needs a name (a non-empty string)");
  const name = spec.name;
  if (typeof spec.forward !== "function") fail("defineOp", `op "${name}" needs a forward(ctx, ...inputs) function`);
  if (typeof spec.backward !== "function") fail("defineOp", `op "${name}" needs a backward(ctx, grad) function`);

  const def: OpDef<Attrs> = {
    name,
    forward(be, arrays, attrs) {
      const ctx = attrs.ctx;
      const out = noGrad(() => spec.forward(ctx, ...ctx.inputs));
      if (!(out instanceof Tensor)) return fail(name, `forward must return a Tensor, got ${out === null ? "null" : typeof out}`);
      if (out.backend !== be) return fail(name, `forward returned a tensor on the ${out.backend.name} backend, its inputs are on ${be.name}`);
      // the output must own its array: returning an input (or a view of one) as is would make the two one storage
      return arrays.some((a) => be.sharesMemory(out.data, a)) ? noGrad(() => out.clone()).data : out.data;
    },
    backward(bctx, grad) {
      const ctx = bctx.attrs.ctx;
      ctx.checkSaved();
      const r = spec.backward(ctx, grad);
      const grads = r instanceof Tensor ? [r] : r;
      if (!Array.isArray(grads)) return fail(`${name} (backward)`, `backward must return a Tensor or an array of them, got ${typeof r}`);
      if (grads.length !== ctx.inputs.length) {
        fail(`${name} (backward)`, `backward returned ${grads.length} gradient(s) for ${ctx.inputs.length} input(s); return null for an input without one`);
      }
      grads.forEach((g, i) => {
        if (g !== null && g !== undefined && !(g instanceof Tensor)) fail(`${name} (backward)`, `gradient ${i} is not a Tensor (or null)`);
      });
      return grads;
    },
  };

  const call = (...inputs: Tensor[]): Tensor => {
    if (inputs.length === 0) fail(name, "needs at least one input tensor");
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) fail(name, `input ${i} is not a Tensor`);
    });
    const ctx = new Context(name, inputs);
    const out = apply(def, inputs, { ctx });
    ctx.out = out;
    return out;
  };
  return Object.assign(call, { opName: name });
}
