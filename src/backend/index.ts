import { fail } from "../errors";
import type { Backend, BackendArray } from "./backend";
import { JsBackend } from "./js";

export type { Backend, BackendArray } from "./backend";

/**
 * Which backend new tensors are made on. Backends register themselves here
 * by name; `use` switches the default. The tfjs fast path registers itself
 * when `src/backend/tfjs` is loaded; its engine loads asynchronously, so it
 * is switched to with `await switchTo("tfjs")` (or `await ready()` when
 * GRADLAB_BACKEND=tfjs asks for it).
 */
interface Entry {
  make: () => Backend;
  options: BackendOptions;
  loaded: boolean;
}

export interface BackendOptions {
  /** What must finish before `make` can run (tfjs loads and starts its engine). */
  load?: () => Promise<void>;
  /** What runs the kernels, once loaded. */
  describe?: () => EngineReport | undefined;
}

export interface EngineReport {
  /** What runs the kernels, e.g. "tfjs-backend-wasm 4.22.0 (SIMD, 1 thread)". */
  engine: string;
  /** Engines tried before it, each with why it was passed over. */
  skipped: { engine: string; reason: string }[];
  /** Kernels the engine lacks that gradlab composed from the engine's own ops and registered into it (tfjs on wasm: Conv2DBackpropFilter). */
  composed?: string[];
}

export interface BackendInfo extends EngineReport {
  /** The backend this report is about (the active one unless another was asked for). */
  backend: string;
  /** The backend new tensors are made on. */
  active: string;
  available: string[];
}

const registry = new Map<string, Entry>();
const instances = new Map<string, Backend>();
let current: Backend | undefined;
/** The name current was registered under (a backend's own name may differ, e.g. a wrapper). */
let currentName: string | undefined;
/** A switchTo() still loading; tensors made meanwhile would land on the old backend, so active() refuses. */
let pending: { name: string; ticket: number } | undefined;
let tickets = 0;

export function register(name: string, make: () => Backend, options: BackendOptions = {}): void {
  registry.set(name, { make, options, loaded: !options.load });
  instances.delete(name);
}

/** Removes a backend (one a plugin or a test registered); the active one cannot be removed. */
export function unregister(name: string): void {
  if (currentName === name || pending?.name === name) fail("backend.use", `"${name}" is the active backend; switch away first`);
  registry.delete(name);
  instances.delete(name);
}

function entry(name: string): Entry {
  const e = registry.get(name);
  if (!e) fail("backend.use", `unknown backend "${name}"; available: ${[...registry.keys()].join(", ")}`);
  return e;
}

export function get(name: string): Backend {
  let b = instances.get(name);
  if (!b) {
    const e = entry(name);
    if (!e.loaded) {
      const env = process.env.GRADLAB_BACKEND === name ? ` (GRADLAB_BACKEND=${name}: run \`await backend.ready()\` once at startup)` : "";
      fail("backend.use", `the "${name}" backend loads its engine asynchronously: \`await backend.use("${name}")\` first${env}`);
    }
    b = e.make();
    instances.set(name, b);
  }
  return b;
}

/** Switches at once; the backend must be loaded already (the js backend always is). */
export function use(name: string): Backend {
  pending = undefined;
  current = get(name);
  currentName = name;
  return current;
}

/** Loads a backend's engine (once), without switching to it. */
export async function load(name: string): Promise<BackendInfo> {
  const e = entry(name);
  if (!e.loaded) {
    await e.options.load!();
    e.loaded = true;
  }
  return info(name);
}

/**
 * Loads the backend if needed and makes it the active one: what the public
 * `backend.use(name)` does. A loaded backend (js always) is switched to
 * before this returns, so not awaiting it is fine there.
 */
export function switchTo(name: string): Promise<BackendInfo> {
  const e = entry(name);
  if (e.loaded) {
    use(name);
    return Promise.resolve(info());
  }
  const ticket = ++tickets;
  pending = { name, ticket };
  return load(name).then(
    () => {
      // a later use()/switchTo() wins over this one
      if (pending?.ticket === ticket) use(name);
      return info();
    },
    (err: unknown) => {
      if (pending?.ticket === ticket) pending = undefined;
      throw err;
    },
  );
}

/** Honours GRADLAB_BACKEND (loading its engine), then reports on the active backend. */
export function ready(): Promise<BackendInfo> {
  return switchTo(process.env.GRADLAB_BACKEND ?? active().name);
}

export function active(): Backend {
  if (pending) fail("backend.use", `backend.use("${pending.name}") is still loading its engine; await it before making tensors`);
  if (!current) use(process.env.GRADLAB_BACKEND ?? "js");
  return current!;
}

export function available(): string[] {
  return [...registry.keys()];
}

/** What a backend runs on and, for tfjs, which engines it passed over and why. */
export function info(name?: string): BackendInfo {
  const activeName = pending ? pending.name : (currentName ?? process.env.GRADLAB_BACKEND ?? "js");
  const about = name ?? activeName;
  const e = entry(about);
  const report = e.options.describe?.() ?? {
    engine: e.loaded ? about : `not loaded yet (\`await backend.use("${about}")\` loads it)`,
    skipped: [],
  };
  return { backend: about, active: activeName, available: available(), ...report };
}

// --- memory ------------------------------------------------------------------

/** What tidy() needs from a backend whose arrays the garbage collector cannot free (tfjs). */
export interface ScopedMemory {
  beginScope(): void;
  /** Frees the arrays made since the matching beginScope, except `keep`. */
  endScope(keep: ReadonlySet<BackendArray>): void;
  /** Exempts an array from every open scope. */
  keep(x: BackendArray): void;
  memory(): MemoryInfo;
}

export interface MemoryInfo {
  backend: string;
  /** Arrays alive in the engine (tf.memory().numTensors on tfjs). */
  arrays: number;
  bytes: number;
  /** Arrays the open tidy() scopes will free when they end. */
  scoped: number;
  /** How many tidy() scopes are open. */
  depth: number;
}

/** The part of a Tensor that memory management looks at (no import: tensor.ts imports this module). */
export interface TensorLike {
  readonly data: BackendArray;
  readonly backend: Backend;
}

function scoped(b: Backend): (Backend & ScopedMemory) | undefined {
  return typeof (b as Partial<ScopedMemory>).beginScope === "function" ? (b as Backend & ScopedMemory) : undefined;
}

function isTensorLike(v: object): v is TensorLike & { grad?: unknown } {
  const t = v as Partial<TensorLike>;
  return t.data !== undefined && typeof t.backend?.read === "function";
}

/** The arrays of the tensors in `v` (and their .grad), looking into arrays, Maps, Sets and plain objects. */
function arraysIn(v: unknown, out: Set<BackendArray>, seen: Set<unknown>): void {
  if (v === null || typeof v !== "object" || seen.has(v)) return;
  seen.add(v);
  if (isTensorLike(v)) {
    out.add(v.data);
    arraysIn(v.grad, out, seen);
  } else if (Array.isArray(v) || v instanceof Set) {
    for (const x of v) arraysIn(x, out, seen);
  } else if (v instanceof Map) {
    for (const x of v.values()) arraysIn(x, out, seen);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) arraysIn(x, out, seen);
  }
}

/**
 * Runs fn and then frees every array the tfjs backend made during it, except
 * the tensors fn returns (found in arrays and plain objects too, with their
 * .grad). A training loop wraps each step in it:
 *
 *   for (const [x, y] of loader) {
 *     const loss = tidy(() => {
 *       const l = lossFn(model(x), y);
 *       l.backward();
 *       optimizer.step();   // in-place updates of parameters survive
 *       optimizer.zeroGrad();
 *       return l.item();    // a number: nothing to keep
 *     });
 *   }
 *
 * Parameters updated in place (copy_, add_, ...) keep their new values: the
 * arrays they hold were made outside the scope. A tensor made inside that
 * must outlive it (an optimizer's momentum buffer) is passed to keep().
 * Gradients computed inside are freed with the scope unless kept, so the
 * backward pass belongs inside it. Scopes nest; fn must be synchronous.
 * On the js backend (garbage collected) tidy just runs fn.
 */
export function tidy<T>(fn: () => T): T {
  const backends = [...instances.values()].map(scoped).filter((b): b is Backend & ScopedMemory => b !== undefined);
  for (const b of backends) b.beginScope();
  let result: T | undefined;
  let ok = false;
  try {
    result = fn();
    ok = true;
  } finally {
    const keep = new Set<BackendArray>();
    if (ok && !isPromise(result)) arraysIn(result, keep, new Set());
    for (const b of backends) b.endScope(keep);
  }
  if (isPromise(result)) fail("tidy", "fn returned a Promise: a scope cannot wait for async work (its arrays are already freed); await outside tidy and tidy each synchronous step");
  return result as T;
}

function isPromise(v: unknown): boolean {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

/** Exempts tensors from the open tidy() scopes: they live until dispose() or garbage collection. */
export function keep<T extends TensorLike>(t: T): T {
  scoped(t.backend)?.keep(t.data);
  return t;
}

/** Frees the tensors' storage now (tfjs); they must not be used afterwards. A no-op on js. */
export function dispose(...ts: TensorLike[]): void {
  for (const t of ts) t.backend.dispose(t.data);
}

/** Live arrays and bytes of a backend that manages its own memory; null for the garbage-collected js backend. */
export function memory(name?: string): MemoryInfo | null {
  const b = name ? get(name) : active();
  return scoped(b)?.memory() ?? null;
}

register("js", () => new JsBackend(), { describe: () => ({ engine: "js (TypeScript kernels on typed arrays)", skipped: [] }) });
