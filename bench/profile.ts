/**
 * npm run bench -- profile
 * Where a training step of the experiment-1 CNN (batch 64, SGD with
 * momentum) spends its time on the js backend, kernel by kernel, with 1
 * thread and with 2, in CPU time (process.cpuUsage: every thread's, user
 * and system) rather than wall time, so that other processes on a shared
 * machine move the numbers much less. From the 2-thread profile it also
 * gives the speedup 2 threads would reach on an idle machine: the CPU time
 * spent in kernel calls that went parallel is shared by two cores, the rest
 * (serial kernels, autograd, the optimizer) is not (Amdahl's law).
 */
import * as os from "node:os";
import { backend, manualSeed, nn, optim, rand, randint, tidy } from "../src";
import { JsBackend } from "../src/backend/js";
import { getNumThreads, internals, setNumThreads } from "../src/backend/js/parallel";
import { experiment1Model } from "./experiments/mnist";
import { printTable, writeResult } from "./util";

const STEPS = 12;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Profile {
  /** CPU ms per step, all threads. */
  cpuPerStep: number;
  wallPerStep: number;
  /** CPU ms per step in calls that handed work to other threads. */
  parallelPerStep: number;
  /** kernel name -> CPU ms per step. */
  kernels: Map<string, number>;
}

/**
 * Wraps every JsBackend method to add its CPU time (and whether it went parallel) to the current
 * tally. `restore` puts the methods back: `npm run bench` runs the other benches in this process.
 */
function instrument(): { tally: Map<string, number>; parallel: { ms: number }; restore: () => void } {
  const tally = new Map<string, number>();
  const parallel = { ms: 0 };
  const proto = JsBackend.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals: [string, (...a: unknown[]) => unknown][] = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = proto[name];
    if (name === "constructor" || typeof f !== "function") continue;
    originals.push([name, f]);
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const t = cpuMs(), jobs = internals.jobs;
      const r = f.apply(this, args);
      const dt = cpuMs() - t;
      const key = ["unary", "binary", "reduce"].includes(name) ? `${name} ${String(args[0])}` : name;
      tally.set(key, (tally.get(key) ?? 0) + dt);
      if (internals.jobs > jobs) parallel.ms += dt;
      return r;
    };
  }
  const restore = () => {
    for (const [name, f] of originals) proto[name] = f;
  };
  return { tally, parallel, restore };
}

function profile(threads: number, probe: ReturnType<typeof instrument>): Profile {
  setNumThreads(threads);
  manualSeed(0);
  const model = experiment1Model();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = rand([64, 1, 28, 28]);
  const y = randint(0, 10, [64]);
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      nn.functional.crossEntropy(model.forward(x), y).backward();
      opt.step();
    });
  for (let i = 0; i < 3; i++) step();
  probe.tally.clear();
  probe.parallel.ms = 0;
  const c0 = cpuMs(), t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const kernels = new Map([...probe.tally].map(([k, v]) => [k, v / STEPS]));
  return { cpuPerStep: (cpuMs() - c0) / STEPS, wallPerStep: (performance.now() - t0) / STEPS, parallelPerStep: probe.parallel.ms / STEPS, kernels };
}

export async function run(): Promise<void> {
  await backend.use("js");
  const before = getNumThreads();
  const probe = instrument();
  const load0 = os.loadavg()[0];
  let one: Profile, two: Profile;
  try {
    one = profile(1, probe);
    two = profile(2, probe);
  } finally {
    probe.restore();
    setNumThreads(before);
  }
  const load1 = os.loadavg()[0];

  const names = [...one.kernels.keys()].sort((a, b) => (one.kernels.get(b) ?? 0) - (one.kernels.get(a) ?? 0));
  const rows = names
    .filter((k) => (one.kernels.get(k) ?? 0) >= 0.5)
    .map((k) => [k, (one.kernels.get(k) ?? 0).toFixed(1), (two.kernels.get(k) ?? 0).toFixed(1)]);
  const rest = (p: Profile) => p.cpuPerStep - [...p.kernels.values()].reduce((a, b) => a + b, 0);
  rows.push(["(outside kernels: autograd, optimizer, tidy)", rest(one).toFixed(1), rest(two).toFixed(1)]);
  rows.push(["total CPU per step", one.cpuPerStep.toFixed(1), two.cpuPerStep.toFixed(1)]);
  printTable(`CPU ms per training step of the experiment-1 CNN, js backend, batch 64 (${STEPS} steps)`, ["kernel", "1 thread", "2 threads (all threads)"], rows);

  const serial = two.cpuPerStep - two.parallelPerStep;
  const idealWall = serial + two.parallelPerStep / 2;
  const bound = one.cpuPerStep / idealWall;
  console.log(`2 threads: ${two.parallelPerStep.toFixed(1)} ms of CPU per step in calls shared between threads, ${serial.toFixed(1)} ms not`);
  console.log(`so on an idle 2-core machine a step would take about ${idealWall.toFixed(0)} ms against ${one.cpuPerStep.toFixed(0)} ms on 1 thread: at most ${bound.toFixed(2)}x`);
  console.log(`wall time per step here: ${one.wallPerStep.toFixed(0)} ms (1 thread), ${two.wallPerStep.toFixed(0)} ms (2 threads); load average ${load0.toFixed(2)} -> ${load1.toFixed(2)} on ${os.cpus().length} cores`);
  writeResult("profile", {
    steps: STEPS,
    cpuPerStep: { 1: one.cpuPerStep, 2: two.cpuPerStep },
    wallPerStep: { 1: one.wallPerStep, 2: two.wallPerStep },
    parallelCpuPerStep: two.parallelPerStep,
    idealSpeedupBound: bound,
    kernels: { 1: Object.fromEntries(one.kernels), 2: Object.fromEntries(two.kernels) },
    loadAverage: [load0, load1],
  });
}
