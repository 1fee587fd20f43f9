import type { DType, TypedArray } from "../tensor/dtype";
import type { Shape } from "../tensor/shape";

/**
 * The narrow kernel interface every backend implements.
 *
 * A backend owns its arrays (`BackendArray`): plain typed arrays with strides
 * on the js backend, tf.Tensor handles on the tfjs backend. Ops in `src/ops/`
 * call these kernels in their forward pass and never look inside an array;
 * gradients are built from ops, so a backend needs no backward kernels except
 * the two of conv2d and the one of avgPool2d, which are kernels in their own
 * right (they are also what conv2d's double backward is made of).
 *
 * Kernels are pure: they never change their inputs, except `write`.
 */
export interface BackendArray {
  readonly shape: Shape;
  readonly dtype: DType;
}

export type UnaryOp =
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "relu" | "sigmoid" | "tanh"
  | "softplus" | "erf" | "sin" | "cos" | "floor" | "ceil" | "round" | "isfinite" | "not";

export type BinaryOp =
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum"
  | "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "and" | "or";

export type ReduceOp = "sum" | "max" | "min" | "prod";

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export interface Pool2dParams {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

export interface Backend {
  readonly name: string;

  // --- memory -------------------------------------------------------------
  fromTyped(data: TypedArray, shape: Shape): BackendArray;
  /** Row-major copy of the values, synchronously (this is where data leaves the backend). */
  read(x: BackendArray): TypedArray;
  /** Frees the array now (tfjs); a no-op where the garbage collector does it. */
  dispose(x: BackendArray): void;
  full(shape: Shape, value: number, dtype: DType): BackendArray;
  /** Copies `src` (same shape) into `dst`'s memory and returns the array that now holds it. */
  write(dst: BackendArray, src: BackendArray): BackendArray;

  // --- layout: views where the backend can, copies otherwise -------------
  reshape(x: BackendArray, shape: Shape): BackendArray;
  transpose(x: BackendArray, perm: readonly number[]): BackendArray;
  /** begin/end/step per dim; step > 0. */
  slice(x: BackendArray, begin: readonly number[], end: readonly number[], step: readonly number[]): BackendArray;
  /** Broadcast to a larger shape without copying where possible (stride 0). */
  expand(x: BackendArray, shape: Shape): BackendArray;
  contiguous(x: BackendArray): BackendArray;
  /** Whether `view` shares `base`'s memory, so that writing one changes the other. */
  sharesMemory(view: BackendArray, base: BackendArray): boolean;
  cast(x: BackendArray, dtype: DType): BackendArray;
  /** A copy of `x` with the strided region begin/step (of src's shape) replaced by `src`. */
  sliceAssign(x: BackendArray, src: BackendArray, begin: readonly number[], step: readonly number[]): BackendArray;
  cat(xs: readonly BackendArray[], dim: number): BackendArray;
  pad(x: BackendArray, pads: readonly [number, number][], value: number): BackendArray;

  // --- elementwise ---------------------------------------------------------
  unary(op: UnaryOp, x: BackendArray): BackendArray;
  /** With NumPy broadcasting; output dtype is the promoted one, bool for comparisons. */
  binary(op: BinaryOp, a: BackendArray, b: BackendArray): BackendArray;
  /** clamp(x, lo, hi) with either bound optional (NaN = none). */
  clamp(x: BackendArray, lo: number, hi: number): BackendArray;
  leakyRelu(x: BackendArray, slope: number): BackendArray;
  where(cond: BackendArray, a: BackendArray, b: BackendArray): BackendArray;

  // --- reductions ----------------------------------------------------------
  reduce(op: ReduceOp, x: BackendArray, axes: readonly number[], keepDims: boolean): BackendArray;
  /** int32 indices of the first max/min along `axis`. */
  argReduce(op: "argmax" | "argmin", x: BackendArray, axis: number, keepDims: boolean): BackendArray;

  // --- linear algebra ------------------------------------------------------
  /** a: [...batch, M, K], b: [...batch, K, N] with equal batch shapes (already broadcast). */
  matmul(a: BackendArray, b: BackendArray): BackendArray;

  // --- convolution and pooling (NCHW) --------------------------------------
  conv2d(x: BackendArray, w: BackendArray, p: Conv2dParams): BackendArray;
  conv2dBackwardInput(gy: BackendArray, w: BackendArray, xShape: Shape, p: Conv2dParams): BackendArray;
  conv2dBackwardFilter(x: BackendArray, gy: BackendArray, wShape: Shape, p: Conv2dParams): BackendArray;
  /** Returns the pooled values and, per output, the flat index (h*W+w) of its max in the input plane. */
  maxPool2d(x: BackendArray, p: Pool2dParams): { out: BackendArray; argmax: BackendArray };
  /** Average over the window; padding counts as zeros (PyTorch's count_include_pad=True). */
  avgPool2d(x: BackendArray, p: Pool2dParams): BackendArray;
  avgPool2dBackward(gy: BackendArray, xShape: Shape, p: Pool2dParams): BackendArray;

  // --- indexing ------------------------------------------------------------
  /** PyTorch's gather: out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, etc. */
  gather(x: BackendArray, dim: number, index: BackendArray): BackendArray;
  /** A copy of x with src added at the positions `index` names along dim. */
  scatterAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray): BackendArray;
  /** Whole slices along dim picked by a 1-D int index (embedding lookup, x[idx]). */
  indexSelect(x: BackendArray, dim: number, index: BackendArray): BackendArray;
  /** A copy of x with src's slices added at the positions idx names along dim. */
  indexAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray): BackendArray;
}
