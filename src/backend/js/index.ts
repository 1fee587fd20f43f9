import type { Backend, BackendArray, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, UnaryOp } from "../backend";
import { DType, TypedArray } from "../../tensor/dtype";
import { Shape, numel } from "../../tensor/shape";
import { JsArray, contiguous } from "./array";
import * as conv from "./conv";
import * as ew from "./elementwise";
import * as idx from "./indexing";
import * as layout from "./layout";
import { matmul } from "./matmul";
import * as parallel from "./parallel";
import { argReduce, reduce } from "./reduce";
import { allocateOut } from "./shared";

const js = (x: BackendArray): JsArray => x as JsArray;
const run = (plan: ew.Plan): JsArray => parallel.elementwise(plan) ?? ew.execute(plan);

/**
 * The reference backend: every kernel in plain TypeScript over typed arrays.
 * Each method here only adapts types; the kernels live in the files beside
 * this one, one file per family, so a reader can find "how is conv2d done"
 * in one place.
 */
export class JsBackend implements Backend {
  readonly name = "js";

  fromTyped(data: TypedArray, shape: Shape): BackendArray {
    return new JsArray(data, shape);
  }
  read(x: BackendArray): TypedArray {
    return layout.copyOf(js(x));
  }
  dispose(): void {}
  full(shape: Shape, value: number, dtype: DType): BackendArray {
    const buf = allocateOut(dtype, numel(shape));
    if (value !== 0) buf.fill(dtype === "bool" ? (value ? 1 : 0) : value);
    return new JsArray(buf, shape);
  }
  write(dst: BackendArray, src: BackendArray): BackendArray {
    layout.copyInto(js(dst), js(this.expand(src, dst.shape)));
    return dst;
  }

  reshape(x: BackendArray, shape: Shape) { return layout.reshape(js(x), shape); }
  transpose(x: BackendArray, perm: readonly number[]) { return layout.transpose(js(x), perm); }
  slice(x: BackendArray, b: readonly number[], e: readonly number[], s: readonly number[]) { return layout.slice(js(x), b, e, s); }
  expand(x: BackendArray, shape: Shape) { return layout.expand(js(x), shape); }
  contiguous(x: BackendArray) { return contiguous(js(x)); }
  sharesMemory(view: BackendArray, base: BackendArray) { return js(view).buf === js(base).buf; }
  cast(x: BackendArray, dtype: DType) { return layout.cast(js(x), dtype); }
  sliceAssign(x: BackendArray, src: BackendArray, b: readonly number[], s: readonly number[]) { return layout.sliceAssign(js(x), js(src), b, s); }
  cat(xs: readonly BackendArray[], dim: number) { return layout.cat(xs.map(js), dim); }
  pad(x: BackendArray, pads: readonly [number, number][], value: number) { return layout.pad(js(x), pads, value); }

  // parallel.ts shares big elementwise kernels between threads when their inputs are shared arrays (shared.ts)
  unary(op: UnaryOp, x: BackendArray) { return run(ew.unaryPlan(op, js(x))); }
  binary(op: BinaryOp, a: BackendArray, b: BackendArray) { return run(ew.binaryPlan(op, js(a), js(b))); }
  clamp(x: BackendArray, lo: number, hi: number) { return ew.clamp(js(x), lo, hi); }
  leakyRelu(x: BackendArray, slope: number) { return ew.leakyRelu(js(x), slope); }
  where(c: BackendArray, a: BackendArray, b: BackendArray) { return run(ew.wherePlan(js(c), js(a), js(b))); }

  reduce(op: ReduceOp, x: BackendArray, axes: readonly number[], keepDims: boolean) { return reduce(op, js(x), axes, keepDims); }
  argReduce(op: "argmax" | "argmin", x: BackendArray, axis: number, keepDims: boolean) { return argReduce(op, js(x), axis, keepDims); }

  // parallel.ts shares the big products between threads (same results, bit for bit); undefined: not worth it
  matmul(a: BackendArray, b: BackendArray) { return parallel.matmul(js(a), js(b)) ?? matmul(js(a), js(b)); }

  conv2d(x: BackendArray, w: BackendArray, p: Conv2dParams) { return parallel.conv2d(js(x), js(w), p) ?? conv.conv2d(js(x), js(w), p); }
  conv2dBackwardInput(gy: BackendArray, w: BackendArray, xShape: Shape, p: Conv2dParams) {
    return parallel.conv2dBackwardInput(js(gy), js(w), xShape, p) ?? conv.conv2dBackwardInput(js(gy), js(w), xShape, p);
  }
  conv2dBackwardFilter(x: BackendArray, gy: BackendArray, wShape: Shape, p: Conv2dParams) {
    return parallel.conv2dBackwardFilter(js(x), js(gy), wShape, p) ?? conv.conv2dBackwardFilter(js(x), js(gy), wShape, p);
  }
  maxPool2d(x: BackendArray, p: Pool2dParams) { return parallel.maxPool2d(js(x), p) ?? conv.maxPool2d(js(x), p); }
  avgPool2d(x: BackendArray, p: Pool2dParams) { return conv.avgPool2d(js(x), p); }
  avgPool2dBackward(gy: BackendArray, xShape: Shape, p: Pool2dParams) { return conv.avgPool2dBackward(js(gy), xShape, p); }

  gather(x: BackendArray, dim: number, index: BackendArray) { return idx.gather(js(x), dim, js(index)); }
  scatterAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray) {
    return parallel.scatterAdd(js(x), dim, js(index), js(src)) ?? idx.scatterAdd(js(x), dim, js(index), js(src));
  }
  indexSelect(x: BackendArray, dim: number, index: BackendArray) { return idx.indexSelect(js(x), dim, js(index)); }
  indexAdd(x: BackendArray, dim: number, index: BackendArray, src: BackendArray) { return idx.indexAdd(js(x), dim, js(index), js(src)); }
}
