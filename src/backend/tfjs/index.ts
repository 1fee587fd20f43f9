import type { Tensor as TfTensor } from "@tensorflow/tfjs-core";
import type { Backend, BackendArray, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, UnaryOp } from "../backend";
import { register, type MemoryInfo, type ScopedMemory } from "../index";
import type { DType, TypedArray } from "../../tensor/dtype";
import { dtypeOfArray } from "../../tensor/dtype";
import type { Shape } from "../../tensor/shape";
import * as conv from "./conv";
import { defaultCandidates, loadEngine, type Engine, type LoadResult } from "./engine";
import * as K from "./kernels";
import * as L from "./layout";
import { Memory, TfArray, type ViewOf } from "./memory";
import { composeMissingKernels } from "./missing";

/**
 * The fast path: every kernel of the Backend interface on TensorFlow.js
 * (tfjs-node-gpu, tfjs-node, wasm or cpu, whichever loads; see engine.ts).
 * Each method runs its kernel (kernels.ts, conv.ts) inside tf.tidy, so the
 * kernel's intermediate tensors are freed at once, and hands the result to
 * Memory, which decides when it is freed (memory.ts). Values leave the
 * engine only in `read`.
 */
export class TfjsBackend implements Backend, ScopedMemory {
  readonly name = "tfjs";
  private readonly tf: Engine["tf"];
  private readonly mem: Memory;

  constructor(readonly loaded: LoadResult) {
    this.tf = loaded.engine.tf;
    this.mem = new Memory(this.tf);
  }

  /** Runs a kernel; its result becomes a TfArray owned by the current scope. */
  private run(kernel: () => TfTensor): TfArray {
    return this.mem.adopt(this.tf.tidy(kernel));
  }
  /** A reshape, transpose or slice: a copy that writes through to x and follows x's changes (see TfArray). */
  private view(x: BackendArray, how: ViewOf): TfArray {
    const base = x as TfArray;
    return this.mem.adopt(this.tf.tidy(() => how.derive(this.t(x))), { base, how });
  }
  private t(x: BackendArray): TfTensor {
    return this.mem.tensorOf(x);
  }

  // --- memory -------------------------------------------------------------
  fromTyped(data: TypedArray, shape: Shape): BackendArray {
    const dtype = dtypeOfArray(data);
    K.rejectFloat64("tensor", dtype);
    // a copy: the cpu engine would otherwise keep the caller's array as its storage
    return this.run(() => this.tf.tensor(data.slice(), [...shape], dtype as "float32" | "int32" | "bool"));
  }
  read(x: BackendArray): TypedArray {
    // dataSync on the cpu engine hands out its own storage: copy
    return (this.t(x).dataSync() as TypedArray).slice();
  }
  dispose(x: BackendArray): void {
    if (x instanceof TfArray) this.mem.dispose(x);
  }
  full(shape: Shape, value: number, dtype: DType): BackendArray {
    K.rejectFloat64("full", dtype);
    if (dtype === "bool") return this.run(() => this.tf.fill([...shape], value !== 0 && !Number.isNaN(value) ? 1 : 0, "bool"));
    return this.run(() => this.tf.fill([...shape], value, dtype as "float32" | "int32"));
  }
  write(dst: BackendArray, src: BackendArray): BackendArray {
    const d = dst as TfArray;
    const s = this.t(src);
    this.mem.write(d, this.tf.tidy(() => K.cast(this.tf, L.broadcast(this.tf, s, d.shape), d.dtype)));
    return d;
  }

  // --- layout: copies that behave as views (a tf.Tensor has no strides) -------
  reshape(x: BackendArray, shape: Shape) {
    return this.view(x, { derive: (b) => this.tf.reshape(b, [...shape]), assign: (b, v) => this.tf.reshape(v, b.shape) });
  }
  transpose(x: BackendArray, perm: readonly number[]) {
    // w.t() transposed back (every matmul backward through x.matmul(w.t()): Linear, RNNs) is w itself:
    // a reshape of the base, which tfjs makes without copying, instead of a second transpose
    const v = (x as TfArray).view;
    if (v?.how.perm && !v.base.slot.t.isDisposed && perm.every((p, i) => v.how.perm![p] === i)) {
      return this.reshape(v.base, perm.map((p) => x.shape[p]));
    }
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.view(x, { derive: (b) => L.transpose(this.tf, b, perm), assign: (_, v) => L.transpose(this.tf, v, inverse), perm });
  }
  slice(x: BackendArray, b: readonly number[], e: readonly number[], s: readonly number[]) {
    return this.view(x, { derive: (t) => L.stridedSlice(this.tf, t, b, e, s), assign: (t, v) => sliceAssign(this.tf, t, v, b, s) });
  }
  /** Views of one array share its memory (a view of a view may be made from the first base directly, see transpose). */
  sharesMemory(view: BackendArray, base: BackendArray): boolean {
    const root = (a: BackendArray): BackendArray => (a instanceof TfArray && a.view && !a.view.base.slot.t.isDisposed ? root(a.view.base) : a);
    return view instanceof TfArray && view.view !== undefined && root(view) === root(base);
  }
  expand(x: BackendArray, shape: Shape) {
    return this.run(() => {
      const v = this.t(x);
      return L.broadcast(this.tf, this.tf.reshape(v, [...Array(shape.length - v.rank).fill(1), ...v.shape]), shape);
    });
  }
  contiguous(x: BackendArray) { return this.run(() => this.tf.clone(this.t(x))); }
  cast(x: BackendArray, dtype: DType) { return this.run(() => K.cast(this.tf, this.t(x), dtype)); }
  sliceAssign(x: BackendArray, src: BackendArray, b: readonly number[], s: readonly number[]) {
    return this.run(() => sliceAssign(this.tf, this.t(x), this.t(src), b, s));
  }
  cat(xs: readonly BackendArray[], dim: number) {
    return this.run(() => {
      const ts = xs.map((x) => this.t(x)).filter((t, i) => t.size > 0 || i === 0);
      return ts.length === 1 ? ts[0] : this.tf.concat(ts, dim);
    });
  }
  pad(x: BackendArray, pads: readonly [number, number][], value: number) {
    return this.run(() => {
      const v = this.t(x);
      if (v.dtype !== "bool") return this.tf.pad(v, pads.map((p) => [...p] as [number, number]), value);
      return K.cast(this.tf, this.tf.pad(this.tf.cast(v, "int32"), pads.map((p) => [...p] as [number, number]), value ? 1 : 0), "bool");
    });
  }

  // --- elementwise ---------------------------------------------------------
  unary(op: UnaryOp, x: BackendArray) { return this.run(() => K.unary(this.tf, op, this.t(x))); }
  binary(op: BinaryOp, a: BackendArray, b: BackendArray) { return this.run(() => K.binary(this.tf, op, this.t(a), this.t(b))); }
  clamp(x: BackendArray, lo: number, hi: number) { return this.run(() => K.clamp(this.tf, this.t(x), lo, hi)); }
  leakyRelu(x: BackendArray, slope: number) { return this.run(() => K.leakyRelu(this.tf, this.t(x), slope)); }
  where(c: BackendArray, a: BackendArray, b: BackendArray) { return this.run(() => K.where(this.tf, this.t(c), this.t(a), this.t(b))); }

  // --- reductions ----------------------------------------------------------
  reduce(op: ReduceOp, x: BackendArray, axes: readonly number[], keepDims: boolean) { return this.run(() => K.reduce(this.tf, op, this.t(x), axes, keepDims)); }
  argReduce(op: "argmax" | "argmin", x: BackendArray, axis: number, keepDims: boolean) { return this.run(() => K.argReduce(this.tf, op, this.t(x), axis, keepDims)); }

  // --- linear algebra ------------------------------------------------------
  matmul(a: BackendArray, b: BackendArray) { return this.run(() => K.matmul(this.tf, this.t(a), this.t(b))); }

  // --- convolution and pooling ---------------------------------------------
  conv2d(x: BackendArray, w: BackendArray, p: Conv2dParams) { return this.run(() => conv.conv2d(this.tf, f32(this.tf, this.t(x)), f32(this.tf, this.t(w)), p)); }
  conv2dBackwardInput(gy: BackendArray, w: BackendArray, xShape: Shape, p: Conv2dParams) {
    return this.run(() => conv.conv2dBackwardInput(this.tf, f32(this.tf, this.t(gy)), f32(this.tf, this.t(w)), xShape, p));
  }
  conv2dBackwardFilter(x: BackendArray, gy: BackendArray, wShape: Shape, p: Conv2dParams) {
    return this.run(() => conv.conv2dBackwardFilter(this.tf, f32(this.tf, this.t(x)), f32(this.tf, this.t(gy)), wShape, p));
  }
  maxPool2d(x: BackendArray, p: Pool2dParams): { out: BackendArray; argmax: BackendArray } {
    const r = this.tf.tidy(() => conv.maxPool2d(this.tf, this.t(x), p));
    return { out: this.mem.adopt(r.out), argmax: this.mem.adopt(r.argmax) };
  }
  avgPool2d(x: BackendArray, p: Pool2dParams) { return this.run(() => conv.avgPool2d(this.tf, this.t(x), p)); }
  avgPool2dBackward(gy: BackendArray, xShape: Shape, p: Pool2dParams) { return this.run(() => conv.avgPool2dBackward(this.tf, this.t(gy), xShape, p)); }

  // --- indexing --------------------------------------------------------------
  gather(x: BackendArray, dim: number, index: BackendArray) { return this.run(() => K.gather(this.tf, this.t(x), dim, this.t(index))); }
  scatterAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray) {
    return this.run(() => K.scatterAdd(this.tf, this.t(x), dim, this.t(index), this.t(src)));
  }
  indexSelect(x: BackendArray, dim: number, index: BackendArray) { return this.run(() => K.indexSelect(this.tf, this.t(x), dim, this.t(index))); }
  indexAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray) {
    return this.run(() => K.indexAdd(this.tf, this.t(x), dim, this.t(index), this.t(src)));
  }

  // --- scopes (see memory.ts) ---------------------------------------------------
  beginScope(): void { this.mem.beginScope(); }
  endScope(keep: ReadonlySet<BackendArray>): void { this.mem.endScope(keep); }
  keep(x: BackendArray): void { this.mem.keep(x); }
  memory(): MemoryInfo { return this.mem.stats(); }

}

/** Convolutions compute in float32 (int inputs are converted, as the js backend does). */
function f32(tf: Engine["tf"], t: TfTensor): TfTensor {
  return t.dtype === "float32" ? t : tf.cast(t, "float32");
}

/**
 * A copy of x with the strided region (begin, step) replaced by src: src is
 * spread out with zeros between its elements where a step exceeds 1, padded
 * to x's shape, and chosen over x by a mask built the same way.
 */
function sliceAssign(tf: Engine["tf"], x: TfTensor, src: TfTensor, begin: readonly number[], step: readonly number[]): TfTensor {
  if (src.size === 0) return tf.clone(x);
  const spread = (t: TfTensor) => {
    let r = t;
    step.forEach((s, d) => (r = L.dilate(tf, r, d, s)));
    return L.padOrCrop(tf, r, r.shape.map((n, d) => [begin[d], x.shape[d] - begin[d] - n] as [number, number]));
  };
  const work = x.dtype === "bool" ? "int32" : (x.dtype as DType);
  const mask = K.truthy(tf, spread(tf.ones(src.shape, "int32")));
  const r = tf.where(mask, spread(K.cast(tf, src, work)), K.cast(tf, x, work));
  return K.cast(tf, r, x.dtype as DType);
}

/*
 * "tfjs" is registered as soon as this module loads; its engine loads on the
 * first `await backend.use("tfjs")` (or `backend.ready()` with
 * GRADLAB_BACKEND=tfjs), once per process. A failed load is not cached, so
 * it can be retried after installing what was missing.
 */
let loaded: LoadResult | undefined;
let loading: Promise<LoadResult> | undefined;
/** Kernels the engine lacked, registered into it composed of its own ops (missing.ts). */
let composed: string[] = [];

register("tfjs", () => new TfjsBackend(loaded!), {
  load: async () => {
    loading ??= loadEngine(defaultCandidates());
    try {
      loaded = await loading;
      composed = composeMissingKernels(loaded.engine.tf);
    } catch (e) {
      loading = undefined;
      throw e;
    }
  },
  describe: () => loaded && { engine: loaded.engine.description, skipped: loaded.skipped, composed },
});

export { loadEngine, defaultCandidates, explain, initialise, EngineInitError } from "./engine";
export type { Engine, EngineCandidate, LoadResult, Skipped } from "./engine";
