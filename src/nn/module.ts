import { noGrad } from "../autograd/mode";
import { fail, fmtShape } from "../errors";
import { isFloat } from "../tensor/dtype";
import { sameShape } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { Parameter } from "./parameter";
import { Cell, DISPLAY, MimeBundle, htmlTable } from "../display/bundle";

/** Any module, whatever its forward takes and returns (what children() and modules() hold). */
export type AnyModule = Module<never, unknown>;

/** Dotted names ("fc1.weight", "0.bias", "bn.running_mean") to tensors. */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Throw on keys the model lacks or the checkpoint lacks (default true). Shapes must match either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

interface OwnEntries {
  params: [string, Parameter][];
  buffers: [string, Tensor][];
  children: [string, AnyModule][];
}

/**
 * The base class of every layer and model, PyTorch's nn.Module.
 *
 * Parameters and submodules are found by walking the object's own fields:
 * `this.fc1 = new Linear(4, 3)` registers a child named "fc1", a field
 * holding a Parameter registers a parameter, and an array of modules
 * (`this.blocks = [a, b]`) registers children "blocks.0", "blocks.1", like
 * PyTorch's ModuleList. Buffers (state that is saved but not learned, such
 * as BatchNorm's running statistics) are tensors registered with
 * `registerBuffer`.
 *
 * Subclasses implement `forward`, which is what users call:
 *
 *   class Net extends nn.Module {
 *     fc1 = new nn.Linear(784, 128);
 *     fc2 = new nn.Linear(128, 10);
 *     forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).relu()); }
 *   }
 *
 * The type parameters say what forward takes and returns; the default
 * (tensors in, one tensor out) fits most models. An LSTM, which returns
 * its output and its final state, is a Module<[Tensor, [Tensor, Tensor]?], [Tensor, [Tensor, Tensor]]>.
 */
export abstract class Module<In extends unknown[] = Tensor[], Out = Tensor> {
  /** Set by train() and eval(): Dropout and BatchNorm behave differently in the two modes. */
  training = true;
  // private (#): invisible to the field walk below and to Object.keys
  readonly #buffers = new Set<string>();

  abstract forward(...args: In): Out;

  // --- registration (plain assignment does it too; these also accept computed names) ---
  registerParameter(name: string, p: Parameter): void {
    checkName("registerParameter", name);
    if (!(p instanceof Parameter)) fail("registerParameter", `"${name}" must be a Parameter (wrap the tensor: new Parameter(t))`);
    this.fields()[name] = p;
  }
  registerModule(name: string, m: AnyModule): void {
    checkName("registerModule", name);
    this.fields()[name] = m;
  }
  /** A tensor saved in the state dict but not returned by parameters(). */
  registerBuffer(name: string, t: Tensor): void {
    checkName("registerBuffer", name);
    this.#buffers.add(name);
    this.fields()[name] = t;
  }

  private fields(): Record<string, unknown> {
    return this as unknown as Record<string, unknown>;
  }

  /** The parameters, buffers and children held directly by this module, in field order. */
  private ownEntries(): OwnEntries {
    const out: OwnEntries = { params: [], buffers: [], children: [] };
    const take = (name: string, v: unknown): void => {
      if (v instanceof Parameter) out.params.push([name, v]);
      else if (v instanceof Module) out.children.push([name, v as AnyModule]);
    };
    for (const [key, v] of Object.entries(this.fields())) {
      if (Array.isArray(v)) v.forEach((item, i) => take(`${key}.${i}`, item));
      else if (v instanceof Tensor && !(v instanceof Parameter) && this.#buffers.has(key)) out.buffers.push([key, v]);
      else take(key, v);
    }
    return out;
  }

  /**
   * Every module in the tree, depth first, parent before children, with its
   * dotted name ("" for this one). A module reachable twice is listed once.
   */
  namedModules(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const visit = (prefix: string, m: AnyModule): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([prefix, m]);
      for (const [k, c] of m.ownEntries().children) visit(join(prefix, k), c);
    };
    visit("", this as unknown as AnyModule);
    return out;
  }
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }
  namedChildren(): [string, AnyModule][] {
    return this.ownEntries().children;
  }
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every parameter with its dotted name ("fc1.weight"); a shared parameter is listed once. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownEntries().params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(prefix, k), p]);
      }
    }
    return out;
  }
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }
  namedBuffers(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, m]) => m.ownEntries().buffers.map(([k, b]): [string, Tensor] => [join(prefix, k), b]));
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }
  /** How many numbers the parameters hold (only those that require grad, with trainableOnly). */
  numParameters(trainableOnly = false): number {
    return this.parameters().reduce((n, p) => n + (trainableOnly && !p.requiresGrad ? 0 : p.numel()), 0);
  }

  // --- modes and gradients ---------------------------------------------------
  /** Training mode (the default) for this module and every submodule; train(false) is eval(). */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Clears every parameter's .grad (to null, which also frees it). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
  /** Freezes (false) or unfreezes every parameter. */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }
  /** Calls fn on every submodule and then this one (children first, as PyTorch's apply): custom initialisation. */
  apply(fn: (m: AnyModule) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  // --- state dict ----------------------------------------------------------------
  /** The tensors themselves (not detached), by dotted name: parameters then buffers, parent before children. */
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const path = new Set<AnyModule>();
    const visit = (prefix: string, m: AnyModule): void => {
      if (path.has(m)) return; // a cycle (a child holding its parent) would never end
      path.add(m);
      const own = m.ownEntries();
      for (const [k, p] of own.params) out.push([join(prefix, k), p]);
      for (const [k, b] of own.buffers) out.push([join(prefix, k), b]);
      for (const [k, c] of own.children) visit(join(prefix, k), c);
      path.delete(m);
    };
    visit("", this as unknown as AnyModule);
    return out;
  }

  /**
   * Parameters and buffers by dotted name, detached (they share storage
   * with the model: clone them to keep a snapshot that later training does
   * not change). Names follow PyTorch's, so a state dict saved here loads
   * into the same model written in PyTorch, and back.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [k, t] of this.stateEntries()) sd[k] = t.detach();
    return sd;
  }

  /**
   * Copies the values of `sd` into this model's parameters and buffers.
   * Everything is checked before anything is copied, so a failed load leaves
   * the model as it was.
   */
  loadStateDict(sd: StateDict, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const own = new Map(this.stateEntries());
    const missingKeys = [...own.keys()].filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys (in the model, not in the state dict): ${missingKeys.map(q).join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys (in the state dict, not in the model): ${unexpectedKeys.map(q).join(", ")}`);
    for (const [k, target] of own) {
      const src = sd[k];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) {
        problems.push(`${q(k)} is not a Tensor`);
      } else if (!sameShape(src.shape, target.shape)) {
        problems.push(`shape mismatch for ${q(k)}: the state dict has ${fmtShape(src.shape)}, the model has ${fmtShape(target.shape)}`);
      }
    }
    if (problems.length) fail("loadStateDict", `cannot load into ${this.constructor.name}: ${problems.join("; ")}`);
    noGrad(() => {
      for (const [k, target] of own) {
        const src = sd[k];
        if (src !== undefined) target.copy_(src.backend === target.backend ? src : src.to(target.backend.name));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // --- conversion ----------------------------------------------------------------
  /** Float parameters and buffers to float64 (gradient checks run on a model.double()). Replaces the tensors: build optimizers after. */
  double(): this {
    return this.convert((t) => (isFloat(t.dtype) ? t.type("float64") : t));
  }
  float(): this {
    return this.convert((t) => (isFloat(t.dtype) ? t.type("float32") : t));
  }
  /** Moves parameters and buffers to another backend ("js", "tfjs"). Build optimizers after. */
  to(backendName: string): this {
    return this.convert((t) => t.to(backendName));
  }

  private convert(fn: (t: Tensor) => Tensor): this {
    const done = new Map<Tensor, Tensor>(); // a parameter shared by two modules stays shared
    const remake = (v: Tensor): Tensor => {
      let r = done.get(v);
      if (!r) {
        const t = noGrad(() => fn(v.detach()));
        if (v instanceof Parameter) {
          const p = new Parameter(t, v.requiresGrad);
          p.grad = v.grad ? noGrad(() => fn(v.grad!)) : null;
          r = p;
        } else {
          r = t;
        }
        done.set(v, r);
      }
      return r;
    };
    for (const m of this.modules()) {
      const f = m.fields();
      for (const [key, v] of Object.entries(f)) {
        if (v instanceof Parameter || (v instanceof Tensor && m.#buffers.has(key))) f[key] = remake(v);
        else if (Array.isArray(v) && v.some((x) => x instanceof Parameter)) f[key] = v.map((x: unknown) => (x instanceof Parameter ? remake(x) : x));
      }
    }
    return this;
  }

  // --- printing --------------------------------------------------------------------
  /** The part inside the parentheses of this module's line in toString(): its settings. */
  extraRepr(): string {
    return "";
  }

  /** PyTorch's module printout: one line per layer, children indented under their parent. */
  toString(): string {
    const name = this.constructor.name || "Module";
    const kids = this.namedChildren();
    if (!kids.length) return `${name}(${this.extraRepr()})`;
    const lines = kids.map(([k, c]) => `  (${k}): ${c.toString().split("\n").join("\n  ")}`);
    const extra = this.extraRepr();
    return `${name}(${extra ? `\n  ${extra}` : ""}\n${lines.join("\n")}\n)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /**
   * In a notebook: every layer with its settings and parameter count. Output
   * shapes need an input: nn.summary(model, inputShape) shows those.
   */
  [DISPLAY](): MimeBundle {
    const rows: Cell[][] = [];
    const walk = (m: AnyModule, prefix: string): void => {
      for (const [k, c] of m.namedChildren()) {
        const name = prefix ? `${prefix}.${k}` : k;
        const own = c.namedParameters().filter(([n]) => !n.includes(".")).reduce((a, [, t]) => a + t.numel(), 0);
        rows.push([name, c.constructor.name, c.extraRepr(), own]);
        walk(c, name);
      }
    };
    walk(this as unknown as AnyModule, "");
    const total = this.numParameters();
    return {
      "text/plain": this.toString(),
      "text/html": htmlTable(rows, {
        header: ["layer", "type", "settings", "parameters"],
        caption: `${this.constructor.name}: ${total.toLocaleString("en-US")} parameters (${this.numParameters(true).toLocaleString("en-US")} trainable)`,
      }),
    };
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function q(k: string): string {
  return `"${k}"`;
}

function checkName(op: string, name: string): void {
  if (typeof name !== "string" || name === "" || name.includes(".")) fail(op, `name must be a non-empty string without ".", got ${JSON.stringify(name)}`);
}
