/**
 * npm run bench -- matmul
 * The js backend's float32 matmul speed in GFLOP/s (2*n^3 flops per n x n
 * product), on one core, beside the textbook triple loop it replaces.
 */
import { gemm, gemmReference } from "../src/backend/js/matmul";
import { Generator } from "../src/tensor/random";
import { printTable, median, writeResult } from "./util";

function randomMatrix(n: number, gen: Generator): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] = gen.uniform() - 0.5;
  return m;
}

function timeIt(fn: () => void, minSeconds: number): number[] {
  const times: number[] = [];
  fn(); // warm up the JIT
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start) / 1000 < minSeconds) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  return times;
}

export function run(): void {
  const gen = new Generator(0);
  const rows: (string | number)[][] = [];
  const result: Record<string, number> = {};
  for (const n of [256, 1024]) {
    const A = randomMatrix(n, gen), B = randomMatrix(n, gen), C = new Float32Array(n * n);
    const flops = 2 * n ** 3;
    const tuned = median(timeIt(() => gemm(n, n, n, A, 0, n, 1, B, 0, n, 1, C, 0, n, false), n === 256 ? 1 : 4));
    // the triple loop is slow: time it once at 1024
    const naive = median(timeIt(() => gemmReference(n, n, n, A, B), n === 256 ? 1 : 0));
    rows.push([`${n}x${n}`, (flops / tuned / 1e9).toFixed(2), (flops / naive / 1e9).toFixed(2)]);
    result[`gflops_${n}`] = flops / tuned / 1e9;
    result[`gflops_naive_${n}`] = flops / naive / 1e9;
  }
  printTable("js backend float32 matmul, one core (GFLOP/s, median)", ["size", "gradlab js (packed 4x4)", "triple loop"], rows);
  writeResult("matmul", { backend: "js", threads: 1, ...result });
}
