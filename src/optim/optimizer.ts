import { noGrad } from "../autograd/mode";
import { dispose, keep } from "../backend";
import { fail, fmtShape } from "../errors";
import { sameShape } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";

/** What an option of an optimizer can be: lr, betas, nesterov, ... */
export type OptionValue = number | boolean | null | readonly number[];

/** Every optimizer has a learning rate; the rest depends on the algorithm. */
export interface BaseOptions {
  lr: number;
}

/** A set of parameters trained with its own options (e.g. a smaller lr for a pretrained backbone). */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };
/** What you pass for a group: its parameters, and the options that differ from the optimizer's defaults. */
export type ParamGroupSpec<O extends BaseOptions> = Partial<O> & { params: Iterable<Tensor> };

/** An optimizer's per-parameter state: tensors (moment estimates) and numbers (the step count). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  /** By the parameter's position across all groups (0, 1, ...), as in PyTorch. */
  state: Record<number, ParamState>;
  /** Each group's options, with its parameters as positions. */
  paramGroups: Record<string, OptionValue>[];
}

/**
 * The base of every optimizer: holds the parameters in groups, each with
 * its options; step() updates every parameter that has a gradient, in place
 * and without recording a graph; zeroGrad() clears the gradients.
 *
 *   const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 *   const opt = new optim.SGD([{ params: a.parameters() }, { params: b.parameters(), lr: 0.001 }], { lr: 0.01 });
 */
export abstract class Optimizer<O extends BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created at the first step. */
  readonly state = new Map<Tensor, ParamState>();
  readonly defaults: O;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<O>>, defaults: O) {
    this.defaults = defaults;
    this.checkOptions(defaults);
    const list = [...params] as (Tensor | ParamGroupSpec<O>)[];
    if (list.length === 0) fail(this.constructor.name, "got an empty list of parameters: pass model.parameters() (did the model register any?)");
    if (list.every((p) => p instanceof Tensor)) this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupSpec<O>);
    else if (list.some((p) => p instanceof Tensor)) fail(this.constructor.name, "pass either parameters or parameter groups ({params, ...options}), not a mix");
    else for (const g of list as ParamGroupSpec<O>[]) this.addParamGroup(g);
  }

  /** Adds a group of parameters; options it leaves out come from the defaults. */
  addParamGroup(spec: ParamGroupSpec<O>): void {
    const name = this.constructor.name;
    if (!spec || typeof spec !== "object" || !("params" in spec)) fail(name, "a parameter group must be an object {params, ...options}");
    const params = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    if (params.length === 0) fail(name, `parameter group ${this.paramGroups.length} is empty`);
    const known = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) fail(name, `parameter ${i} of group ${this.paramGroups.length} is not a Tensor`);
      if (!p.isLeaf) fail(name, `can only optimize leaf tensors, but parameter ${i} of group ${this.paramGroups.length} (shape ${fmtShape(p.shape)}) was computed by an op; use .detach().requiresGrad_()`);
      if (known.has(p)) fail(name, `parameter ${i} of group ${this.paramGroups.length} (shape ${fmtShape(p.shape)}) appears twice`);
      known.add(p);
    });
    const group = { ...this.defaults, ...spec, params } as ParamGroup<O>;
    this.checkOptions(group);
    this.paramGroups.push(group);
  }

  /** Validates a group's options (each optimizer adds its own checks). */
  protected checkOptions(o: O): void {
    if (!(o.lr >= 0)) fail(this.constructor.name, `lr must be a non-negative number, got ${o.lr}`);
  }

  /** Clears every parameter's gradient (sets it to null), before the next backward(). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          let s = this.state.get(p);
          if (!s) this.state.set(p, (s = {}));
          const before = { ...s };
          this.update(p, p.grad, group, s);
          retainState(s, before);
        }
      }
    });
  }

  /** The algorithm: changes p in place from its gradient, the group's options and its state. Runs under noGrad. */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>, state: ParamState): void;

  /** The state (copied) and options, to save with a checkpoint. Parameters are named by position. */
  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    let i = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) state[i] = copyState(s);
        ids.push(i++);
      }
      const { params: _params, ...options } = g;
      return { ...(options as unknown as Record<string, OptionValue>), params: ids };
    });
    return { state, paramGroups };
  }

  /** Restores what stateDict() returned, into an optimizer built over the same parameters. */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    if (sd.paramGroups.length !== this.paramGroups.length) {
      fail(name, `the state dict has ${sd.paramGroups.length} parameter groups, this optimizer ${this.paramGroups.length}`);
    }
    const flat = this.paramGroups.flatMap((g) => g.params);
    sd.paramGroups.forEach((g, gi) => {
      const ids = g.params as readonly number[];
      if (ids.length !== this.paramGroups[gi].params.length) {
        fail(name, `group ${gi} has ${ids.length} parameters in the state dict, ${this.paramGroups[gi].params.length} here`);
      }
    });
    for (const [k, s] of Object.entries(sd.state)) {
      const p = flat[Number(k)];
      if (!p) fail(name, `state for parameter ${k}, but there are only ${flat.length} parameters`);
      for (const [key, v] of Object.entries(s)) {
        if (v instanceof Tensor && v.ndim > 0 && !sameShape(v.shape, p.shape)) {
          fail(name, `state "${key}" of parameter ${k} has shape ${fmtShape(v.shape)}, the parameter has ${fmtShape(p.shape)}`);
        }
      }
    }
    sd.paramGroups.forEach((g, gi) => {
      const { params: _ids, ...options } = g;
      Object.assign(this.paramGroups[gi], options);
    });
    this.state.clear();
    for (const [k, s] of Object.entries(sd.state)) {
      const p = flat[Number(k)];
      const copy: ParamState = {};
      for (const [key, v] of Object.entries(s)) copy[key] = v instanceof Tensor ? v.to(p.backend.name).type(p.dtype).clone().detach() : v;
      this.state.set(p, copy);
    }
  }
}

function copyState(s: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) out[k] = v instanceof Tensor ? noGrad(() => v.clone()) : v;
  return out;
}

/** Fails with the optimizer's name when a numeric option is out of its range. */
/**
 * State tensors outlive the training step that made them: on the tfjs
 * backend a step runs in a tidy() scope that frees every array made inside,
 * so a buffer an update replaced is kept, and the one it replaced is freed.
 * Done here once, so no optimizer has to know about backend memory.
 */
function retainState(s: ParamState, before: ParamState): void {
  for (const [k, v] of Object.entries(s)) {
    const old = before[k];
    if (!(v instanceof Tensor) || v === old) continue;
    keep(v);
    if (old instanceof Tensor) dispose(old);
  }
}

export function checkRange(op: string, name: string, v: number, lo: number, hi: number, hiOpen = false): void {
  if (!(v >= lo && (hiOpen ? v < hi : v <= hi))) fail(op, `${name} must be in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${v}`);
}
