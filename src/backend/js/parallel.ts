import * as os from "node:os";
import * as path from "node:path";
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { Conv2dParams, Pool2dParams } from "../backend";
import { GradlabError, fail } from "../../errors";
import { DType, TypedArray, dtypeOfArray, isFloat } from "../../tensor/dtype";
import { Shape, numel } from "../../tensor/shape";
import { JsArray, coalesce, contiguous, dataOf } from "./array";
import { geometry, poolGeometry } from "./conv";
import { around, scatterAddAligned, scatterAddData } from "./indexing";
import { FAMILIES, Plan, UNARY_OPS, BINARY_OPS } from "./elementwise";
import { ARRAY_OF, BYTES, isShared, sharedArray, sharing } from "./shared";
import { Job, TaskName, convParams, dispenser, encodeJob, runTask } from "./tasks";
import { BOOTSTRAP, DEAD, DESC_LENGTH, DONE, FAILED, GEN, NEXT, SEQ, SLOT, STARTING, STATE, TICKET, WorkerInit } from "./worker";

/*
 * The js backend on several cores: matmul, the three convolution kernels,
 * big elementwise kernels, max pooling and its backward scatterAdd split
 * their work between the main thread and a few worker threads.
 *
 * Kernels are synchronous, so the pool is too. Workers are started once, on
 * the first kernel big enough to share, and then sleep in Atomics.wait.
 * A job's inputs are shared arrays (shared.ts: results of earlier kernels,
 * sent along with the job) or copies in one SharedArrayBuffer, the arena;
 * its result is a new shared array. The main thread writes what to do into
 * shared memory, wakes the workers, takes units of the work alongside them
 * and waits for those that started. How the work is cut is decided in
 * tasks.ts; the arithmetic is the single-threaded kernel's (matmul.ts,
 * conv.ts, elementwise.ts, indexing.ts), so results are the same bit for
 * bit for any number of threads.
 *
 * Each kernel here returns undefined where one thread is the better choice
 * (small work, one thread configured, integer inputs, no workers to be had),
 * and the caller runs the reference kernel.
 */

/** Below this many multiply-adds a kernel stays on one thread: waking a worker and copying cost ~0.1 ms. */
const MIN_WORK = 1 << 20;
/** The default thread count is the number of cores, up to this. */
const MAX_DEFAULT_THREADS = 8;
/**
 * Work is cut into up to this many units per thread, taken first come first
 * served: a thread slowed down (garbage collection, another process) then
 * does fewer units instead of holding up the others.
 */
const UNITS_PER_THREAD = 8;

/** Knobs for tests and benchmarks; not part of the API. */
export const internals = {
  /** Multiply-adds below which kernels stay on one thread. */
  minWork: MIN_WORK,
  /** Elements below which elementwise kernels stay on one thread. */
  minElementwise: 1 << 17,
  /** How long a worker may take beyond the main thread's share (at least; 50x the main share's time if longer). */
  hangMs: 60_000,
  /** Jobs handed to more than one thread so far. */
  jobs: 0,
  /** Deal units to threads in turn, so that every thread surely computes some (tests), not first come first served. */
  roundRobin: false,
  /** Runs a job of tasks.ts directly, on every thread (the tests' way to make a worker fail). */
  run(task: TaskName, params: number[], threads: number): void {
    const pool = acquire();
    if (!pool) fail("parallel", "no worker threads");
    pool.run(task, { task, bufs: [], params, roundRobin: threads }, threads);
  },
};

// --- how many threads --------------------------------------------------------

function defaultThreads(): number {
  const env = process.env.GRADLAB_THREADS;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (Number.isInteger(n) && n >= 1) return n;
    process.emitWarning(`GRADLAB_THREADS=${env} is not a positive integer; using the number of cores`);
  }
  return Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS);
}

let numThreads = defaultThreads();
let pool: Pool | undefined;
/** Why workers could not be started; until setNumThreads is called again, everything runs on one thread. */
let unavailable: string | undefined;
sharing.on = numThreads > 1;

/**
 * How many threads the js backend's matmul and convolutions use: by default
 * the number of cores (at most 8), or GRADLAB_THREADS. 1 runs the
 * single-threaded reference kernels and nothing else. Results do not depend
 * on it.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) fail("setNumThreads", `expected a positive integer, got ${n}`);
  numThreads = n;
  unavailable = undefined;
  sharing.on = n > 1;
  // a smaller count uses some of the workers there are (idle ones only sleep); a larger one needs a new pool
  if (pool && pool.size < n) {
    pool.close();
    pool = undefined;
  }
}

export function getNumThreads(): number {
  return numThreads;
}

/** The pool for the current thread count, started on first use; undefined when running on one thread. */
function acquire(): Pool | undefined {
  if (numThreads < 2 || unavailable) return undefined;
  if (pool && (pool.broken || !pool.healthy())) {
    pool.close();
    pool = undefined;
  }
  if (!pool) {
    try {
      pool = new Pool(numThreads);
    } catch (e) {
      unavailable = e instanceof Error ? e.message : String(e);
      sharing.on = false;
      process.emitWarning(`gradlab: could not start worker threads, so the js backend runs on one thread: ${unavailable}`);
      return undefined;
    }
  }
  return pool;
}

// --- the pool ------------------------------------------------------------------

/** The worker module beside this file: worker.js once compiled, worker.ts under tsx (with tsx's require hook). */
function workerEntry(): { file: string; execArgv?: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, "worker" + ext);
  if (ext !== ".ts") return { file };
  try {
    return { file, execArgv: ["--require", require.resolve("tsx/cjs")] };
  } catch {
    return { file }; // another TypeScript loader: the worker inherits the process's flags
  }
}


interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  /** Jobs sent to it so far (its job counter). */
  seq: number;
}

class Pool {
  private readonly ctl: Int32Array;
  private readonly desc: Float64Array;
  private readonly workers: WorkerHandle[] = [];
  private arena = new SharedArrayBuffer(0);
  private gen = 0;
  /** Set when a worker died or hung: the pool is closed and the next kernel starts a new one. */
  broken?: string;

  constructor(readonly size: number) {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * SLOT * size));
    this.desc = new Float64Array(new SharedArrayBuffer(8 * DESC_LENGTH));
    const { file, execArgv } = workerEntry();
    try {
      for (let i = 1; i < size; i++) {
        const { port1, port2 } = new MessageChannel();
        const init: WorkerInit & { file: string } = { ctl: this.ctl.buffer as SharedArrayBuffer, desc: this.desc.buffer as SharedArrayBuffer, index: i, port: port2, file };
        const worker = new Worker(BOOTSTRAP, { eval: true, execArgv, workerData: init, transferList: [port2] });
        // idle workers must not keep the process alive; errors come back through shared memory,
        // and a listener keeps an 'error' event from taking the whole process down
        worker.unref();
        worker.on("error", () => {});
        port1.unref();
        this.workers.push({ worker, port: port1, seq: 0 });
      }
      this.waitUntilStarted();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private waitUntilStarted(): void {
    const deadline = performance.now() + 60_000;
    for (let i = 1; i < this.size; i++) {
      const at = i * SLOT + STATE;
      while (Atomics.load(this.ctl, at) === STARTING) {
        if (performance.now() > deadline) throw new Error(`worker ${i} did not start within 60 s`);
        Atomics.wait(this.ctl, at, STARTING, 50);
      }
      if (Atomics.load(this.ctl, at) === DEAD) throw new Error(`worker ${i} failed to start: ${this.errorOf(i)}`);
    }
  }

  /** False when a worker has exited since the last job (killed from outside, out of memory). */
  healthy(): boolean {
    for (let i = 1; i < this.size; i++) if (Atomics.load(this.ctl, i * SLOT + STATE) === DEAD) return false;
    return true;
  }

  private errorOf(i: number): string {
    const m = receiveMessageOnPort(this.workers[i - 1].port);
    return (m?.message as { error?: string } | undefined)?.error ?? "it exited";
  }

  /**
   * Views on the arena for one job, 64-byte aligned; a larger arena replaces
   * the old one (and goes to the workers) when needed. Undefined when there
   * is no memory for it: the kernel then runs on one thread.
   */
  regions(specs: readonly [DType, number][]): TypedArray[] | undefined {
    const offsets: number[] = [];
    let end = 0;
    for (const [dt, n] of specs) {
      end = Math.ceil(end / 64) * 64;
      offsets.push(end);
      end += n * BYTES[dt];
    }
    if (end > this.arena.byteLength) {
      const size = Math.ceil(Math.max(end, this.arena.byteLength * 1.5) / (1 << 20)) * (1 << 20);
      try {
        this.arena = new SharedArrayBuffer(size);
      } catch {
        return undefined;
      }
      this.gen++;
      for (const w of this.workers) w.port.postMessage({ arena: this.arena, gen: this.gen });
      Atomics.store(this.ctl, GEN, this.gen);
    }
    return specs.map(([dt, n], k) => new ARRAY_OF[dt](this.arena, offsets[k], n));
  }

  /**
   * Runs a job on threads 0..T-1 (0 is this one) and returns when all are
   * done; a worker's error is thrown here. A worker that has not woken up by
   * the time this thread has taken the last unit is not waited for: its
   * ticket is taken back, and it skips the job when it wakes.
   */
  run(op: string, job: Job, T: number): void {
    if (T > this.size) throw new Error(`parallel ${op}: ${T} threads asked of a pool of ${this.size}`);
    if (internals.roundRobin) job.roundRobin ??= T;
    const externals = encodeJob(job, this.desc, this.arena);
    Atomics.store(this.ctl, NEXT, 0);
    for (let i = 1; i < T; i++) {
      const w = this.workers[i - 1], at = i * SLOT;
      w.seq++;
      // a SharedArrayBuffer is shared, not copied, by postMessage; the worker lets go of it after the job
      if (externals.length) w.port.postMessage({ seq: w.seq, externals });
      Atomics.store(this.ctl, at + TICKET, w.seq);
      Atomics.store(this.ctl, at + SEQ, w.seq);
      Atomics.notify(this.ctl, at + SEQ);
    }
    const start = performance.now();
    let mainError: unknown;
    try {
      runTask(job, dispenser(job, 0, this.ctl, NEXT), 0);
    } catch (e) {
      mainError = e;
    }
    // the workers write into the arena, so wait for every one that started, even when this share failed
    const patience = Math.max(internals.hangMs, 50 * (performance.now() - start));
    const deadline = performance.now() + patience;
    const errors: string[] = [];
    for (let i = 1; i < T; i++) {
      const w = this.workers[i - 1], at = i * SLOT;
      // with units dealt in turn every thread has its own to do; otherwise there are none left by now
      if (!job.roundRobin && Atomics.compareExchange(this.ctl, at + TICKET, w.seq, 0) === w.seq) continue;
      const why = this.wait(i, deadline, patience);
      if (why) errors.push(`worker thread ${i}: ${why}`);
    }
    if (T > 1) internals.jobs++;
    if (this.broken) this.close();
    if (mainError) throw mainError;
    if (errors.length) throw new GradlabError(op, errors.join("\n"));
  }

  /** Waits for worker i's current job; returns what went wrong, if anything. */
  private wait(i: number, deadline: number, patience: number): string | undefined {
    const at = i * SLOT, seq = this.workers[i - 1].seq;
    for (;;) {
      const done = Atomics.load(this.ctl, at + DONE);
      if (done === seq) break;
      if (Atomics.load(this.ctl, at + STATE) === DEAD) {
        this.broken = `worker ${i} exited`;
        return `exited during the job (${this.errorOf(i)})`;
      }
      if (performance.now() > deadline) {
        this.broken = `worker ${i} hung`;
        return `did not finish within ${(patience / 1000).toFixed(1)} s of the main thread's share, so the worker threads were stopped`;
      }
      // a timeout, so that a worker that died without a word is noticed
      Atomics.wait(this.ctl, at + DONE, done, 100);
    }
    if (Atomics.load(this.ctl, at + FAILED)) return this.errorOf(i);
    return undefined;
  }

  close(): void {
    this.broken ??= "closed";
    for (const w of this.workers) {
      w.worker.terminate().catch(() => {});
      w.port.close();
    }
  }
}

// --- the kernels ----------------------------------------------------------------

function floatOf(a: DType, b: DType): "float32" | "float64" {
  return a === "float64" || b === "float64" ? "float64" : "float32";
}

/*
 * Shared tensors (shared.ts). The results of parallel kernels live in
 * SharedArrayBuffers of their own, which the workers write directly: no
 * copy out of the arena. A later parallel kernel that takes such a result
 * as its input sends its buffer along with the job instead of copying it
 * into the arena (postMessage shares a SharedArrayBuffer, about 6 µs), so
 * a chain of them (conv, bias, relu, the next conv...) copies nothing.
 */


/**
 * The buffers of a job: each input as every thread can see it (itself when
 * it is shared already, else a copy in the arena), then `scratch` regions of
 * the arena. Undefined when the arena cannot grow to hold them.
 */
function stage(pool: Pool, inputs: readonly TypedArray[], scratch: readonly [DType, number][] = []): TypedArray[] | undefined {
  const copies = inputs.filter((b) => !isShared(b));
  const regions = pool.regions([...copies.map((b): [DType, number] => [dtypeOfArray(b), b.length]), ...scratch]);
  if (!regions) return undefined;
  let k = 0;
  const staged = inputs.map((b) => {
    if (isShared(b)) return b;
    const r = regions[k++];
    r.set(b);
    return r;
  });
  return [...staged, ...regions.slice(k)];
}

/**
 * Where a view's elements lie in its buffer, to copy only that span (with
 * its strides unchanged); a sparse view (every other column of a big
 * matrix) is made contiguous first.
 */
function span(x: JsArray): { x: JsArray; lo: number; len: number } {
  let lo = x.offset, hi = x.offset;
  for (let d = 0; d < x.shape.length; d++) {
    const reach = (x.shape[d] - 1) * x.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  const len = hi - lo + 1;
  if (len > 2 * x.size + 1024) return span(contiguous(x));
  return { x, lo, len };
}

/** Batched matmul as matmul.ts's, split into products, or into row or column slices of each. */
export function matmul(a: JsArray, b: JsArray): JsArray | undefined {
  if (numThreads < 2 || !isFloat(a.dtype) || !isFloat(b.dtype)) return undefined;
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
  const batch = a.shape.slice(0, r - 2);
  const nb = numel(batch);
  if (nb * M * N * K < internals.minWork) return undefined;
  // slices of the longer side, so the duplicated packing of the other operand is the smaller one
  const splitRows = M >= N;
  const S = nb >= UNITS_PER_THREAD * numThreads ? 1 : slices(splitRows ? M : N);
  const T = Math.min(numThreads, nb * S);
  if (T < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;

  // a shared operand is read where it lies (offsets from its buffer's start); another, from a copy of its span
  const sa = isShared(a.buf) ? { x: a, lo: 0, len: a.buf.length } : span(a);
  const sb = isShared(b.buf) ? { x: b, lo: 0, len: b.buf.length } : span(b);
  const dt = floatOf(a.dtype, b.dtype);
  const sub = (v: typeof sa) => (isShared(v.x.buf) ? v.x.buf : v.x.buf.subarray(v.lo, v.lo + v.len));
  const staged = stage(pool, [sub(sa), sub(sb)], [["float64", nb], ["float64", nb]]);
  if (!staged) return undefined;
  const [A, B, aOffs, bOffs] = staged;
  const C = sharedArray(dt, nb * M * N);
  const as = sa.x.strides, bs = sb.x.strides;
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < nb; t++) {
    let ao = sa.x.offset - sa.lo, bo = sb.x.offset - sb.lo;
    for (let d = 0; d < batch.length; d++) {
      ao += idx[d] * as[d];
      bo += idx[d] * bs[d];
    }
    aOffs[t] = ao;
    bOffs[t] = bo;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  const params = [M, N, K, as[r - 2], as[r - 1], bs[r - 2], bs[r - 1], S, splitRows ? 1 : 0, nb * S];
  pool.run("matmul", { task: "matmul", bufs: [A, B, C, aOffs, bOffs], params }, T);
  return new JsArray(C, [...batch, M, N]);
}

/**
 * How many slices to cut a side of length D of a product into: a few per
 * thread, each at least 16 wide (every slice packs the other operand again)
 * and a whole number of 4-wide panels. At 32 wide the filter gradient of a
 * 32->64-channel 3x3 conv (D = 288) came in 9 slices of 10 ms each, so one
 * thread finished a whole slice after the other: 18 slices halve that wait
 * for about 4% more packing.
 */
function slices(D: number): number {
  return Math.min(Math.ceil(D / 4), Math.max(numThreads, Math.min(UNITS_PER_THREAD * numThreads, Math.floor(D / 16))));
}

/**
 * Images per unit of a convolution over N images: small units, since the
 * thread that finishes last waits up to one unit for the others (an image
 * of the MNIST CNN's second conv is about 1.5 ms; a unit costs one atomic
 * add and one column buffer).
 */
function imagesPerUnit(N: number): number {
  return Math.max(1, Math.floor(N / (4 * UNITS_PER_THREAD * numThreads)));
}

function convOk(a: JsArray, b: JsArray, work: number): boolean {
  return numThreads > 1 && isFloat(a.dtype) && isFloat(b.dtype) && work >= internals.minWork;
}

/** conv2d, a few images per unit. */
export function conv2d(x: JsArray, w: JsArray, p: Conv2dParams): JsArray | undefined {
  const g = geometry(x.shape, w.shape, p);
  const T = Math.min(numThreads, g.N);
  if (!convOk(x, w, g.N * g.O * g.R * g.P) || T < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, [dataOf(x), dataOf(w)]);
  if (!staged) return undefined;
  const [X, W] = staged;
  const Y = sharedArray(floatOf(x.dtype, w.dtype), g.N * g.O * g.P);
  pool.run("conv2d", { task: "conv2d", bufs: [X, W, Y], params: [...convParams(x.shape, w.shape, p), imagesPerUnit(g.N)] }, T);
  return new JsArray(Y, [g.N, g.O, g.Ho, g.Wo]);
}

/** conv2dBackwardInput, a few images per unit. */
export function conv2dBackwardInput(gy: JsArray, w: JsArray, xShape: Shape, p: Conv2dParams): JsArray | undefined {
  const g = geometry(xShape, w.shape, p);
  const T = Math.min(numThreads, g.N);
  if (!convOk(gy, w, g.N * g.O * g.R * g.P) || T < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, [dataOf(gy), dataOf(w)]);
  if (!staged) return undefined;
  const [GY, W] = staged;
  const DX = sharedArray(floatOf(gy.dtype, w.dtype), numel(xShape));
  const params = [...convParams(xShape, w.shape, p), imagesPerUnit(g.N)];
  pool.run("conv2dBackwardInput", { task: "conv2dBackwardInput", bufs: [GY, W, DX], params }, T);
  return new JsArray(DX, [...xShape]);
}

/** conv2dBackwardFilter with dW cut into blocks of columns or rows, each thread unrolling the images itself (see tasks.ts). */
export function conv2dBackwardFilter(x: JsArray, gy: JsArray, wShape: Shape, p: Conv2dParams): JsArray | undefined {
  const g = geometry(x.shape, wShape, p);
  if (!convOk(x, gy, g.N * g.O * g.R * g.P) || g.N === 0) return undefined;
  const splitCols = g.R >= g.Og;
  // One block per thread: each block packs every image's dy again, so the narrow blocks that
  // balance load elsewhere cost more here than they save (the MNIST CNN's filter gradients took
  // 146 ms of CPU per step on 2 threads in 16-wide blocks, 106 ms in 2 blocks, 104 ms on 1 thread).
  const S = Math.min(numThreads, Math.ceil((splitCols ? g.R : g.Og) / 4));
  if (S < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, [dataOf(x), dataOf(gy)]);
  if (!staged) return undefined;
  const [X, GY] = staged;
  // a new SharedArrayBuffer starts at zero, and the threads add into it directly
  const DW = sharedArray(floatOf(x.dtype, gy.dtype), g.O * g.R);
  pool.run("conv2dBackwardFilter", { task: "filterGrad", bufs: [X, GY, DW], params: [...convParams(x.shape, wShape, p), splitCols ? 1 : 0, S] }, S);
  return new JsArray(DW, [...wShape]);
}

/**
 * An elementwise plan (elementwise.ts) cut into slabs along its first
 * dimension (after merging the dims that lie back to back). Only when its
 * big inputs are shared already: copying one into the arena would cost
 * about what the kernel does.
 */
export function elementwise(plan: Plan): JsArray | undefined {
  const n = numel(plan.shape);
  if (numThreads < 2 || n < internals.minElementwise) return undefined;
  if (plan.inputs.some((b) => b.length >= sharing.min && !isShared(b))) return undefined;
  const [dims, strides] = coalesce(plan.shape, plan.strides);
  if (dims.length === 0) return undefined;
  const U = Math.min(dims[0], UNITS_PER_THREAD * numThreads);
  const T = Math.min(numThreads, U);
  if (T < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, plan.inputs);
  if (!staged) return undefined;
  const out = sharedArray(plan.dtype, n);
  const ops: readonly string[] = plan.family === "unary" ? UNARY_OPS : BINARY_OPS;
  const params = [FAMILIES.indexOf(plan.family), plan.family === "where" ? 0 : ops.indexOf(plan.op), dims.length, ...dims, ...strides.flat(), ...plan.starts, U];
  pool.run(plan.op, { task: "elementwise", bufs: [out, ...staged], params }, T);
  return new JsArray(out, plan.shape);
}

/** maxPool2d, a few planes per unit; x is copied into the arena if it is not shared (the pooling costs several times the copy). */
export function maxPool2d(x: JsArray, p: Pool2dParams): { out: JsArray; argmax: JsArray } | undefined {
  if (numThreads < 2 || !isFloat(x.dtype) || x.size < internals.minElementwise) return undefined;
  const { N, C, H, W, Ho, Wo } = poolGeometry(x.shape, p);
  const U = Math.min(N * C, UNITS_PER_THREAD * numThreads);
  const T = Math.min(numThreads, U);
  if (T < 2 || Ho <= 0 || Wo <= 0) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, [dataOf(x)]);
  if (!staged) return undefined;
  const out = sharedArray(x.dtype, N * C * Ho * Wo), arg = sharedArray("int32", N * C * Ho * Wo);
  const params = [N, C, H, W, ...p.kernel, ...p.stride, ...p.padding, U];
  pool.run("maxPool2d", { task: "maxPool2d", bufs: [staged[0], out, arg], params }, T);
  return { out: new JsArray(out, [N, C, Ho, Wo]), argmax: new JsArray(arg, [N, C, Ho, Wo]) };
}

/** scatterAdd where index is aligned with x (max pooling's backward pass), a few slabs per unit; others stay on one thread. */
export function scatterAdd(x: JsArray, dim: number, index: JsArray, src: JsArray): JsArray | undefined {
  if (numThreads < 2 || !isFloat(x.dtype) || !isFloat(src.dtype) || x.size < internals.minElementwise || !scatterAddAligned(x, dim, index)) return undefined;
  const [outer, size, inner] = around(x.shape, dim);
  const U = Math.min(outer, UNITS_PER_THREAD * numThreads);
  const T = Math.min(numThreads, U);
  if (T < 2) return undefined;
  const pool = acquire();
  if (!pool) return undefined;
  const staged = stage(pool, scatterAddData(x, index, src));
  if (!staged) return undefined;
  const out = sharedArray(x.dtype, x.size);
  pool.run("scatterAdd", { task: "scatterAdd", bufs: [...staged, out], params: [outer, size, index.shape[dim], inner, U] }, T);
  return new JsArray(out, [...x.shape]);
}
