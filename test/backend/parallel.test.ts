import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { conv2d, matmul, randn, Tensor } from "../../src";
import type { Conv2dParams, Pool2dParams } from "../../src/backend/backend";
import * as backends from "../../src/backend";
import { JsArray } from "../../src/backend/js/array";
import * as conv from "../../src/backend/js/conv";
import * as ew from "../../src/backend/js/elementwise";
import * as idx from "../../src/backend/js/indexing";
import { sharedArray } from "../../src/backend/js/shared";
import { gemm, matmul as matmulReference } from "../../src/backend/js/matmul";
import * as parallel from "../../src/backend/js/parallel";
import { getNumThreads, internals, setNumThreads } from "../../src/backend/js/parallel";
import { part4 } from "../../src/backend/js/tasks";
import { GradlabError } from "../../src/errors";
import type { TypedArray } from "../../src/tensor/dtype";
import { numel } from "../../src/tensor/shape";

/** Deterministic values with some exact zeros, negative zeros and wide exponents. */
function data(n: number, seed: number, kind: "float32" | "float64" = "float32"): TypedArray {
  const out = kind === "float32" ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32 - 0.5;
    out[i] = i % 17 === 0 ? 0 : i % 29 === 0 ? -0 : u * 2 ** ((s >>> 3) % 7);
  }
  return out;
}

function arr(shape: number[], seed: number, kind: "float32" | "float64" = "float32"): JsArray {
  return new JsArray(data(numel(shape), seed, kind), shape);
}

/** Same shape, same dtype and the same bits in every element (NaN and -0 included). */
function assertSameBits(actual: JsArray | undefined, expected: JsArray, what: string): void {
  assert.ok(actual, `${what}: the parallel kernel declined`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  const a = actual.buf, e = expected.buf;
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) assert.fail(`${what}: element ${i} is ${a[i]}, the single-threaded kernel gives ${e[i]}`);
  }
}

/** A transposed view of the last two dims (strides swapped, no copy). */
function transposed(x: JsArray): JsArray {
  const r = x.shape.length;
  const shape = [...x.shape], strides = [...x.strides];
  [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  [strides[r - 2], strides[r - 1]] = [strides[r - 1], strides[r - 2]];
  return new JsArray(x.buf, shape, strides, x.offset);
}

interface ConvCase {
  x: number[];
  w: number[];
  p: Conv2dParams;
}

const convCases: ConvCase[] = [
  { x: [5, 3, 9, 7], w: [7, 3, 3, 2], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { x: [3, 4, 11, 10], w: [6, 2, 3, 3], p: { stride: [2, 1], padding: [1, 2], dilation: [1, 1], groups: 2 } },
  { x: [4, 6, 13, 9], w: [9, 2, 3, 2], p: { stride: [1, 2], padding: [2, 1], dilation: [2, 1], groups: 3 } },
  { x: [7, 1, 8, 8], w: [5, 1, 5, 5], p: { stride: [3, 3], padding: [2, 2], dilation: [1, 1], groups: 1 } },
  { x: [2, 5, 17, 6], w: [13, 5, 1, 3], p: { stride: [1, 1], padding: [0, 1], dilation: [1, 2], groups: 1 } },
  // more rows of dW than columns (the filter gradient cuts dW by rows)
  { x: [3, 2, 6, 6], w: [22, 1, 1, 1], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 } },
  // many images: several per unit, the last unit short
  { x: [37, 2, 7, 6], w: [3, 2, 2, 2], p: { stride: [1, 1], padding: [1, 0], dilation: [1, 1], groups: 1 } },
  // the MNIST CNN's layers, smaller batch
  { x: [6, 1, 28, 28], w: [32, 1, 3, 3], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { x: [3, 32, 13, 13], w: [64, 32, 3, 3], p: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
];

function convOut(c: ConvCase): number[] {
  const [N, , H, W] = c.x;
  const [O, , kh, kw] = c.w;
  const Ho = conv.convOutSize(H, kh, c.p.stride[0], c.p.padding[0], c.p.dilation[0]);
  const Wo = conv.convOutSize(W, kw, c.p.stride[1], c.p.padding[1], c.p.dilation[1]);
  return [N, O, Ho, Wo];
}

describe("js backend on several threads", function () {
  this.timeout(120_000);
  const saved = { threads: getNumThreads(), minWork: internals.minWork, hangMs: internals.hangMs, minElementwise: internals.minElementwise };
  afterEach(() => {
    internals.roundRobin = false;
    internals.minWork = saved.minWork;
    internals.minElementwise = saved.minElementwise;
    internals.hangMs = saved.hangMs;
    setNumThreads(saved.threads);
  });

  describe("the split", () => {
    it("part4 cuts 0..n-1 into S runs, in order, on multiples of 4", () => {
      for (const n of [0, 1, 3, 4, 5, 17, 64, 121])
        for (const S of [1, 2, 3, 5, 16]) {
          let next = 0;
          for (let s = 0; s < S; s++) {
            const [a, b] = part4(n, s, S);
            assert.equal(a, next);
            assert.ok(b >= a);
            assert.ok(a % 4 === 0 || a === n);
            next = b;
          }
          assert.equal(next, n);
        }
    });

    it("gemm gives the same bits for a slice of a product as for the whole, whichever inner path each takes (k-contiguous operands, K over a block)", () => {
      // the whole 64 x 288 product is packed; a 16-wide slice is small enough to be multiplied unpacked
      const [M, N, K] = [64, 288, 300];
      const A = data(M * K, 71) as Float32Array, B = data(N * K, 72) as Float32Array; // A [M, K], B as Bᵀ [N, K]
      const whole = new Float32Array(M * N), sliced = new Float32Array(M * N);
      gemm(M, N, K, A, 0, K, 1, B, 0, 1, K, whole, 0, N, false);
      for (let j0 = 0; j0 < N; j0 += 16) gemm(M, 16, K, A, 0, K, 1, B, j0 * K, 1, K, sliced, j0, N, false);
      for (let i = 0; i < M * N; i++) if (!Object.is(whole[i], sliced[i])) assert.fail(`element ${i}: ${sliced[i]} sliced, ${whole[i]} whole`);
    });
  });

  for (const threads of [2, 3]) {
    describe(`${threads} threads: the same bits as one`, () => {
      beforeEach(() => {
        setNumThreads(threads);
        internals.minWork = 0; // small, odd shapes go parallel too
        internals.roundRobin = true; // and every thread computes some of each
      });

      it("matmul of odd shapes (M, N, K not multiples of 4)", () => {
        const jobs = internals.jobs;
        for (const [M, K, N] of [[5, 7, 3], [13, 9, 17], [33, 65, 31], [2, 3, 130], [130, 3, 2], [9, 300, 11], [64, 1, 64], [6, 0, 5], [301, 77, 259], [35, 290, 515]]) {
          const a = arr([M, K], M * 7 + K), b = arr([K, N], N * 3 + 1);
          assertSameBits(parallel.matmul(a, b), matmulReference(a, b), `[${M},${K}]@[${K},${N}]`);
        }
        assert.ok(internals.jobs > jobs, "no job ran on several threads");
      });

      it("matmul of transposed, offset and broadcast views", () => {
        const a = arr([11, 6], 1), b = arr([9, 11], 2);
        // a^T [6, 11] @ b^T [11, 9]
        assertSameBits(parallel.matmul(transposed(a), transposed(b)), matmulReference(transposed(a), transposed(b)), "transposed");
        // a view that starts inside its buffer, with a row stride larger than its width
        const big = arr([20, 30], 3);
        const sub = new JsArray(big.buf, [13, 7], [30, 1], 30 * 4 + 5);
        const c = arr([7, 10], 4);
        assertSameBits(parallel.matmul(sub, c), matmulReference(sub, c), "offset view");
        // every other column of a big matrix: a sparse view, copied first
        const sparse = new JsArray(big.buf, [20, 15], [30, 2], 1);
        const d = arr([15, 6], 5);
        assertSameBits(parallel.matmul(sparse, d), matmulReference(sparse, d), "strided view");
        // one matrix broadcast over a batch (stride 0)
        const m = arr([5, 7], 6);
        const bm = new JsArray(m.buf, [3, 5, 7], [0, 7, 1]);
        const e = arr([3, 7, 9], 7);
        assertSameBits(parallel.matmul(bm, e), matmulReference(bm, e), "broadcast batch");
      });

      it("batched matmul: few products (split within each) and many (whole products per thread)", () => {
        for (const batch of [[1], [3], [2, 5], [17]]) {
          const a = arr([...batch, 9, 13], 8), b = arr([...batch, 13, 6], 9);
          assertSameBits(parallel.matmul(a, b), matmulReference(a, b), `batch [${batch}]`);
        }
      });

      it("matmul in float64 and mixed float32/float64", () => {
        const a = arr([17, 23], 10, "float64"), b = arr([23, 19], 11, "float64"), c = arr([23, 19], 12);
        assertSameBits(parallel.matmul(a, b), matmulReference(a, b), "float64");
        assertSameBits(parallel.matmul(a, c), matmulReference(a, c), "float64 @ float32");
      });

      it("conv2d and both gradients: strides, padding, dilation, groups", () => {
        const jobs = internals.jobs;
        convCases.forEach((c, k) => {
          const what = `x [${c.x}] w [${c.w}] ${JSON.stringify(c.p)}`;
          const x = arr(c.x, 100 + k), w = arr(c.w, 200 + k), gy = arr(convOut(c), 300 + k);
          assertSameBits(parallel.conv2d(x, w, c.p), conv.conv2d(x, w, c.p), `conv2d ${what}`);
          assertSameBits(parallel.conv2dBackwardInput(gy, w, c.x, c.p), conv.conv2dBackwardInput(gy, w, c.x, c.p), `conv2dBackwardInput ${what}`);
          assertSameBits(parallel.conv2dBackwardFilter(x, gy, c.w, c.p), conv.conv2dBackwardFilter(x, gy, c.w, c.p), `conv2dBackwardFilter ${what}`);
        });
        assert.ok(internals.jobs > jobs, "no job ran on several threads");
      });

      it("conv in float64, and twice in a row (the reused arena is cleared)", () => {
        const c = convCases[1];
        const x = arr(c.x, 1, "float64"), w = arr(c.w, 2, "float64"), gy = arr(convOut(c), 3, "float64");
        for (let rep = 0; rep < 2; rep++) {
          assertSameBits(parallel.conv2d(x, w, c.p), conv.conv2d(x, w, c.p), "conv2d");
          assertSameBits(parallel.conv2dBackwardInput(gy, w, c.x, c.p), conv.conv2dBackwardInput(gy, w, c.x, c.p), "conv2dBackwardInput");
          assertSameBits(parallel.conv2dBackwardFilter(x, gy, c.w, c.p), conv.conv2dBackwardFilter(x, gy, c.w, c.p), "conv2dBackwardFilter");
        }
      });

      it("results live in shared memory, and the next parallel kernel reads them where they lie: still the same bits", () => {
        const c = convCases[8];
        const x = arr(c.x, 41), w = arr(c.w, 42), w2 = arr([7, c.w[0], 3, 3], 43);
        const p2: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
        const y = parallel.conv2d(x, w, c.p)!;
        assert.ok(y.buf.buffer instanceof SharedArrayBuffer, "conv2d's result is a shared array");
        const yRef = conv.conv2d(x, w, c.p);
        // a shared input, and a shared input that is an offset view of its buffer (a slice of the batch)
        assertSameBits(parallel.conv2d(y, w2, p2), conv.conv2d(yRef, w2, p2), "conv2d of a shared input");
        const half = new JsArray(y.buf, [2, ...y.shape.slice(1)], y.strides, numel(y.shape.slice(1)));
        const halfRef = new JsArray(yRef.buf, half.shape, half.strides, half.offset);
        assertSameBits(parallel.conv2d(half, w2, p2), conv.conv2d(halfRef, w2, p2), "conv2d of an offset shared view");
        const gy = arr(convOut({ x: y.shape as number[], w: w2.shape as number[], p: p2 }), 44);
        assertSameBits(parallel.conv2dBackwardFilter(y, gy, w2.shape, p2), conv.conv2dBackwardFilter(yRef, gy, w2.shape, p2), "dW of a shared input");
        const dx = parallel.conv2dBackwardInput(gy, w2, y.shape, p2)!;
        assert.ok(dx.buf.buffer instanceof SharedArrayBuffer);
        // matmul of shared, transposed views of it, and of its own result
        const flat = new JsArray(y.buf, [y.shape[0] * y.shape[1], y.shape[2] * y.shape[3]]);
        const flatRef = new JsArray(yRef.buf, flat.shape);
        const m = arr([flat.shape[1], 9], 45);
        const z = parallel.matmul(flat, m)!;
        assertSameBits(z, matmulReference(flatRef, m), "matmul of a shared input");
        assertSameBits(parallel.matmul(transposed(z), flat), matmulReference(transposed(matmulReference(flatRef, m)), flatRef), "matmul of shared transposed views");
      });

      it("elementwise kernels on shared inputs, cut into slabs: unary (relu on bits too), binary with broadcasting, where (bit select and general)", () => {
        internals.minElementwise = 0;
        const jobs = internals.jobs;
        const sharedCopy = (x: JsArray): JsArray => {
          const buf = sharedArray(x.dtype, x.buf.length);
          buf.set(x.buf);
          return new JsArray(buf, x.shape, x.strides, x.offset);
        };
        const x = sharedCopy(arr([6, 5, 7, 9], 51));
        x.buf[3] = NaN;
        x.buf[4] = -NaN;
        const xt = new JsArray(x.buf, [6, 5, 9, 7], [315, 63, 1, 9]); // a transposed view: strided rows
        const bias = arr([1, 5, 1, 1], 52);
        const y = sharedCopy(arr([6, 5, 7, 9], 53));
        const mask = sharedCopy(ew.binary("gt", x, new JsArray(new Float32Array([0]), [])));
        const x64 = sharedCopy(arr([5, 7, 9], 54, "float64"));
        const cases: [string, ew.Plan][] = [
          ["relu", ew.unaryPlan("relu", x)],
          ["relu of a transposed view", ew.unaryPlan("relu", xt)],
          ["exp", ew.unaryPlan("exp", x)],
          ["neg float64", ew.unaryPlan("neg", x64)],
          ["add a broadcast bias", ew.binaryPlan("add", x, bias)],
          ["mul", ew.binaryPlan("mul", x, y)],
          ["gt a scalar", ew.binaryPlan("gt", x, new JsArray(new Float32Array([0]), []))],
          ["add float64 + float32", ew.binaryPlan("add", x64, new JsArray(x.buf, [5, 7, 9], [63, 9, 1], 315))],
          ["where, bit select", ew.wherePlan(mask, y, new JsArray(new Float32Array([0]), []))],
          ["where, float condition (general loop)", ew.wherePlan(y, x, bias)],
        ];
        for (const [what, plan] of cases) {
          const got = parallel.elementwise(plan);
          assert.ok(got && got.buf.buffer instanceof SharedArrayBuffer, `${what}: a shared result`);
          assertSameBits(got, ew.execute(plan), what);
        }
        assert.ok(internals.jobs > jobs, "no job ran on several threads");
        // a big input that is not shared stays on one thread (copying it would cost what the kernel does)
        const plain = arr([64, 32, 8, 8], 55);
        assert.equal(parallel.elementwise(ew.unaryPlan("relu", plain)), undefined);
      });

      it("maxPool2d (padded or not, NaN and ties) and the scatterAdd of its backward pass, cut into planes", () => {
        internals.minElementwise = 0;
        const jobs = internals.jobs;
        const x = arr([5, 3, 9, 8], 61);
        x.buf[7] = NaN;
        x.buf[20] = x.buf[21] = 5; // a tie: the first wins
        const pools: Pool2dParams[] = [
          { kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
          { kernel: [3, 2], stride: [2, 1], padding: [1, 1] },
          { kernel: [3, 3], stride: [1, 2], padding: [0, 0] },
        ];
        for (const p of pools) {
          const got = parallel.maxPool2d(x, p)!, want = conv.maxPool2d(x, p);
          assertSameBits(got.out, want.out, `maxPool2d ${JSON.stringify(p)}`);
          assertSameBits(got.argmax, want.argmax, `maxPool2d argmax ${JSON.stringify(p)}`);
          // the backward pass: the gradient to x, dx = scatterAdd(zeros, 2, argmax, g), duplicates adding up
          const [N, C, Ho, Wo] = want.out.shape;
          const zeros = new JsArray(new Float32Array(N * C * 9 * 8), [N, C, 9 * 8]);
          const index = new JsArray(want.argmax.buf, [N, C, Ho * Wo]);
          const g = arr([N, C, Ho * Wo], 62);
          assertSameBits(parallel.scatterAdd(zeros, 2, index, g), idx.scatterAdd(zeros, 2, index, g), `scatterAdd ${JSON.stringify(p)}`);
        }
        // onto a non-zero x, along a middle dim (inner > 1)
        const base = arr([4, 6, 5], 63), ix = new JsArray(Int32Array.from({ length: 4 * 3 * 5 }, (_, i) => (i * 7) % 6), [4, 3, 5]);
        const src = arr([4, 3, 5], 64);
        assertSameBits(parallel.scatterAdd(base, 1, ix, src), idx.scatterAdd(base, 1, ix, src), "scatterAdd along dim 1");
        assert.ok(internals.jobs > jobs, "no job ran on several threads");
      });

      it("through the ops, with gradients", () => {
        const run = (n: number) => {
          setNumThreads(n);
          const x = Tensor.fromTyped(data(4 * 3 * 10 * 10, 5), [4, 3, 10, 10], { requiresGrad: true });
          const w = Tensor.fromTyped(data(8 * 3 * 3 * 3, 6), [8, 3, 3, 3], { requiresGrad: true });
          const m = Tensor.fromTyped(data(8 * 8 * 8, 7), [8 * 8 * 8 / 16, 16], { requiresGrad: true });
          const y = matmul(conv2d(x, w, null, { padding: 1, stride: 1 }).relu().reshape([-1, 16]), m.t()).sum();
          y.backward();
          return [y, x.grad!, w.grad!, m.grad!].map((t) => Array.from(t.values()));
        };
        const previous = backends.active().name;
        backends.use("js");
        try {
          assert.deepEqual(run(threads), run(1));
        } finally {
          backends.use(previous);
        }
      });
    });
  }

  describe("units first come first served (the default)", () => {
    it("many small jobs in a row: the same bits, whoever takes the units, and no job lost or run twice", () => {
      internals.minWork = 0;
      for (const threads of [2, 3]) {
        setNumThreads(threads);
        for (let k = 0; k < 150; k++) {
          const M = 4 + (k % 23), K = 1 + (k % 7), N = 5 + (k % 13);
          const a = arr([M, K], k), b = arr([K, N], k + 1000);
          assertSameBits(parallel.matmul(a, b), matmulReference(a, b), `job ${k}: [${M},${K}]@[${K},${N}]`);
        }
        const c = convCases[7];
        const x = arr(c.x, 1), w = arr(c.w, 2), gy = arr(convOut(c), 3);
        assertSameBits(parallel.conv2d(x, w, c.p), conv.conv2d(x, w, c.p), "conv2d");
        assertSameBits(parallel.conv2dBackwardInput(gy, w, c.x, c.p), conv.conv2dBackwardInput(gy, w, c.x, c.p), "conv2dBackwardInput");
        assertSameBits(parallel.conv2dBackwardFilter(x, gy, c.w, c.p), conv.conv2dBackwardFilter(x, gy, c.w, c.p), "conv2dBackwardFilter");
      }
    });
  });

  describe("when not to share", () => {
    it("small products and one thread stay on the calling thread", () => {
      setNumThreads(2);
      const jobs = internals.jobs;
      assert.equal(parallel.matmul(arr([8, 8], 1), arr([8, 8], 2)), undefined);
      setNumThreads(1);
      internals.minWork = 0;
      assert.equal(parallel.matmul(arr([64, 64], 1), arr([64, 64], 2)), undefined);
      matmul(randn([64, 64]), randn([64, 64]));
      assert.equal(internals.jobs, jobs);
    });

    it("setNumThreads checks its argument", () => {
      assert.throws(() => setNumThreads(0), GradlabError);
      assert.throws(() => setNumThreads(1.5), GradlabError);
      setNumThreads(3);
      assert.equal(getNumThreads(), 3);
    });
  });

  describe("failures in workers", () => {
    beforeEach(() => setNumThreads(2));

    it("an exception in a worker is thrown on the main thread, and the pool goes on", () => {
      assert.throws(() => internals.run("fail", [1, 1], 2), /worker thread 1: .*test failure in thread 1/s);
      internals.minWork = 0;
      const a = arr([9, 9], 1);
      assertSameBits(parallel.matmul(a, a), matmulReference(a, a), "after a failure");
    });

    it("a worker that exits mid-job is an error, not a hang; the next kernel starts new workers", () => {
      assert.throws(() => internals.run("fail", [2, 1], 2), /worker thread 1: exited during the job/);
      internals.minWork = 0;
      const a = arr([9, 9], 1);
      assertSameBits(parallel.matmul(a, a), matmulReference(a, a), "after an exit");
    });

    it("a worker that stalls is given up on after a time, and the threads are replaced", () => {
      internals.hangMs = 300;
      const t = performance.now();
      assert.throws(() => internals.run("fail", [3, 1, 30_000], 2), /did not finish within/);
      assert.ok(performance.now() - t < 10_000);
      internals.minWork = 0;
      const a = arr([9, 9], 1);
      assertSameBits(parallel.matmul(a, a), matmulReference(a, a), "after a stall");
    });
  });

  it("idle workers do not keep the process alive", () => {
    const root = path.resolve(__dirname, "../..");
    const script = `
      const p = require("./src/backend/js/parallel");
      const { JsArray } = require("./src/backend/js/array");
      p.setNumThreads(2);
      const a = new JsArray(new Float32Array(256 * 256).fill(1), [256, 256]);
      if (!p.matmul(a, a) || p.internals.jobs !== 1) throw new Error("did not run on two threads");
      console.log("done");`;
    const r = spawnSync(process.execPath, ["--require", require.resolve("tsx/cjs"), "-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.error, undefined, `the process did not exit: ${r.error}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
  });
});
