import type { Tensor as TfTensor } from "@tensorflow/tfjs-core";
import type { BackendArray } from "../backend";
import type { MemoryInfo } from "../index";
import { fail } from "../../errors";
import type { DType } from "../../tensor/dtype";
import type { TF } from "./engine";

/** The box a TfArray keeps its tf.Tensor in: `write` swaps the tensor, and the finalizer frees whatever is inside. */
interface Slot {
  t: TfTensor;
}

/**
 * How a view was made from its base, both ways: `derive` computes the
 * view's values from the base's, `assign` puts new view values back into
 * (a copy of) the base's.
 */
export interface ViewOf {
  derive(base: TfTensor): TfTensor;
  assign(base: TfTensor, values: TfTensor): TfTensor;
  /** For a transpose: its permutation, so that transposing the view back can reuse the base. */
  perm?: readonly number[];
}

/**
 * The tfjs backend's array: a handle on one tf.Tensor that it owns alone.
 * The tensor inside can be replaced (that is how `write`, and so
 * `Tensor.copy_`, works: every gradlab tensor sharing this array sees the
 * new values), and freed, after which using the array is an error.
 *
 * A tf.Tensor has no strides, so reshape, transpose and slice copy; to keep
 * PyTorch's view semantics anyway, such an array remembers its base: a
 * write to the view is written through to the base, and a view whose base
 * changed recomputes itself when next read.
 */
export class TfArray implements BackendArray {
  readonly shape: number[];
  /** Bumped whenever the values change (a write, or a view catching up with its base). */
  generation = 0;
  view?: { base: TfArray; how: ViewOf; seen: number };
  constructor(
    readonly slot: Slot,
    readonly dtype: DType,
  ) {
    this.shape = [...slot.t.shape];
  }
}

/**
 * Who frees the tfjs backend's arrays. TensorFlow.js keeps tensor data in
 * WebAssembly or native memory that the garbage collector cannot see, so:
 *
 * 1. Scopes (what `tidy(fn)` opens): every array made while a scope is open
 *    is freed when it closes, except those reachable from what fn returned
 *    (moved to the enclosing scope) and those passed to `keep`. Arrays made
 *    outside any scope (parameters, datasets) are left alone.
 * 2. `write` frees the tensor it replaces at once, so an optimizer updating
 *    a parameter in place does not leak the old values.
 * 3. A FinalizationRegistry frees the tensor of any array the garbage
 *    collector finds unreachable: a safety net for code that never uses
 *    scopes (a notebook), not a schedule to rely on, as the collector does
 *    not run for memory it cannot see.
 */
export class Memory {
  private readonly scopes: Set<TfArray>[] = [];
  /** tf.Tensors already inside an array, so that two arrays never share (and double-free) one. */
  private readonly owned = new WeakSet<TfTensor>();
  private readonly finalizer = new FinalizationRegistry<Slot>((slot) => {
    if (!slot.t.isDisposed) slot.t.dispose();
  });

  constructor(private readonly tf: TF) {}

  /** A tensor no array owns yet: `t` itself, or a second handle on its data. */
  private own(t: TfTensor): TfTensor {
    const mine = this.owned.has(t) ? this.tf.clone(t) : t;
    this.owned.add(mine);
    return mine;
  }

  /** Wraps a kernel's result in an array owned by the current scope; `view` links it to the array it was derived from. */
  adopt(t: TfTensor, view?: { base: TfArray; how: ViewOf }): TfArray {
    const a = new TfArray({ t: this.own(t) }, t.dtype as DType);
    if (view) a.view = { ...view, seen: view.base.generation };
    this.finalizer.register(a, a.slot, a);
    this.scopes[this.scopes.length - 1]?.add(a);
    return a;
  }

  /** The live tf.Tensor behind an array (a view first catches up with its base); a clear error if it was freed. */
  tensorOf(x: BackendArray): TfTensor {
    if (!(x instanceof TfArray)) fail("tfjs", "got an array from another backend; move the tensor with .to(\"tfjs\")");
    if (x.slot.t.isDisposed) {
      fail(
        "tfjs",
        `this tensor ${JSON.stringify(x.shape)} was freed: it was made inside a tidy() scope that has ended. ` +
          "Return it from the scope, or keep() it, to use it afterwards",
      );
    }
    const v = x.view;
    // a base freed by its scope can no longer change: the view keeps its values and forgets it
    if (v && v.base.slot.t.isDisposed) x.view = undefined;
    else if (v) {
      const base = this.tensorOf(v.base);
      if (v.seen !== v.base.generation) {
        this.swap(x, this.tf.tidy(() => v.how.derive(base)));
        v.seen = v.base.generation;
      }
    }
    return x.slot.t;
  }

  /** Makes `t` the values of `x` and, through it, of the base x is a view of. */
  write(x: TfArray, t: TfTensor): void {
    const v = x.view;
    if (v && !v.base.slot.t.isDisposed) {
      const base = this.tensorOf(v.base);
      this.write(v.base, this.tf.tidy(() => v.how.assign(base, t)));
      v.seen = v.base.generation;
    } else x.view = undefined;
    this.swap(x, t);
  }

  private swap(x: TfArray, t: TfTensor): void {
    const mine = this.own(t);
    if (!x.slot.t.isDisposed) x.slot.t.dispose();
    x.slot.t = mine;
    x.generation++;
  }

  dispose(x: TfArray): void {
    if (!x.slot.t.isDisposed) x.slot.t.dispose();
    this.finalizer.unregister(x);
    for (const s of this.scopes) s.delete(x);
  }

  beginScope(): void {
    this.scopes.push(new Set());
  }

  /** Frees the scope's arrays except `keep`, which move to the enclosing scope (or out of scopes). */
  endScope(keep: ReadonlySet<BackendArray>): void {
    const scope = this.scopes.pop();
    if (!scope) fail("tidy", "endScope without a matching beginScope");
    const parent = this.scopes[this.scopes.length - 1];
    for (const a of scope) {
      if (keep.has(a)) parent?.add(a);
      else this.dispose(a);
    }
  }

  /** Takes an array out of every scope: it lives until disposed or collected. */
  keep(x: BackendArray): void {
    if (x instanceof TfArray) for (const s of this.scopes) s.delete(x);
  }

  stats(): MemoryInfo {
    const m = this.tf.memory();
    return { backend: "tfjs", arrays: m.numTensors, bytes: m.numBytes, scoped: this.scopes.reduce((n, s) => n + s.size, 0), depth: this.scopes.length };
  }
}
