import type { Conv2dParams } from "../backend";
import { TypedArray, allocate, dtypeOfArray } from "../../tensor/dtype";
import { Geometry, conv2dBackwardInputImages, conv2dImages, geometry, im2colRows, maxPool2dPlanes } from "./conv";
import { scatterAddSlabs } from "./indexing";
import { BINARY_OPS, FAMILIES, UNARY_OPS, runRows } from "./elementwise";
import { gemm } from "./matmul";

/**
 * Each parallel kernel cut into units of work. The main thread and every
 * worker run the same function on the same job, taking units until none is
 * left, so how the work is cut is decided here, in one place.
 *
 * Every cut gives each output element to exactly one thread, which computes
 * it with the same operations in the same order as the single-threaded
 * kernel (gemm sums each element on its own, whichever block it is in): the
 * results are the same bit for bit, whatever the number of threads.
 */
export interface Job {
  task: TaskName;
  /** Views on shared memory (the arena, or a kernel result's own SharedArrayBuffer), so every thread sees the same memory. */
  bufs: TypedArray[];
  params: number[];
  /** Deal unit u to thread u % roundRobin (for tests: every thread surely computes); 0: first come first served. */
  roundRobin?: number;
}

export const TASKS = ["matmul", "conv2d", "conv2dBackwardInput", "filterGrad", "elementwise", "maxPool2d", "scatterAdd", "fail"] as const;
export type TaskName = (typeof TASKS)[number];

/** Hands out unit numbers 0, 1, 2, ... to whichever thread asks first (an atomic counter the job's threads share). */
export type Next = () => number;

/** Thread t's source of units: the shared counter ctl[at], or every roundRobin-th unit from t. */
export function dispenser(job: Job, t: number, ctl: Int32Array, at: number): Next {
  const T = job.roundRobin ?? 0;
  if (!T) return () => Atomics.add(ctl, at, 1);
  let u = t - T;
  return () => (u += T);
}

/**
 * Runs thread t's share of a job. The work is cut into units (a few images,
 * a slice of a product) and each thread takes the next unit until none is
 * left, so a thread slowed down (garbage collection, another process) does
 * fewer of them instead of holding up the rest.
 */
export function runTask(job: Job, next: Next, t: number): void {
  const { bufs: b, params: q } = job;
  switch (job.task) {
    case "matmul": return matmulUnits(b, q, next);
    case "conv2d": return conv2dUnits(b, q, next);
    case "conv2dBackwardInput": return conv2dBackwardInputUnits(b, q, next);
    case "filterGrad": return filterGradUnits(b, q, next);
    case "elementwise": return elementwiseUnits(b, q, next);
    case "maxPool2d": return maxPoolUnits(b, q, next);
    case "scatterAdd": return scatterAddUnits(b, q, next);
    case "fail": return failShare(q, t);
  }
}

/** Slice s of S of 0..n-1, as [start, end), with the cuts on multiples of 4 so gemm's 4-wide panels stay whole. */
export function part4(n: number, s: number, S: number): [number, number] {
  const cut = (i: number) => (i >= S ? n : Math.min(n, 4 * Math.round((i * n) / (4 * S))));
  return [cut(s), cut(s + 1)];
}

/**
 * Batched matmul: unit u is slice u % S (of rows, or of columns when there
 * are more of those) of product u / S; with a large batch S is 1 and a unit
 * is a whole product. bufs: A, B, C, then the offsets of each product in A and in B.
 */
function matmulUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [A, B, C, aOffs, bOffs] = bufs;
  const [M, N, K, aRs, aCs, bRs, bCs, S, splitRows, U] = q;
  for (let u = next(); u < U; u = next()) {
    const e = Math.floor(u / S), s = u % S;
    const ao = aOffs[e], bo = bOffs[e], co = e * M * N;
    if (splitRows) {
      const [i0, i1] = part4(M, s, S);
      if (i1 > i0) gemm(i1 - i0, N, K, A, ao + i0 * aRs, aRs, aCs, B, bo, bRs, bCs, C, co + i0 * N, N, false);
    } else {
      const [j0, j1] = part4(N, s, S);
      if (j1 > j0) gemm(M, j1 - j0, K, A, ao, aRs, aCs, B, bo + j0 * bCs, bRs, bCs, C, co + j0, N, false);
    }
  }
}

/** The numbers that describe a convolution, for a job's params (decoded by convOf). */
export function convParams(xShape: readonly number[], wShape: readonly number[], p: Conv2dParams): number[] {
  return [...xShape, ...wShape, ...p.stride, ...p.padding, ...p.dilation, p.groups];
}
const CONV_PARAMS = 15;

function convOf(q: number[]): { g: Geometry; p: Conv2dParams } {
  const p: Conv2dParams = { stride: [q[8], q[9]], padding: [q[10], q[11]], dilation: [q[12], q[13]], groups: q[14] };
  return { g: geometry(q.slice(0, 4), q.slice(4, 8), p), p };
}

/** Unit u: images u*per .. u*per+per-1. bufs: x, w, y; params: the conv's, then per. */
function conv2dUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [x, w, y] = bufs;
  const { g, p } = convOf(q);
  const per = q[CONV_PARAMS];
  for (let u = next(), n0 = u * per; n0 < g.N; u = next(), n0 = u * per) conv2dImages(x, w, g, p, y, n0, Math.min(g.N, n0 + per));
}

/** As conv2dUnits; dx is a new shared array, so it starts at zero for col2im to add into. bufs: gy, w, dx. */
function conv2dBackwardInputUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [gy, w, dx] = bufs;
  const { g, p } = convOf(q);
  const per = q[CONV_PARAMS];
  for (let u = next(), n0 = u * per; n0 < g.N; u = next(), n0 = u * per) conv2dBackwardInputImages(gy, w, g, p, dx, n0, Math.min(g.N, n0 + per));
}

/*
 * The filter gradient sums over images, so cutting the images between
 * threads would need per-thread partial sums added at the end, in another
 * order than one thread's. Instead dW is cut into blocks of columns (rows
 * of the column matrix: taps) or of rows (output channels), and each block
 * goes through the images in order, as the single-threaded kernel does.
 * A block of columns needs only its own rows of each image's column matrix,
 * which its thread unrolls itself (so no thread waits for another and the
 * column matrix never leaves the cache); a block of rows needs all of it.
 */

/**
 * Unit s: block s of S of dW_g's columns (or rows) += dy[n, g] ·
 * col[n, g]^T over the images in order. bufs: x, gy, dw; params: the
 * conv's, whether to cut columns, S.
 */
function filterGradUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [x, gy, dw] = bufs;
  const { g, p } = convOf(q);
  const [splitCols, S] = q.slice(CONV_PARAMS);
  const { Og, R, P, O, G, N } = g;
  for (let s = next(); s < S; s = next()) {
    const [a0, a1] = part4(splitCols ? R : Og, s, S);
    if (a1 <= a0) continue;
    const [r0, r1] = splitCols ? [a0, a1] : [0, R];
    const col = allocate(dtypeOfArray(dw), (r1 - r0) * P);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        im2colRows(x, (n * g.C + gi * g.Cg) * g.H * g.W, g, p, col, r0, r1);
        const gOff = (n * O + gi * Og) * P, wOff = gi * Og * R;
        // the same product as conv2dBackwardFilter's, restricted to a block of dW
        if (splitCols) gemm(Og, a1 - a0, P, gy, gOff, P, 1, col, 0, 1, P, dw, wOff + a0, R, true);
        else gemm(a1 - a0, R, P, gy, gOff + a0 * P, P, 1, col, 0, 1, P, dw, wOff + a0 * R, R, true);
      }
    }
  }
}

/**
 * An elementwise plan (elementwise.ts), unit u: slab u of U along the first
 * of its (merged) dims. bufs: the output, then the inputs; params: family,
 * op, rank, dims, each array's strides, each array's start, U.
 */
function elementwiseUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const family = FAMILIES[q[0]];
  const op = family === "unary" ? UNARY_OPS[q[1]] : family === "binary" ? BINARY_OPS[q[1]] : "where";
  const rank = q[2];
  const dims = q.slice(3, 3 + rank);
  const k = bufs.length;
  const strides: number[][] = [];
  for (let a = 0; a < k; a++) strides.push(q.slice(3 + rank + a * rank, 3 + rank + (a + 1) * rank));
  const starts = q.slice(3 + rank + k * rank, 3 + rank + k * rank + k);
  const U = q[3 + rank + k * rank + k];
  for (let u = next(); u < U; u = next()) {
    const [r0, r1] = range(dims[0], u, U);
    if (r1 <= r0) continue;
    runRows(family, op, bufs, [r1 - r0, ...dims.slice(1)], strides, starts.map((s, a) => s + r0 * strides[a][0]));
  }
}

/** A range of units u of U over n things (planes, slabs), as [start, end). */
function range(n: number, u: number, U: number): [number, number] {
  return [Math.floor((u * n) / U), Math.floor(((u + 1) * n) / U)];
}

/** maxPool2d, unit u: planes range(N*C, u, U). bufs: x, out, argmax; params: x's shape, kernel, stride, padding, U. */
function maxPoolUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [x, out, arg] = bufs;
  const [N, C, H, W, kh, kw, sh, sw, ph, pw, U] = q;
  const p = { kernel: [kh, kw] as [number, number], stride: [sh, sw] as [number, number], padding: [ph, pw] as [number, number] };
  for (let u = next(); u < U; u = next()) {
    const [p0, p1] = range(N * C, u, U);
    if (p1 > p0) maxPool2dPlanes(x, [N, C, H, W], p, out, arg as Int32Array, p0, p1);
  }
}

/** An aligned scatterAdd (indexing.ts), unit u: slabs range(outer, u, U). bufs: x, index, src, out; params: outer, size, m, inner, U. */
function scatterAddUnits(bufs: TypedArray[], q: number[], next: Next): void {
  const [x, idx, src, out] = bufs;
  const [outer, size, m, inner, U] = q;
  for (let u = next(); u < U; u = next()) {
    const [o0, o1] = range(outer, u, U);
    if (o1 > o0) scatterAddSlabs(x, idx, src, out, outer, size, m, inner, o0, o1);
  }
}

/** For the tests of error handling: thread q[1] throws (q[0] = 1), exits (2) or stalls for q[2] ms (3). */
function failShare(q: number[], t: number): void {
  if (t !== q[1]) return;
  if (q[0] === 1) throw new Error(`test failure in thread ${t}`);
  if (q[0] === 2 && t > 0) process.exit(3); // never on the main thread (t = 0): that would end the process
  if (q[0] === 3) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, q[2]);
}

// --- jobs as numbers in shared memory: how the main thread tells workers what to do ---

const ARRAY_TYPES = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

/**
 * [task, roundRobin, #bufs, #params, #externals, (byteOffset, length, type,
 * source) per buf, params...]. A buf lies in the arena (source -1) or in a
 * SharedArrayBuffer of its own (a shared tensor, see parallel.ts), which
 * goes to the workers by message with the job: source k is the k-th of the
 * `externals` returned here.
 */
export function encodeJob(job: Job, desc: Float64Array, arena: SharedArrayBuffer): SharedArrayBuffer[] {
  const n = 5 + 4 * job.bufs.length + job.params.length;
  if (n > desc.length) throw new Error(`parallel ${job.task}: job description too long (${n} numbers)`);
  const externals: SharedArrayBuffer[] = [];
  let i = 0;
  desc[i++] = TASKS.indexOf(job.task);
  desc[i++] = job.roundRobin ?? 0;
  desc[i++] = job.bufs.length;
  desc[i++] = job.params.length;
  const count = i++;
  for (const b of job.bufs) {
    desc[i++] = b.byteOffset;
    desc[i++] = b.length;
    desc[i++] = ARRAY_TYPES.findIndex((T) => b instanceof T);
    if (b.buffer === arena) desc[i++] = -1;
    else if (b.buffer instanceof SharedArrayBuffer) {
      let k = externals.indexOf(b.buffer);
      if (k < 0) k = externals.push(b.buffer) - 1;
      desc[i++] = k;
    } else throw new Error(`parallel ${job.task}: a buffer that other threads cannot see`);
  }
  desc[count] = externals.length;
  for (const v of job.params) desc[i++] = v;
  return externals;
}

/** How many shared buffers besides the arena the job in desc needs (encodeJob's externals). */
export function externalsOf(desc: Float64Array): number {
  return desc[4];
}

export function decodeJob(desc: Float64Array, arena: SharedArrayBuffer, externals: readonly SharedArrayBuffer[] = []): Job {
  let i = 0;
  const task = TASKS[desc[i++]];
  const roundRobin = desc[i++];
  const nb = desc[i++], np = desc[i++];
  i++; // the count of externals
  const bufs: TypedArray[] = [];
  for (let k = 0; k < nb; k++, i += 4) {
    const src = desc[i + 3];
    bufs.push(new ARRAY_TYPES[desc[i + 2]](src < 0 ? arena : externals[src], desc[i], desc[i + 1]));
  }
  return { task, bufs, params: Array.from(desc.subarray(i, i + np)), roundRobin };
}
