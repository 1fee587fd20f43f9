/**
 * npm run bench -- threads
 * The js backend on 1 thread and on 2: (a) a 1024x1024 float32 matmul in
 * GFLOP/s, (b) a training step of the MNIST CNN (Conv32(3x3)-MaxPool2-
 * Conv64(3x3)-MaxPool2-Dense128-Dense10, ReLUs, batch 64, plain SGD) in
 * samples/s, on random 1x28x28 inputs (the speed does not depend on the
 * values). Thread counts are measured in alternation, round after round, so
 * a busy machine slows both alike; the table gives medians over rounds.
 */
import * as os from "node:os";
import { Tensor, conv2d, manualSeed, maxPool2d, noGrad, randint, randn, zeros } from "../src";
import * as backends from "../src/backend";
import { JsArray } from "../src/backend/js/array";
import { JsBackend } from "../src/backend/js";
import { getNumThreads, setNumThreads } from "../src/backend/js/parallel";
import { Generator } from "../src/tensor/random";
import { median, printTable, writeResult } from "./util";

const BATCH = 64;

/** Times fn once per round for each thread count, in alternation; seconds per call, per thread count. */
function alternate(threads: number[], rounds: number, fn: () => void): Map<number, number[]> {
  const times = new Map<number, number[]>(threads.map((n) => [n, []]));
  for (const n of threads) {
    setNumThreads(n);
    fn(); // warm up: JIT, and the first call with n threads starts the workers
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of threads) {
      setNumThreads(n);
      const t = performance.now();
      fn();
      times.get(n)!.push((performance.now() - t) / 1000);
    }
  }
  return times;
}

function matmulBench(threads: number[], rounds: number): Map<number, number[]> {
  const n = 1024;
  const gen = new Generator(0);
  const rand = () => new JsArray(Float32Array.from({ length: n * n }, () => gen.uniform() - 0.5), [n, n]);
  const a = rand(), b = rand();
  const be = new JsBackend();
  return alternate(threads, rounds, () => be.matmul(a, b));
}

/** One SGD step of the CNN, written with gradlab's ops as a student would. */
function cnnStep(): () => void {
  manualSeed(0);
  const param = (shape: number[], fanIn: number) => randn(shape).mul(Math.sqrt(2 / fanIn)).detach().requiresGrad_();
  const w1 = param([32, 1, 3, 3], 9), b1 = zeros([32]).requiresGrad_();
  const w2 = param([64, 32, 3, 3], 32 * 9), b2 = zeros([64]).requiresGrad_();
  const w3 = param([64 * 5 * 5, 128], 64 * 5 * 5), b3 = zeros([128]).requiresGrad_();
  const w4 = param([128, 10], 128), b4 = zeros([10]).requiresGrad_();
  const params = [w1, b1, w2, b2, w3, b3, w4, b4];
  const x = randn([BATCH, 1, 28, 28]);
  const y = randint(0, 10, [BATCH]);
  const lr = 0.01;
  return () => {
    let h = maxPool2d(conv2d(x, w1, b1).relu(), 2); // [64, 32, 13, 13]
    h = maxPool2d(conv2d(h, w2, b2).relu(), 2); // [64, 64, 5, 5]
    h = h.reshape([BATCH, -1]).matmul(w3).add(b3).relu();
    const logits = h.matmul(w4).add(b4);
    const loss = logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).mean().neg();
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        p.sub_((p.grad as Tensor).mul(lr));
        p.grad = null;
      }
    });
  };
}

export function run(): void {
  const previous = getNumThreads();
  const before = backends.active().name;
  backends.use("js");
  const cores = os.availableParallelism();
  const threads = cores > 2 ? [1, 2, Math.min(cores, 8)] : [1, 2];
  try {
    const mm = matmulBench(threads, 7);
    const cnn = alternate(threads, 7, cnnStep());
    const flops = 2 * 1024 ** 3;
    const gflops = threads.map((n) => flops / median(mm.get(n)!) / 1e9);
    const samples = threads.map((n) => BATCH / median(cnn.get(n)!));
    const speed = (xs: number[]) => xs.map((v) => v.toFixed(1));
    const speedup = (xs: number[]) => xs.slice(1).map((v) => `${(v / xs[0]).toFixed(2)}x`);
    const header = ["workload", ...threads.map((n) => `${n} thread${n > 1 ? "s" : ""}`), ...threads.slice(1).map((n) => `speedup ${n}`)];
    printTable(`js backend on several threads (${cores} cores; medians of 7 alternating rounds)`, header, [
      ["matmul 1024x1024 float32, GFLOP/s", ...speed(gflops), ...speedup(gflops)],
      [`MNIST CNN training step, batch ${BATCH}, samples/s`, ...speed(samples), ...speedup(samples)],
    ]);
    writeResult("threads", {
      backend: "js",
      threads,
      matmul1024: Object.fromEntries(threads.map((n, i) => [n, { gflops: gflops[i], seconds: mm.get(n) }])),
      cnnStep: Object.fromEntries(threads.map((n, i) => [n, { samplesPerSecond: samples[i], seconds: cnn.get(n) }])),
      speedup2: { matmul1024: gflops[1] / gflops[0], cnnStep: samples[1] / samples[0] },
    });
  } finally {
    setNumThreads(previous);
    backends.use(before);
  }
}

if (require.main === module) run();
