/**
 * npm run bench -- train
 * Training throughput (samples/s) of the experiment-1 CNN (000 §5.2) and a
 * 784-128-10 MLP, batch 64, SGD with momentum, measured side by side in one
 * run on: gradlab js (1 and 2 threads), gradlab tfjs (its engine named),
 * TensorFlow.js layers' model.fit with the same model and batch on the same
 * engine, and PyTorch when /usr/bin/python3 can import torch. The js backend
 * runs 1 and 2 threads in alternating chunks, and every measurement is
 * printed with the load average after it: on a shared machine both say
 * which numbers to trust.
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { backend, manualSeed, nn, optim, rand, randint, tidy, Tensor } from "../src";
import * as backends from "../src/backend";
import { getNumThreads, setNumThreads } from "../src/backend/js/parallel";
import type { TfjsBackend } from "../src/backend/tfjs";
import { experiment1Model } from "./experiments/mnist";
import { median, printTable, writeResult } from "./util";

const BATCH = 64;
type ModelName = "cnn" | "mlp";

function mlp(): nn.Sequential {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
}

interface Measurement {
  samplesPerSecond: number;
  peakRssMB: number;
}

/** Something to time: warmed up once, then timed in chunks of about `ms` each (returns samples/s). */
interface Config {
  warm(): Promise<void> | void;
  chunk(ms: number): Promise<number> | number;
  /** The largest RSS seen during its chunks, in bytes. */
  peak: number;
}

/**
 * Times each configuration in three chunks of about `seconds`/3 and reports
 * its median chunk, after a warm-up (JIT, first allocations). The chunks of
 * several configurations alternate (A B A B A B), so that a machine whose
 * load changes during the run slows them alike and their ratio stays
 * meaningful.
 */
async function timeSteps(configs: Config[], seconds: number): Promise<Measurement[]> {
  const rates: number[][] = configs.map(() => []);
  for (const c of configs) await c.warm();
  for (let chunk = 0; chunk < 3; chunk++) {
    for (const [k, c] of configs.entries()) rates[k].push(await c.chunk((seconds * 1000) / 3));
  }
  return configs.map((c, k) => ({ samplesPerSecond: median(rates[k]), peakRssMB: c.peak / 2 ** 20 }));
}

/** gradlab's own training step, the loop fit() runs, on the active backend; `before` runs before each chunk (a thread count). */
function gradlabConfig(which: ModelName, before: () => void = () => {}): Config {
  const step = gradlabStep(which);
  const config: Config = {
    peak: 0,
    warm() {
      before();
      step();
      step();
    },
    chunk(ms) {
      before();
      const t0 = performance.now();
      let steps = 0;
      while (steps < 2 || performance.now() - t0 < ms) {
        step();
        config.peak = Math.max(config.peak, process.memoryUsage().rss);
        steps++;
      }
      return (steps * BATCH) / ((performance.now() - t0) / 1000);
    },
  };
  return config;
}

/** gradlab's own training step: the loop fit() runs, on the active backend. */
function gradlabStep(which: ModelName): () => void {
  manualSeed(0);
  const model = which === "cnn" ? experiment1Model() : mlp();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = rand([BATCH, 1, 28, 28]);
  const y = randint(0, 10, [BATCH]);
  return () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      loss.item();
    });
}

/**
 * The same models in TensorFlow.js layers, trained with model.fit on the
 * engine gradlab's tfjs backend loaded; a chunk is whole fits of `steps`
 * batches. `dispose` frees its tensors.
 */
function layersConfig(which: ModelName): Config & { dispose(): void } {
  const be = backends.get("tfjs") as TfjsBackend;
  const tf = be.loaded.engine.tf as unknown as typeof import("@tensorflow/tfjs-core");
  // tfjs-core registers no gradients by itself; layers' fit needs them
  require("@tensorflow/tfjs-core/dist/register_all_gradients");
  const tfl = require("@tensorflow/tfjs-layers") as typeof import("@tensorflow/tfjs-layers");
  const model = tfl.sequential();
  if (which === "cnn") {
    model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu" }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }));
    model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tfl.layers.flatten());
    model.add(tfl.layers.dense({ units: 128, activation: "relu" }));
  } else {
    model.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
    model.add(tfl.layers.dense({ units: 128, activation: "relu" }));
  }
  model.add(tfl.layers.dense({ units: 10, activation: "softmax" }));
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: "sparseCategoricalCrossentropy" });
  const steps = which === "cnn" ? 6 : 60;
  const x = tf.randomUniform([BATCH * steps, 28, 28, 1]);
  const y = tf.cast(tf.randomUniform([BATCH * steps], 0, 10, "int32"), "float32");
  const fit = () => model.fit(x, y, { batchSize: BATCH, epochs: 1, verbose: 0 });
  const config = {
    peak: 0,
    async warm() {
      await fit();
    },
    async chunk(ms: number) {
      const t0 = performance.now();
      let fits = 0;
      while (fits < 1 || performance.now() - t0 < ms) {
        await fit();
        config.peak = Math.max(config.peak, process.memoryUsage().rss);
        fits++;
      }
      return (fits * steps * BATCH) / ((performance.now() - t0) / 1000);
    },
    dispose() {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
  return config;
}

const TORCH_SCRIPT = String.raw`
import json, sys, time, torch, torch.nn as nn
torch.manual_seed(0)
which, seconds = sys.argv[1], float(sys.argv[2])
if which == "cnn":
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
def step():
    opt.zero_grad(); loss = nn.functional.cross_entropy(model(x), y); loss.backward(); opt.step()
step(); step()
rates = []
for _ in range(3):
    t0, n = time.perf_counter(), 0
    while n < 2 or time.perf_counter() - t0 < seconds / 3:
        step(); n += 1
    rates.append(n * 64 / (time.perf_counter() - t0))
print(json.dumps({"samplesPerSecond": sorted(rates)[1], "version": torch.__version__}))
`;

function torchMeasure(which: ModelName, threads: number, seconds: number): Measurement | string {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync("/usr/bin/python3", ["-c", TORCH_SCRIPT, which, String(seconds)], { env, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) {
    return /No module named 'torch'|ENOENT/.test(r.stderr + String(r.error)) ? "absent (apt-get install python3-torch)" : `fails: ${r.stderr.trim().split("\n").pop()}`;
  }
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { samplesPerSecond: number; version: string };
  return { samplesPerSecond: out.samplesPerSecond, peakRssMB: NaN };
}

const fmt = (m: Measurement | string | undefined): string =>
  m === undefined ? "-" : typeof m === "string" ? m : Math.round(m.samplesPerSecond).toLocaleString("en-US");

export async function run(): Promise<void> {
  const seconds = Number(process.env.GRADLAB_BENCH_SECONDS ?? 9);
  const results: Record<string, Record<ModelName, Measurement | string>> = {};
  const rows: string[][] = [];
  // the 1-minute load average after each measurement: on a shared machine it says which numbers to trust
  const loads: Record<string, number> = {};
  const record = (label: string, which: ModelName, m: Measurement | string) => {
    (results[label] ??= {} as Record<ModelName, Measurement | string>)[which] = m;
    const load = os.loadavg()[0];
    loads[`${label} ${which}`] = load;
    console.log(`  ${label} ${which}: ${fmt(m)} samples/s (load average ${load.toFixed(2)})`);
  };
  const loadAtStart = os.loadavg();
  const threadsBefore = getNumThreads();
  console.log(`training throughput, batch ${BATCH}, ${seconds} s per measurement`);

  await backend.use("js");
  // 1 and 2 threads in alternating chunks (see timeSteps), so the ratio compares like with like
  const threadCounts = [1, 2];
  for (const which of ["cnn", "mlp"] as const) {
    const configs = threadCounts.map((n) => gradlabConfig(which, () => setNumThreads(n)));
    (await timeSteps(configs, seconds)).forEach((m, k) => record(`gradlab js, ${threadCounts[k]} thread${threadCounts[k] > 1 ? "s" : ""}`, which, m));
  }
  setNumThreads(threadsBefore);

  const info = await backend.use("tfjs");
  const engine = info.engine ?? "tfjs";
  // on wasm, layers trains a conv net only through the Conv2DBackpropFilter kernel gradlab composed and registered (missing.ts)
  const composed = info.composed?.length ? `, with gradlab's composed ${info.composed.join(", ")}` : "";
  const layersLabel = `TensorFlow.js layers fit (${engine}${composed})`;
  // gradlab's tfjs backend and layers on the same engine, also in alternating chunks
  for (const which of ["cnn", "mlp"] as const) {
    const ours = gradlabConfig(which);
    const layers = layersConfig(which);
    let failure: string | undefined;
    try {
      const [a, b] = await timeSteps([ours, layers], seconds);
      record(`gradlab tfjs (${engine})`, which, a);
      record(layersLabel, which, b);
    } catch (e) {
      failure = `fails: ${(e as Error).message.split("\n")[0].slice(0, 80)}`;
    } finally {
      layers.dispose();
    }
    if (failure) {
      // layers cannot train it here (a kernel the engine lacks): ours alone
      record(`gradlab tfjs (${engine})`, which, (await timeSteps([gradlabConfig(which)], seconds))[0]);
      record(layersLabel, which, failure);
    }
  }
  await backend.use("js");

  for (const threads of [1, 2]) {
    for (const which of ["cnn", "mlp"] as const) record(`PyTorch (${threads} thread${threads > 1 ? "s" : ""})`, which, torchMeasure(which, threads, seconds));
  }

  for (const [label, r] of Object.entries(results)) rows.push([label, fmt(r.cnn), fmt(r.mlp)]);
  printTable("training samples/s, batch 64, SGD + momentum (median of 3)", ["engine", "CNN (000 §5.2)", "MLP 784-128-10"], rows);
  const js1 = results["gradlab js, 1 thread"], js2 = results["gradlab js, 2 threads"], tfjs = results[`gradlab tfjs (${engine})`];
  const layers = results[layersLabel];
  const rate = (m: Measurement | string | undefined) => (typeof m === "object" ? m.samplesPerSecond : NaN);
  const ratios = {
    jsThreadsSpeedupCnn: rate(js2?.cnn) / rate(js1?.cnn),
    tfjsOverJs1Cnn: rate(tfjs?.cnn) / rate(js1?.cnn),
    tfjsOverLayersCnn: rate(tfjs?.cnn) / rate(layers?.cnn),
    tfjsOverLayersMlp: rate(tfjs?.mlp) / rate(layers?.mlp),
  };
  console.log(Object.entries(ratios).map(([k, v]) => `${k}: ${Number.isFinite(v) ? v.toFixed(2) + "x" : "-"}`).join("\n"));
  const peak = typeof js1?.cnn === "object" ? js1.cnn.peakRssMB : NaN;
  const peak2 = typeof js2?.cnn === "object" ? js2.cnn.peakRssMB : NaN;
  // one process runs both in alternation, so each peak includes what the other left for the garbage collector
  console.log(`peak memory (RSS) of the process while training the CNN on the js backend: ${peak.toFixed(0)} MB (1 thread), ${peak2.toFixed(0)} MB (2 threads)`);
  const loadAtEnd = os.loadavg();
  const fmtLoad = (l: number[]) => l.map((v) => v.toFixed(2)).join(", ");
  console.log(`load average (1, 5, 15 min) on ${os.cpus().length} cores: ${fmtLoad(loadAtStart)} at the start, ${fmtLoad(loadAtEnd)} at the end`);
  writeResult("train", { batch: BATCH, seconds, engine, results, ratios, cnnPeakRssMB: peak, cnnPeakRssMB2Threads: peak2, loadAverage: { start: loadAtStart, end: loadAtEnd, afterEach: loads } });
}
