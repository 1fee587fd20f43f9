import { propagate } from "../autograd/engine";
import { isGradEnabled } from "../autograd/mode";
import { apply, Node, OpDef } from "../ops/op";
import * as A from "../ops/activation";
import * as C from "../ops/conv";
import * as E from "../ops/elementwise";
import * as I from "../ops/indexing";
import * as L from "../ops/linalg";
import * as R from "../ops/reduce";
import * as S from "../ops/shape";
import * as backends from "../backend";
import type { Backend, BackendArray } from "../backend/backend";
import { fail, fmtShape } from "../errors";
import { DType, TypedArray, allocate, isFloat, typedFrom } from "./dtype";
import { formatTensor } from "./print";
import { DISPLAY, MimeBundle } from "../display/bundle";
import { tensorBundle } from "../display/tensor";
import { Generator, defaultGenerator } from "./random";
import { Shape, checkShape, numel, sameShape } from "./shape";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Name of the backend to create on ("js", "tfjs"); default: the active one. */
  backend?: string;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/** Nested arrays of numbers, as accepted by `tensor()` and returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

type ShapeArg = readonly number[] | [readonly number[]];
/** reshape(2, 3) and reshape([2, 3]) both work, as in PyTorch. */
function shapeArg(args: ShapeArg): number[] {
  return Array.isArray(args[0]) ? [...(args[0] as readonly number[])] : [...(args as readonly number[])];
}

/**
 * A tensor: an n-dimensional array on a backend, plus what autograd needs.
 * `data` is the backend's array; `gradFn` is the graph node that produced
 * this tensor (null for leaves you created); `grad` is filled by backward().
 */
export class Tensor {
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: Node | null = null;
  /** Set by retainGrad(): a non-leaf that still gets .grad. */
  retainsGrad = false;
  /** Shared by a tensor and its views: bumped by every in-place change, checked by backward. */
  readonly versionBox: { v: number };

  constructor(
    public data: BackendArray,
    readonly backend: Backend,
    opts: { requiresGrad?: boolean; version?: { v: number } } = {},
  ) {
    this.requiresGrad = opts.requiresGrad ?? false;
    this.versionBox = opts.version ?? { v: 0 };
    if (this.requiresGrad && !isFloat(data.dtype)) {
      fail("requiresGrad", `only float tensors can require gradients, this one is ${data.dtype}`);
    }
  }

  // --- construction helpers used across the library ------------------------
  static fromTyped(values: TypedArray, shape: Shape, opts: TensorOptions = {}): Tensor {
    const be = opts.backend ? backends.get(opts.backend) : backends.active();
    const data = opts.dtype && opts.dtype !== dtypeOf(values) ? typedFrom(opts.dtype, values) : values;
    if (data.length !== numel(shape)) fail("tensor", `${data.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
    return new Tensor(be.fromTyped(data, checkShape("tensor", shape)), be, { requiresGrad: opts.requiresGrad });
  }

  static scalar(v: number, dtype: DType, backend: Backend): Tensor {
    return new Tensor(backend.full([], v, dtype), backend);
  }

  static full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    const be = opts.backend ? backends.get(opts.backend) : backends.active();
    return new Tensor(be.full(checkShape("full", shape), value, opts.dtype ?? "float32"), be, { requiresGrad: opts.requiresGrad });
  }

  static arange(n: number, dtype: DType, backend: Backend): Tensor {
    const v = allocate(dtype, n);
    for (let i = 0; i < n; i++) v[i] = i;
    return new Tensor(backend.fromTyped(v, [n]), backend);
  }

  /** Uniform in [0, 1), from the seedable generator. */
  static rand(shape: Shape, opts: RandomOptions = {}): Tensor {
    const gen = opts.generator ?? defaultGenerator;
    const v = allocate(opts.dtype ?? "float32", numel(shape));
    // float32 keeps 24 bits: rounding a 53-bit draw just below 1 would give exactly 1
    const bits = v instanceof Float32Array ? 16777216 : 0;
    for (let i = 0; i < v.length; i++) v[i] = bits ? Math.floor(gen.uniform() * bits) / bits : gen.uniform();
    return Tensor.fromTyped(v, shape, opts);
  }

  /** Standard normal, from the seedable generator. */
  static randn(shape: Shape, opts: RandomOptions = {}): Tensor {
    const gen = opts.generator ?? defaultGenerator;
    const v = allocate(opts.dtype ?? "float32", numel(shape));
    for (let i = 0; i < v.length; i++) v[i] = gen.normal();
    return Tensor.fromTyped(v, shape, opts);
  }

  // --- what it is -----------------------------------------------------------
  get shape(): number[] {
    return [...this.data.shape];
  }
  get dtype(): DType {
    return this.data.dtype;
  }
  get ndim(): number {
    return this.data.shape.length;
  }
  get version(): number {
    return this.versionBox.v;
  }
  /** True for tensors you made yourself (not computed by an op that recorded a graph). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  numel(): number {
    return numel(this.data.shape);
  }
  size(dim?: number): number | number[] {
    return dim === undefined ? this.shape : this.data.shape[dim < 0 ? dim + this.ndim : dim];
  }

  // --- getting values out (the only places data leaves the backend) ----------
  /** A flat row-major copy of the values. */
  values(): TypedArray {
    return this.backend.read(this.data);
  }
  toArray(): NestedArray {
    const v = this.values();
    const shape = this.data.shape;
    const bool = this.dtype === "bool";
    const build = (dim: number, off: number): NestedArray => {
      if (dim === shape.length) return bool ? v[off] !== 0 : v[off];
      const stride = numel(shape.slice(dim + 1));
      return Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }
  item(): number {
    if (this.numel() !== 1) fail("item", `only a tensor with one element can be converted to a number, this one has shape ${fmtShape(this.shape)}`);
    return this.values()[0];
  }
  toString(): string {
    return formatTensor(this);
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this);
  }
  /** Rich display in Jupyter (Deno's convention, which gradlab's kernel follows): table, heatmap or image grid. */
  [DISPLAY](): MimeBundle {
    return tensorBundle(this);
  }

  // --- autograd ---------------------------------------------------------------
  /**
   * Computes the gradient of this tensor with respect to every leaf that
   * requires grad, and adds it to their `.grad`. A non-scalar needs the
   * gradient of some scalar with respect to it: `y.backward(dLdy)`.
   */
  backward(grad?: Tensor, opts: { createGraph?: boolean } = {}): void {
    if (!this.requiresGrad) {
      fail("backward", "this tensor does not require grad: no input it was computed from had requiresGrad set (or it was computed under noGrad)");
    }
    if (grad === undefined) {
      if (this.numel() !== 1) {
        fail("backward", `called on a tensor of shape ${fmtShape(this.shape)} without a gradient; reduce it to a scalar first (e.g. .sum() or .mean()) or pass backward(grad) with a gradient of shape ${fmtShape(this.shape)}`);
      }
      grad = this.onesLike();
    } else if (!sameShape(grad.shape, this.shape)) {
      fail("backward", `gradient of shape ${fmtShape(grad.shape)} does not match the tensor's shape ${fmtShape(this.shape)}`);
    }
    const grads = propagate([this], [grad], opts);
    for (const [t, g] of grads) {
      if (!(t.isLeaf && t.requiresGrad) && !t.retainsGrad) continue;
      const gi = opts.createGraph ? g : g.detach();
      t.grad = t.grad ? (opts.createGraph ? t.grad.add(gi) : t.grad.add(gi).detach()) : gi;
    }
  }

  /** The same values, cut off from the graph (shares storage). */
  detach(): Tensor {
    return new Tensor(this.data, this.backend, { version: this.versionBox });
  }
  requiresGrad_(on = true): this {
    if (!this.isLeaf) fail("requiresGrad_", "can only be set on leaf tensors; use .detach().requiresGrad_() for a new leaf");
    if (on && !isFloat(this.dtype)) fail("requiresGrad_", `only float tensors can require gradients, this one is ${this.dtype}`);
    this.requiresGrad = on;
    return this;
  }
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  // --- in-place updates (optimizers, initialisers) ---------------------------
  /**
   * Replaces this tensor's values (and those of views sharing its storage)
   * with `src`, broadcast to this shape. Bumps the version, so backward
   * refuses to use a value that changed after it was saved.
   */
  copy_(src: Tensor | number): this {
    return this.assign("copy_", src);
  }
  zero_(): this {
    return this.assign("zero_", 0);
  }
  fill_(v: number): this {
    return this.assign("fill_", v);
  }
  add_(other: Tensor | number, alpha = 1): this {
    return this.assign("add_", this.detach().add(alpha === 1 ? other : E.lift(this, other).mul(alpha)));
  }
  sub_(other: Tensor | number): this {
    return this.assign("sub_", this.detach().sub(other));
  }
  mul_(other: Tensor | number): this {
    return this.assign("mul_", this.detach().mul(other));
  }
  div_(other: Tensor | number): this {
    return this.assign("div_", this.detach().div(other));
  }

  /**
   * The one place values change in place. Autograd does not record in-place
   * changes, so changing a tensor that requires grad is refused while grad
   * mode is on (optimizers and initialisers work under noGrad); a change made
   * through a detached alias is allowed, and backward's version check catches
   * it if the old value was still needed.
   */
  private assign(op: string, src: Tensor | number): this {
    if (this.requiresGrad && isGradEnabled()) {
      fail(op, `in-place change to a tensor of shape ${fmtShape(this.shape)} that requires grad would not be recorded by autograd; ` +
        `use the out-of-place form (y = y.${op.replace(/_$/, "")}(...)), or make the change inside noGrad(() => ...)`);
    }
    const s = src instanceof Tensor ? src : Tensor.scalar(src, this.dtype, this.backend);
    if (s.backend !== this.backend) fail(op, `source is on ${s.backend.name}, target on ${this.backend.name}`);
    const lead = this.ndim - s.ndim;
    if (lead < 0 || s.shape.some((d, i) => d !== 1 && d !== this.shape[lead + i])) {
      fail(op, `source of shape ${fmtShape(s.shape)} does not broadcast to the target's shape ${fmtShape(this.shape)}`);
    }
    const b = S.expand(s, this.shape);
    this.data = this.backend.write(this.data, b.dtype === this.dtype ? b.data : this.backend.cast(b.data, this.dtype));
    this.versionBox.v++;
    return this;
  }

  // --- moving and converting --------------------------------------------------
  /** A copy on another backend (values cross here, and only here). */
  to(backendName: string): Tensor {
    const be = backends.get(backendName);
    if (be === this.backend) return this;
    return new Tensor(be.fromTyped(this.values(), this.shape), be, { requiresGrad: this.requiresGrad && this.isLeaf });
  }
  type(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    return castOp(this, dtype);
  }
  float(): Tensor {
    return this.type("float32");
  }
  double(): Tensor {
    return this.type("float64");
  }
  int(): Tensor {
    return this.type("int32");
  }
  bool(): Tensor {
    return this.ne(0);
  }
  clone(): Tensor {
    return S.contiguous(this.add(0));
  }
  zerosLike(): Tensor {
    return new Tensor(this.backend.full(this.shape, 0, this.dtype), this.backend);
  }
  onesLike(): Tensor {
    return new Tensor(this.backend.full(this.shape, 1, this.dtype), this.backend);
  }

  // --- arithmetic ---------------------------------------------------------------
  add(o: Tensor | number): Tensor { return E.add(this, o); }
  sub(o: Tensor | number): Tensor { return E.sub(this, o); }
  mul(o: Tensor | number): Tensor { return E.mul(this, o); }
  div(o: Tensor | number): Tensor { return E.div(this, o); }
  pow(o: Tensor | number): Tensor { return E.pow(this, o); }
  neg(): Tensor { return E.neg(this); }
  maximum(o: Tensor | number): Tensor { return E.maximum(this, o); }
  minimum(o: Tensor | number): Tensor { return E.minimum(this, o); }
  square(): Tensor { return E.mul(this, this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  abs(): Tensor { return E.abs(this); }
  sign(): Tensor { return E.sign(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  erf(): Tensor { return E.erf(this); }
  floor(): Tensor { return E.floor(this); }
  ceil(): Tensor { return E.ceil(this); }
  round(): Tensor { return E.round(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return E.clamp(this, min, max); }
  isfinite(): Tensor { return E.isfinite(this); }

  // --- comparisons (bool results, no gradient) --------------------------------------
  eq(o: Tensor | number): Tensor { return E.eq(this, o); }
  ne(o: Tensor | number): Tensor { return E.ne(this, o); }
  lt(o: Tensor | number): Tensor { return E.lt(this, o); }
  le(o: Tensor | number): Tensor { return E.le(this, o); }
  gt(o: Tensor | number): Tensor { return E.gt(this, o); }
  ge(o: Tensor | number): Tensor { return E.ge(this, o); }
  logicalAnd(o: Tensor): Tensor { return E.logicalAnd(this, o); }
  logicalOr(o: Tensor): Tensor { return E.logicalOr(this, o); }
  logicalNot(): Tensor { return E.logicalNot(this); }

  // --- activations ----------------------------------------------------------------
  relu(): Tensor { return A.relu(this); }
  leakyRelu(slope = 0.01): Tensor { return A.leakyRelu(this, slope); }
  sigmoid(): Tensor { return A.sigmoid(this); }
  tanh(): Tensor { return A.tanh(this); }
  gelu(): Tensor { return A.gelu(this); }
  softplus(): Tensor { return A.softplus(this); }
  softmax(dim = -1): Tensor { return A.softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return A.logSoftmax(this, dim); }
  logsumexp(dim: number | number[], keepDim = false): Tensor { return A.logsumexp(this, dim, keepDim); }

  // --- reductions -----------------------------------------------------------------
  sum(dim?: number | readonly number[], keepDim = false): Tensor { return R.sum(this, dim, keepDim); }
  mean(dim?: number | readonly number[], keepDim = false): Tensor { return R.mean(this, dim, keepDim); }
  max(dim?: number | readonly number[], keepDim = false): Tensor { return R.max(this, dim, keepDim); }
  min(dim?: number | readonly number[], keepDim = false): Tensor { return R.min(this, dim, keepDim); }
  argmax(dim?: number, keepDim = false): Tensor { return R.argmax(this, dim, keepDim); }
  argmin(dim?: number, keepDim = false): Tensor { return R.argmin(this, dim, keepDim); }
  var(dim?: number | readonly number[], opts?: R.VarOptions): Tensor { return R.variance(this, dim, opts); }
  std(dim?: number | readonly number[], opts?: R.VarOptions): Tensor { return R.std(this, dim, opts); }

  // --- linear algebra ----------------------------------------------------------------
  matmul(o: Tensor): Tensor { return L.matmul(this, o); }
  /** Transpose of a matrix (the last two dims). */
  t(): Tensor { return S.transpose(this, -2, -1); }

  // --- shape ------------------------------------------------------------------------
  reshape(...shape: ShapeArg): Tensor { return S.reshape(this, shapeArg(shape)); }
  view(...shape: ShapeArg): Tensor { return S.reshape(this, shapeArg(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return S.flatten(this, startDim, endDim); }
  squeeze(dim?: number | readonly number[]): Tensor { return S.squeeze(this, dim); }
  unsqueeze(dim: number | readonly number[]): Tensor { return S.unsqueeze(this, dim); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return S.transpose(this, dim0, dim1); }
  permute(...dims: ShapeArg): Tensor { return S.permute(this, shapeArg(dims)); }
  expand(...shape: ShapeArg): Tensor { return S.expand(this, shapeArg(shape)); }
  expandAs(other: Tensor): Tensor { return S.expand(this, other.shape); }
  contiguous(): Tensor { return S.contiguous(this); }
  slice(dim: number, start?: number, end?: number, step?: number): Tensor { return S.slice(this, dim, start, end, step); }
  select(dim: number, index: number): Tensor { return S.select(this, dim, index); }
  split(size: number | readonly number[], dim = 0): Tensor[] { return S.split(this, size, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return S.chunk(this, chunks, dim); }
  pad(padding: readonly number[], value = 0): Tensor { return S.pad(this, padding, value); }

  // --- indexing ---------------------------------------------------------------------
  /** x.index(idx, dim): pick slices along dim with an int32 tensor of any shape. */
  index(idx: Tensor, dim = 0): Tensor { return I.index(this, idx, dim); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.scatterAdd(this, dim, index, src); }
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor { return I.indexAdd(this, dim, index, src); }

  // --- convolution -------------------------------------------------------------------
  conv2d(w: Tensor, bias?: Tensor | null, opts?: C.Conv2dOptions): Tensor { return C.conv2d(this, w, bias, opts); }
}

function dtypeOf(a: TypedArray): DType {
  return a instanceof Float64Array ? "float64" : a instanceof Int32Array ? "int32" : a instanceof Uint8Array ? "bool" : "float32";
}

// cast: differentiable between float types (the gradient is cast back)
const CAST: OpDef<{ dtype: DType }> = {
  name: "cast",
  forward: (be, [x], { dtype }) => be.cast(x, dtype),
  backward: ({ inputs: [x] }, g) => [isFloat(x.dtype) ? g.type(x.dtype) : null],
};
function castOp(x: Tensor, dtype: DType): Tensor {
  return apply(CAST, [x], { dtype });
}
