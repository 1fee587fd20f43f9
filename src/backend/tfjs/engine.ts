import * as path from "node:path";
import type * as tfc from "@tensorflow/tfjs-core";
import { GradlabError } from "../../errors";

/** The TensorFlow.js namespace the kernels call (tfjs-core's API; tfjs-node re-exports the same). */
export type TF = typeof tfc;

/** A loaded, initialised TensorFlow.js engine. */
export interface Engine {
  /** Which package runs the kernels: "tfjs-node-gpu", "tfjs-node", "tfjs-backend-wasm", "tfjs-backend-cpu". */
  readonly name: string;
  readonly tf: TF;
  /** One line for `backend.info()`: version and what the engine found (GPU, SIMD, threads). */
  readonly description: string;
}

/** One way of getting an engine; `load` throws (or rejects) with the reason when it cannot. */
export interface EngineCandidate {
  readonly name: string;
  /** The npm package it needs, named in "not installed" reasons. */
  readonly pkg: string;
  load(): Promise<Engine>;
}

export interface Skipped {
  engine: string;
  reason: string;
}

export interface LoadResult {
  engine: Engine;
  /** The candidates before the winner, each with why it was passed over. */
  skipped: Skipped[];
}

/** The fallback order: CUDA through TensorFlow's C library, then its CPU build, then WebAssembly, then plain JS. */
export function defaultCandidates(): EngineCandidate[] {
  return [
    nodeCandidate("tfjs-node-gpu", "@tensorflow/tfjs-node-gpu"),
    nodeCandidate("tfjs-node", "@tensorflow/tfjs-node"),
    wasmCandidate(),
    cpuCandidate(),
  ];
}

/**
 * Tries the candidates in order; the first that loads and initialises wins.
 * GRADLAB_TFJS_ENGINE (a candidate's name) restricts the choice to that one,
 * to compare engines or to step around a broken one.
 */
export async function loadEngine(
  candidates: readonly EngineCandidate[] = defaultCandidates(),
  only: string | null = process.env.GRADLAB_TFJS_ENGINE || null,
): Promise<LoadResult> {
  if (only && !candidates.some((c) => c.name === only)) {
    throw new GradlabError("backend.use", `GRADLAB_TFJS_ENGINE=${only} names no engine; choose one of ${candidates.map((c) => c.name).join(", ")}`);
  }
  const skipped: Skipped[] = [];
  for (const c of candidates) {
    if (only && c.name !== only) {
      skipped.push({ engine: c.name, reason: `not tried: GRADLAB_TFJS_ENGINE=${only}` });
      continue;
    }
    try {
      return { engine: await c.load(), skipped };
    } catch (e) {
      skipped.push({ engine: c.name, reason: explain(e, c.pkg) });
    }
  }
  throw new GradlabError(
    "backend.use",
    `no TensorFlow.js engine could be loaded:\n${skipped.map((s) => `  ${s.engine}: ${s.reason}`).join("\n")}`,
  );
}

/** Raised by a candidate whose package loaded but whose engine did not start. */
export class EngineInitError extends Error {}

/** Turns what a failed load threw into one line a student can act on. */
export function explain(e: unknown, pkg: string): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: string }).code;
  const first = err.message.split("\n")[0].trim();
  if (err instanceof EngineInitError) return `init failed: ${err.message}`;
  if (/tfjs_binding\.node|native addon/i.test(err.message)) {
    return `native binding missing: its install script did not run or failed (npm rebuild ${pkg}); ${first}`;
  }
  if (code === "ERR_DLOPEN_FAILED" || /cannot open shared object|libtensorflow|libcud/i.test(err.message)) {
    return `native library could not be loaded: ${first}`;
  }
  if (code === "MODULE_NOT_FOUND") {
    return err.message.includes(`'${pkg}'`) ? `module not found (npm install ${pkg})` : `a dependency is missing: ${first}`;
  }
  return `failed to load: ${first}`;
}

// --- the real candidates -------------------------------------------------------

/*
 * Packages are loaded with require() at call time, never imported at the top:
 * the node engines are optional dependencies that are usually absent, and
 * loading a module has side effects (tfjs-node sets itself as tfjs' backend).
 */
function nodeCandidate(name: string, pkg: string): EngineCandidate {
  return {
    name,
    pkg,
    async load() {
      const tf = require(pkg) as TF;
      await initialise(tf, "tensorflow");
      const be = tf.backend() as { isUsingGpuDevice?: boolean };
      const gpu = be.isUsingGpuDevice === undefined ? "" : be.isUsingGpuDevice ? ", GPU device in use" : ", no GPU device found: running on the CPU";
      return { name, tf, description: `${name} ${tf.version_core} (TensorFlow C library${gpu})` };
    },
  };
}

function wasmCandidate(): EngineCandidate {
  const pkg = "@tensorflow/tfjs-backend-wasm";
  return {
    name: "tfjs-backend-wasm",
    pkg,
    async load() {
      const tf = require("@tensorflow/tfjs-core") as TF;
      const wasm = require(pkg) as typeof import("@tensorflow/tfjs-backend-wasm");
      // The .wasm binaries sit next to the package's node bundle; naming the
      // folder explicitly keeps that true when gradlab itself is bundled.
      wasm.setWasmPaths(path.dirname(require.resolve(`${pkg}/dist/tfjs-backend-wasm.wasm`)) + path.sep);
      await initialise(tf, "wasm");
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      return {
        name: "tfjs-backend-wasm",
        tf,
        description: `tfjs-backend-wasm ${tf.version_core} (${simd ? "SIMD" : "no SIMD"}, ${wasm.getThreadsCount()} thread)`,
      };
    },
  };
}

function cpuCandidate(): EngineCandidate {
  return {
    name: "tfjs-backend-cpu",
    pkg: "@tensorflow/tfjs-backend-cpu",
    async load() {
      const tf = require("@tensorflow/tfjs-core") as TF;
      require("@tensorflow/tfjs-backend-cpu");
      await initialise(tf, "cpu");
      return { name: "tfjs-backend-cpu", tf, description: `tfjs-backend-cpu ${tf.version_core} (plain JavaScript kernels)` };
    },
  };
}

/**
 * Makes `backendName` tfjs' active backend, or throws EngineInitError with
 * tfjs' own explanation. tfjs reports a failed init only through
 * console.warn (setBackend just returns false), so the warnings printed
 * during the switch are collected: they are the reason when it fails, and
 * are passed on unchanged when it succeeds.
 *
 * The wasm engine's Emscripten glue also installs process-wide
 * uncaughtException / unhandledRejection handlers that rethrow: in a test
 * runner or a Jupyter kernel they turn any stray rejection into a crash, so
 * the handlers it adds are removed again.
 */
export async function initialise(tf: TF, backendName: string): Promise<void> {
  const events = ["uncaughtException", "unhandledRejection"] as const;
  const before = events.map((ev) => new Set<unknown>(process.listeners(ev as "uncaughtException")));
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  let ok: boolean;
  try {
    ok = await tf.setBackend(backendName);
  } finally {
    console.warn = warn;
    events.forEach((ev, i) => {
      for (const l of process.listeners(ev as "uncaughtException")) if (!before[i].has(l)) process.removeListener(ev, l);
    });
  }
  if (!ok || tf.getBackend() !== backendName) {
    const said = warnings.map((w) => w.map(String).join(" ")).join(" ").replace(/\s+/g, " ").trim();
    throw new EngineInitError(said ? said.slice(0, 300) : `tf.setBackend("${backendName}") returned false`);
  }
  for (const w of warnings) warn(...w);
}
