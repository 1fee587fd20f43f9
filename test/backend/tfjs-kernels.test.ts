import assert from "node:assert/strict";
import * as backends from "../../src/backend";
import type { Backend, BackendArray, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, UnaryOp } from "../../src/backend/backend";
import { convOutSize } from "../../src/backend/js/conv";
import { DType, TypedArray, allocate } from "../../src/tensor/dtype";
import { Generator } from "../../src/tensor/random";
import { numel } from "../../src/tensor/shape";
import { Tensor } from "../../src/tensor/tensor";
import { TfArray } from "../../src/backend/tfjs/memory";
import { assertThrowsOp, backendsUnderTest } from "../helpers";

/** These suites test the tfjs backend itself; GRADLAB_TEST_BACKENDS=js skips them. */
const describeTfjs = backendsUnderTest().includes("tfjs") ? describe : describe.skip;

/*
 * Every kernel of the Backend interface, run on the js reference and on
 * tfjs with the same inputs; the results must agree: exactly for layout,
 * indexing and integer work, to float32 rounding for arithmetic. Shapes
 * and parameters are drawn from a seeded generator, and include the cases
 * where tfjs engines differ from the reference (NaN, ties, bools, empty
 * dims, stride together with dilation, groups).
 */

const gen = new Generator(1234);
const int = (lo: number, hi: number) => lo + Math.floor(gen.uniform() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];

interface Host {
  data: TypedArray;
  shape: number[];
}

function host(dtype: DType, shape: number[], f: () => number = () => gen.normal()): Host {
  const data = allocate(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = dtype === "bool" ? (gen.uniform() < 0.5 ? 1 : 0) : dtype === "int32" ? int(-5, 5) : f();
  return { data, shape };
}

/** Values that trip engines up: NaN, infinities, signed zero, halves (rounding), large numbers. */
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -2.5, 2.5, 3e9, -7.25, 1e-30];
const special = (shape: number[]) => host("float32", shape, () => (gen.uniform() < 0.5 ? pick(SPECIAL) : gen.normal() * 3));

let js: Backend, tf: Backend;

interface Tol {
  rtol?: number;
  atol?: number;
}

/** Runs fn on both backends (inputs uploaded to each) and compares shape, dtype and values. */
function same(what: string, inputs: Host[], fn: (be: Backend, xs: BackendArray[]) => BackendArray, tol: Tol = {}): void {
  const run = (be: Backend) => {
    const out = fn(be, inputs.map((h) => be.fromTyped(h.data.slice(), h.shape)));
    return { shape: [...out.shape], dtype: out.dtype, values: be.read(out) };
  };
  const a = run(js), b = run(tf);
  assert.deepEqual(b.shape, a.shape, `${what}: shape`);
  assert.equal(b.dtype, a.dtype, `${what}: dtype`);
  closeValues(what, b.values, a.values, tol);
}

function closeValues(what: string, got: ArrayLike<number>, want: ArrayLike<number>, { rtol = 0, atol = 0 }: Tol): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w) continue;
    assert.ok(Math.abs(g - w) <= atol + rtol * Math.abs(w), `${what}: element ${i} is ${g}, the js backend gives ${w}`);
  }
}

const F32: Tol = { rtol: 2e-5, atol: 1e-6 };

describeTfjs("tfjs kernels agree with the js reference", function () {
  this.timeout(120000);
  before(async () => {
    await backends.load("tfjs");
    js = backends.get("js");
    tf = backends.get("tfjs");
  });

  it("fromTyped/read round-trip every dtype; full fills (bool from truthiness, int32 truncating)", () => {
    for (const dt of ["float32", "int32", "bool"] as DType[]) same(`roundtrip ${dt}`, [host(dt, [3, 4])], (_, [x]) => x);
    for (const [v, dt] of [[2.5, "float32"], [NaN, "float32"], [-3.7, "int32"], [1, "bool"], [0, "bool"], [NaN, "bool"]] as [number, DType][]) {
      same(`full ${v} ${dt}`, [], (be) => be.full([2, 3], v, dt));
    }
    same("full scalar", [], (be) => be.full([], 7, "float32"));
  });

  it("a slice copies what it keeps, not its whole input (wasm's Slice reads all of it: T steps of an RNN would cost T^2)", function () {
    const engine = (tf as unknown as { loaded: { engine: { tf: { getBackend(): string; engine(): { backend: { readSync: (...a: unknown[]) => ArrayLike<number> } } } } } }).loaded.engine.tf;
    if (engine.getBackend() !== "wasm") this.skip();
    const wasm = engine.engine().backend;
    const original = wasm.readSync;
    let largest = 0;
    wasm.readSync = function (this: unknown, ...args: unknown[]) {
      const r = original.apply(this, args);
      largest = Math.max(largest, r.length);
      return r;
    };
    try {
      const x = host("float32", [64, 8, 32]);
      for (let t = 0; t < 64; t += 9) {
        same(`step ${t}`, [x], (be, [a]) => be.slice(a, [t, 0, 0], [t + 1, 8, 32], [1, 1, 1]));
        same(`columns of step ${t}`, [x], (be, [a]) => be.slice(a, [t, 0, 8], [t + 1, 8, 16], [1, 1, 1]));
      }
    } finally {
      wasm.readSync = original;
    }
    // same() reads each result back (8*32 or 8*8 values); the 16,384 values of x are never copied out
    assert.equal(largest, 8 * 32);
  });

  it("float64 is refused with an error naming the op and the way out", () => {
    assertThrowsOp(() => tf.fromTyped(new Float64Array(2), [2]), "tensor", "float64", "js backend");
    assertThrowsOp(() => tf.full([2], 1, "float64"), "full", "float64");
    assertThrowsOp(() => tf.cast(tf.full([2], 1, "float32"), "float64"), "cast", "float64");
  });

  it("layout: reshape, transpose (ranks 1-6), strided slice, expand, contiguous", () => {
    for (let rep = 0; rep < 30; rep++) {
      const rank = int(1, 6);
      const shape = Array.from({ length: rank }, () => int(1, 4));
      const perm = [...Array(rank).keys()].sort(() => gen.uniform() - 0.5);
      const dt = pick(["float32", "int32", "bool"] as DType[]);
      same(`transpose ${shape} ${perm}`, [host(dt, shape)], (be, [x]) => be.transpose(x, perm));
      const begin = shape.map((n) => int(0, n - 1));
      const end = shape.map((n, d) => int(begin[d], n));
      const step = shape.map(() => int(1, 3));
      same(`slice ${shape} ${begin}:${end}:${step}`, [host(dt, shape)], (be, [x]) => be.slice(x, begin, end, step));
      same(`reshape ${shape}`, [host(dt, shape)], (be, [x]) => be.reshape(x, [numel(shape)]));
      const small = shape.map((n) => (gen.uniform() < 0.5 ? 1 : n));
      same(`expand ${small} -> [2,${shape}]`, [host(dt, small)], (be, [x]) => be.expand(x, [2, ...shape]));
      same("contiguous of a transpose", [host(dt, shape)], (be, [x]) => be.contiguous(be.transpose(x, perm)));
    }
    same("expand a scalar", [host("float32", [])], (be, [x]) => be.expand(x, [2, 3]));
    same("expand -0 and NaN keep their bits", [{ data: new Float32Array([-0, NaN]), shape: [2, 1] }], (be, [x]) => be.expand(x, [2, 3]));
  });

  it("cast between float32, int32 and bool with the js rules (truncation, truthiness of NaN)", () => {
    for (const from of ["float32", "int32", "bool"] as DType[]) {
      for (const to of ["float32", "int32", "bool"] as DType[]) {
        same(`cast ${from}->${to}`, [from === "float32" ? special([13]) : host(from, [13])], (be, [x]) => be.cast(x, to));
      }
    }
  });

  it("sliceAssign, cat (with empty pieces) and pad (bool, int, a fill value)", () => {
    for (let rep = 0; rep < 15; rep++) {
      const shape = [int(2, 6), int(2, 6), int(1, 3)];
      const step = shape.map(() => int(1, 2));
      const begin = shape.map((n) => int(0, n - 1));
      const count = shape.map((n, d) => int(1, Math.floor((n - 1 - begin[d]) / step[d]) + 1));
      const dt = pick(["float32", "int32", "bool"] as DType[]);
      same(`sliceAssign ${shape} at ${begin} step ${step}`, [host(dt, shape), host(dt, count)], (be, [x, s]) => be.sliceAssign(x, s, begin, step));
    }
    for (const dt of ["float32", "int32", "bool"] as DType[]) {
      same(`cat ${dt}`, [host(dt, [2, 3]), host(dt, [2, 0]), host(dt, [2, 1])], (be, xs) => be.cat(xs, 1));
      same(`pad ${dt}`, [host(dt, [2, 3])], (be, [x]) => be.pad(x, [[1, 0], [2, 1]], dt === "bool" ? 1 : 7));
    }
  });

  it("every unary op on every dtype, NaN and infinities included", () => {
    const ops: UnaryOp[] = ["neg", "exp", "log", "sqrt", "abs", "sign", "relu", "sigmoid", "tanh", "softplus", "erf", "sin", "cos", "floor", "ceil", "round", "isfinite", "not"];
    for (const op of ops) {
      const tol = op === "erf" || op === "softplus" || op === "sigmoid" || op === "tanh" ? { rtol: 1e-5, atol: 5e-7 } : F32;
      // relu(NaN): PyTorch and tfjs give NaN, the js backend 0 (reported); compared on numbers only
      const input = op === "relu" ? host("float32", [40], () => pick(SPECIAL.filter((v) => !Number.isNaN(v)))) : special([40]);
      same(`${op} float32`, [input], (be, [x]) => be.unary(op, x), op === "sin" || op === "cos" ? { rtol: 1e-5, atol: 1e-3 } : tol);
      same(`${op} int32`, [host("int32", [12])], (be, [x]) => be.unary(op, x), tol);
      same(`${op} bool`, [host("bool", [6])], (be, [x]) => be.unary(op, x), tol);
    }
  });

  it("every binary op on every dtype pair, broadcasting, NaN propagation", () => {
    const ops: BinaryOp[] = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "and", "or"];
    const dts: DType[] = ["float32", "int32", "bool"];
    for (const op of ops) {
      for (const da of dts) {
        for (const db of dts) {
          const a = da === "float32" ? special([3, 1, 4]) : host(da, [3, 1, 4]);
          const b = db === "float32" ? special([5, 1]) : host(db, [5, 1]);
          same(`${op} ${da} ${db}`, [a, b], (be, [x, y]) => be.binary(op, x, y), { rtol: 1e-5, atol: 1e-6 });
        }
      }
    }
  });

  it("clamp (either bound, NaN kept), leakyRelu, where (broadcast, bool branches)", () => {
    for (const dt of ["float32", "int32", "bool"] as DType[]) {
      const x = dt === "float32" ? special([20]) : host(dt, [20]);
      same(`clamp lo ${dt}`, [x], (be, [v]) => be.clamp(v, -0.5, NaN));
      same(`clamp hi ${dt}`, [x], (be, [v]) => be.clamp(v, NaN, 1.5));
      same(`clamp both ${dt}`, [x], (be, [v]) => be.clamp(v, -1, 2));
      same(`leakyRelu ${dt}`, [x], (be, [v]) => be.leakyRelu(v, 0.1), F32);
    }
    for (const [da, db] of [["float32", "float32"], ["bool", "bool"], ["int32", "float32"], ["bool", "int32"]] as [DType, DType][]) {
      same(`where ${da} ${db}`, [host("bool", [4, 1]), host(da, [1, 3]), host(db, [])], (be, [c, a, b]) => be.where(c, a, b));
    }
    same("where with a float condition (NaN is false)", [special([8]), host("float32", [8]), host("float32", [8])], (be, [c, a, b]) => be.where(c, a, b));
  });

  it("reductions over any set of axes, keepDims, empty dims, NaN; arg reductions with ties and NaN", () => {
    const ops: ReduceOp[] = ["sum", "max", "min", "prod"];
    for (let rep = 0; rep < 25; rep++) {
      const rank = int(1, 5);
      const shape = Array.from({ length: rank }, () => int(1, 4));
      const axes = [...Array(rank).keys()].filter(() => gen.uniform() < 0.5);
      const op = pick(ops);
      const dt = pick(["float32", "int32", "bool"] as DType[]);
      const keep = gen.uniform() < 0.5;
      same(`${op} ${dt} ${shape} axes ${axes}`, [host(dt, shape)], (be, [x]) => be.reduce(op, x, axes, keep), { rtol: 1e-5, atol: 1e-5 });
      const axis = int(0, rank - 1);
      const arg = pick(["argmax", "argmin"] as const);
      same(`${arg} ${dt} ${shape} axis ${axis}`, [host(dt, shape, () => int(-2, 2))], (be, [x]) => be.argReduce(arg, x, axis, keep));
    }
    same("sum and prod over an empty dim", [host("float32", [3, 0])], (be, [x]) => be.cat([be.reduce("sum", x, [1], false), be.reduce("prod", x, [1], false)], 0));
    same("max with NaN", [{ data: new Float32Array([1, NaN, 3, 4]), shape: [2, 2] }], (be, [x]) => be.reduce("max", x, [1], false));
    same("argmax with NaN", [{ data: new Float32Array([1, NaN, 3, NaN, 5, 5]), shape: [2, 3] }], (be, [x]) => be.argReduce("argmax", x, 1, false));
  });

  it("matmul: plain, batched, int inputs, an empty inner dimension", () => {
    same("matmul 2d", [host("float32", [7, 5]), host("float32", [5, 3])], (be, [a, b]) => be.matmul(a, b), { rtol: 1e-5, atol: 1e-5 });
    same("matmul batched", [host("float32", [2, 3, 4, 5]), host("float32", [2, 3, 5, 2])], (be, [a, b]) => be.matmul(a, b), { rtol: 1e-5, atol: 1e-5 });
    same("matmul int32", [host("int32", [3, 4]), host("int32", [4, 2])], (be, [a, b]) => be.matmul(a, b));
    same("matmul K=0", [host("float32", [3, 0]), host("float32", [0, 2])], (be, [a, b]) => be.matmul(a, b));
  });

  it("conv2d and both gradient kernels over strides, padding, dilation (with stride), groups (depthwise too)", () => {
    const tol = { rtol: 1e-4, atol: 1e-4 };
    for (let rep = 0; rep < 40; rep++) {
      const G = pick([1, 1, 2, 3]);
      const depthwise = G > 1 && gen.uniform() < 0.4;
      const Cg = depthwise ? 1 : int(1, 3), Og = int(1, 3);
      const [kh, kw] = [int(1, 3), int(1, 3)];
      const p: Conv2dParams = { stride: [int(1, 3), int(1, 2)], padding: [int(0, 2), int(0, 2)], dilation: [int(1, 2), int(1, 3)], groups: G };
      const H = int(kh + (kh - 1) * (p.dilation[0] - 1), 9), W = int(kw + (kw - 1) * (p.dilation[1] - 1), 9);
      const N = int(1, 3), C = Cg * G, O = Og * G;
      const Ho = convOutSize(H, kh, p.stride[0], p.padding[0], p.dilation[0]), Wo = convOutSize(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
      const what = `N${N} C${C} ${H}x${W} O${O} k${kh}x${kw} ${JSON.stringify(p)}`;
      const x = host("float32", [N, C, H, W]), w = host("float32", [O, Cg, kh, kw]), gy = host("float32", [N, O, Ho, Wo]);
      same(`conv2d ${what}`, [x, w], (be, [a, b]) => be.conv2d(a, b, p), tol);
      same(`conv2dBackwardInput ${what}`, [gy, w], (be, [g, b]) => be.conv2dBackwardInput(g, b, [N, C, H, W], p), tol);
      same(`conv2dBackwardFilter ${what}`, [x, gy], (be, [a, g]) => be.conv2dBackwardFilter(a, g, [O, Cg, kh, kw], p), tol);
    }
  });

  it("maxPool2d (argmax as flat h*W+w, first max wins ties) and avgPool2d with its backward", () => {
    for (let rep = 0; rep < 30; rep++) {
      const [kh, kw] = [int(1, 3), int(1, 3)];
      const tiled = gen.uniform() < 0.5;
      const p: Pool2dParams = {
        kernel: [kh, kw],
        stride: tiled ? [kh, kw] : [int(1, 3), int(1, 3)],
        padding: [int(0, Math.floor(kh / 2)), int(0, Math.floor(kw / 2))],
      };
      const [N, C, H, W] = [int(1, 2), int(1, 3), int(kh, 8), int(kw, 8)];
      const what = `${N}x${C}x${H}x${W} ${JSON.stringify(p)}`;
      // small integers make ties common
      const x = host("float32", [N, C, H, W], () => int(-3, 3));
      same(`maxPool2d out ${what}`, [x], (be, [v]) => be.maxPool2d(v, p).out);
      same(`maxPool2d argmax ${what}`, [x], (be, [v]) => be.maxPool2d(v, p).argmax);
      same(`avgPool2d ${what}`, [x], (be, [v]) => be.avgPool2d(v, p), F32);
      const Ho = convOutSize(H, kh, p.stride[0], p.padding[0], 1), Wo = convOutSize(W, kw, p.stride[1], p.padding[1], 1);
      same(`avgPool2dBackward ${what}`, [host("float32", [N, C, Ho, Wo])], (be, [g]) => be.avgPool2dBackward(g, [N, C, H, W], p), F32);
    }
  });

  it("gather, scatterAdd (duplicates add up), indexSelect, indexAdd", () => {
    for (let rep = 0; rep < 20; rep++) {
      const shape = [int(1, 4), int(1, 4), int(1, 4)];
      const dim = int(0, 2);
      const ishape = shape.map((n, d) => (d === dim ? int(1, 5) : int(1, n)));
      const idx: Host = { data: Int32Array.from({ length: numel(ishape) }, () => int(0, shape[dim] - 1)), shape: ishape };
      const dt = pick(["float32", "int32"] as DType[]);
      same(`gather dim ${dim}`, [host(dt, shape), idx], (be, [x, i]) => be.gather(x, dim, i));
      same(`scatterAdd dim ${dim}`, [host(dt, shape), idx, host(dt, ishape)], (be, [x, i, s]) => be.scatterAdd(x, dim, i, s), F32);
      const k = int(1, 5);
      const sel: Host = { data: Int32Array.from({ length: k }, () => int(0, shape[dim] - 1)), shape: [k] };
      same(`indexSelect dim ${dim}`, [host(dt, shape), sel], (be, [x, i]) => be.indexSelect(x, dim, i));
      const srcShape = shape.map((n, d) => (d === dim ? k : n));
      same(`indexAdd dim ${dim}`, [host(dt, shape), sel, host(dt, srcShape)], (be, [x, i, s]) => be.indexAdd(x, dim, i, s), F32);
    }
  });

  it("write replaces the values in place (broadcast and cast) and frees the replaced tensor", () => {
    const dst = tf.fromTyped(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const before = backends.memory("tfjs")!.arrays;
    const src = tf.fromTyped(new Int32Array([7, 8]), [2]);
    assert.equal(tf.write(dst, src), dst, "write returns the array it wrote into");
    assert.deepEqual([...tf.read(dst)], [7, 8, 7, 8]);
    assert.equal(dst.dtype, "float32");
    tf.dispose(src);
    assert.equal(backends.memory("tfjs")!.arrays, before, "the old tensor of dst was freed");
  });
});

describeTfjs("tfjs views: reshape, transpose and slice behave as views although they copy", () => {
  const on = { backend: "tfjs" };
  const vec = (v: number[]) => Tensor.fromTyped(Float32Array.from(v), [v.length], on);
  before(async () => {
    await backends.load("tfjs");
  });

  it("a write through a chain of views reaches the base, and older views of the base see it", () => {
    const x = vec([0, 1, 2, 3, 4, 5]);
    const m = x.reshape([2, 3]);
    const col = m.t().select(0, 1); // m[:, 1]: x[1] and x[4]
    const row = m.select(0, 1); // x[3..5], made before the writes
    col.fill_(-1);
    assert.deepEqual([...x.values()], [0, -1, 2, 3, -1, 5]);
    assert.deepEqual([...row.values()], [3, -1, 5]);
    x.slice(0, 0, 6, 2).add_(10); // x[0], x[2], x[4]
    assert.deepEqual([...m.values()], [10, -1, 12, 3, 9, 5]);
    assert.deepEqual([...col.values()], [-1, 9]);
    assert.equal(x.version, col.version, "views share the version counter, as on js");
    assert.notEqual(x.version, x.add(0).version, "a computed tensor does not");
  });

  it("a transposed view transposed back is a view of the base itself (no second transpose), and behaves as one", () => {
    const w = vec([1, 2, 3, 4, 5, 6]).reshape([2, 3]);
    const wt = w.t();
    const back = wt.t();
    assert.equal((back.data as TfArray).view?.base, w.data, "made from w, not from wt");
    assert.deepEqual(back.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const cube = vec(Array.from({ length: 24 }, (_, i) => i)).reshape([2, 3, 4]);
    const p = cube.permute(2, 0, 1), q = p.permute(1, 2, 0); // q undoes p
    assert.equal((q.data as TfArray).view?.base, cube.data);
    assert.deepEqual(q.toArray(), cube.toArray());
    assert.notEqual((p.permute(0, 2, 1).data as TfArray).view?.base, cube.data, "a permutation that does not undo p is a transpose of p");
    back.select(1, 0).fill_(-1); // w[:, 0]
    assert.deepEqual(w.toArray(), [[-1, 2, 3], [-1, 5, 6]]);
    assert.deepEqual(wt.toArray(), [[-1, -1], [2, 5], [3, 6]]);
    assert.equal(back.version, wt.version, "one version counter for w and its views");
  });

  it("a view returned from a tidy() scope outlives its base, and stops following it", () => {
    const v = backends.tidy(() => vec([1, 2, 3, 4]).mul(1).reshape([2, 2]));
    assert.deepEqual(v.toArray(), [[1, 2], [3, 4]]);
    v.add_(1);
    assert.deepEqual(v.toArray(), [[2, 3], [4, 5]]);
  });
});

describeTfjs("kernels the engine lacks, composed from its own ops and registered into it (missing.ts)", function () {
  this.timeout(120000);
  type TfNs = typeof import("@tensorflow/tfjs-core");
  let ns: TfNs;
  before(async () => {
    await backends.load("tfjs");
    ns = (backends.get("tfjs") as import("../../src/backend/tfjs").TfjsBackend).loaded.engine.tf as unknown as TfNs;
    // tfjs-core registers no gradients by itself: tf.grad, as tfjs-layers' fit, needs them
    require("@tensorflow/tfjs-core/dist/register_all_gradients");
  });

  it("backend.info() names what was composed; on wasm that is Conv2DBackpropFilter, now registered there", () => {
    const info = backends.info("tfjs");
    assert.ok(Array.isArray(info.composed), "info().composed is a list");
    if (/wasm/.test(info.engine)) assert.deepEqual(info.composed, ["Conv2DBackpropFilter"]);
    assert.ok(ns.getKernel("Conv2DBackpropFilter", ns.getBackend()), "the engine has a Conv2DBackpropFilter kernel");
  });

  /** dW[i, j, c, o] = sum over n, oy, ox of x[n, oy*s - top + i, ox*s - left + j, c] * dy[n, oy, ox, o], NHWC, by loops. */
  function naive(x: Host, dy: Host, kh: number, kw: number, s: [number, number], top: number, left: number): Float64Array {
    const [N, H, W, C] = x.shape, [, Ho, Wo, O] = dy.shape;
    const out = new Float64Array(kh * kw * C * O);
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const y = oy * s[0] - top + i, xx = ox * s[1] - left + j;
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              for (let c = 0; c < C; c++)
                for (let o = 0; o < O; o++) out[((i * kw + j) * C + c) * O + o] += x.data[((n * H + y) * W + xx) * C + c] * dy.data[((n * Ho + oy) * Wo + ox) * O + o];
            }
    return out;
  }

  it("tf.grad of tf.conv2d (the path tfjs-layers trains through) gives the filter gradient, for 1 and several channels, valid/same/explicit padding, strides", () => {
    type Explicit = [[number, number], [number, number], [number, number], [number, number]];
    // (a number as padding only with square kernels and strides: tfjs 4.22 then sizes the width with the height's)
    const cases: { C: number; k: [number, number]; s: [number, number]; pad: "valid" | "same" | number | Explicit }[] = [
      { C: 1, k: [3, 3], s: [1, 1], pad: "valid" },
      { C: 1, k: [2, 3], s: [2, 1], pad: "same" },
      { C: 3, k: [3, 3], s: [1, 1], pad: "valid" },
      { C: 2, k: [2, 2], s: [2, 2], pad: "same" },
      { C: 3, k: [3, 3], s: [2, 2], pad: 1 },
      { C: 3, k: [3, 2], s: [1, 2], pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
      { C: 1, k: [3, 3], s: [2, 2], pad: 1 },
    ];
    for (const { C, k, s, pad } of cases) {
      const [N, H, W, O] = [2, 7, 6, 4];
      const x = host("float32", [N, H, W, C]);
      const info = ns.backend_util.computeConv2DInfo([N, H, W, C], [k[0], k[1], C, O], s, 1, pad);
      const dy = host("float32", [N, info.outHeight, info.outWidth, O]);
      assert.ok(info.outHeight > 0 && info.outWidth > 0);
      const want = naive(x, dy, k[0], k[1], s, info.padInfo.top, info.padInfo.left);
      const before = ns.memory().numTensors;
      const got = ns.tidy(() => {
        const xt = ns.tensor4d(x.data as Float32Array, [N, H, W, C]), dyt = ns.tensor4d(dy.data as Float32Array, dy.shape as [number, number, number, number]);
        const w0 = ns.zeros([k[0], k[1], C, O]) as import("@tensorflow/tfjs-core").Tensor4D;
        const g = ns.grad((w) => ns.sum(ns.mul(ns.conv2d(xt, w as typeof w0, s, pad), dyt)))(w0);
        return g.dataSync().slice();
      });
      assert.equal(ns.memory().numTensors, before, `C${C} k${k} s${s} ${JSON.stringify(pad)}: no tensor left behind`);
      closeValues(`C${C} k${k} s${s} pad ${JSON.stringify(pad)}`, got, want, { rtol: 1e-4, atol: 1e-4 });
    }
  });
});
