import assert from "node:assert/strict";
import * as backends from "../../src/backend";
import { GradlabError } from "../../src/errors";
import { JsBackend } from "../../src/backend/js";
import { EngineInitError, defaultCandidates, explain, initialise, loadEngine, type Engine, type EngineCandidate } from "../../src/backend/tfjs";
import type { TF } from "../../src/backend/tfjs/engine";
import { assertThrowsOp } from "../helpers";

/*
 * Engine loading: the fallback order tfjs-node-gpu, tfjs-node, wasm, cpu,
 * and the reason recorded for each engine passed over, with fake engines
 * that fail the way the real ones do; then the registry API around it
 * (loading, switching, info) with a fake slow-loading backend.
 */

/** The errors Node and tfjs really raise. */
const notInstalled = (pkg: string) =>
  Object.assign(new Error(`Cannot find module '${pkg}'\nRequire stack:\n- /work/main/src/backend/tfjs/engine.ts`), { code: "MODULE_NOT_FOUND" });
const bindingMissing = () =>
  Object.assign(new Error("Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'"), { code: "MODULE_NOT_FOUND" });
const libMissing = () =>
  Object.assign(new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory"), { code: "ERR_DLOPEN_FAILED" });

function fake(name: string, pkg: string, outcome: () => Promise<Engine>, log: string[]): EngineCandidate {
  return {
    name,
    pkg,
    load: () => {
      log.push(name);
      return outcome();
    },
  };
}
const engine = (name: string): Engine => ({ name, tf: {} as TF, description: `${name} (fake)` });

describe("tfjs engine loading", () => {
  it("falls back node-gpu -> node -> wasm -> cpu, recording why each was skipped", async () => {
    const log: string[] = [];
    const r = await loadEngine([
      fake("tfjs-node-gpu", "@tensorflow/tfjs-node-gpu", () => Promise.reject(notInstalled("@tensorflow/tfjs-node-gpu")), log),
      fake("tfjs-node", "@tensorflow/tfjs-node", () => Promise.reject(bindingMissing()), log),
      fake("tfjs-backend-wasm", "@tensorflow/tfjs-backend-wasm", () => Promise.reject(new EngineInitError("Initialization of backend wasm failed: no WebAssembly")), log),
      fake("tfjs-backend-cpu", "@tensorflow/tfjs-backend-cpu", () => Promise.resolve(engine("tfjs-backend-cpu")), log),
    ], null);
    assert.deepEqual(log, ["tfjs-node-gpu", "tfjs-node", "tfjs-backend-wasm", "tfjs-backend-cpu"]);
    assert.equal(r.engine.name, "tfjs-backend-cpu");
    assert.deepEqual(r.skipped.map((s) => s.engine), ["tfjs-node-gpu", "tfjs-node", "tfjs-backend-wasm"]);
    assert.equal(r.skipped[0].reason, "module not found (npm install @tensorflow/tfjs-node-gpu)");
    assert.match(r.skipped[1].reason, /^native binding missing: its install script did not run or failed \(npm rebuild @tensorflow\/tfjs-node\)/);
    assert.equal(r.skipped[2].reason, "init failed: Initialization of backend wasm failed: no WebAssembly");
  });

  it("stops at the first engine that works", async () => {
    const log: string[] = [];
    const r = await loadEngine([
      fake("tfjs-node-gpu", "@tensorflow/tfjs-node-gpu", () => Promise.resolve(engine("tfjs-node-gpu")), log),
      fake("tfjs-node", "@tensorflow/tfjs-node", () => Promise.resolve(engine("tfjs-node")), log),
    ], null);
    assert.equal(r.engine.name, "tfjs-node-gpu");
    assert.deepEqual(log, ["tfjs-node-gpu"]);
    assert.deepEqual(r.skipped, []);
  });

  it("fails with every reason when no engine loads", async () => {
    const log: string[] = [];
    await assert.rejects(
      loadEngine([
        fake("tfjs-node", "@tensorflow/tfjs-node", () => Promise.reject(libMissing()), log),
        fake("tfjs-backend-cpu", "@tensorflow/tfjs-backend-cpu", () => Promise.reject(notInstalled("@tensorflow/tfjs-backend-cpu")), log),
      ], null),
      (e: unknown) => {
        assert.ok(e instanceof GradlabError && e.op === "backend.use");
        assert.match(e.message, /tfjs-node: native library could not be loaded: libtensorflow\.so\.2/);
        assert.match(e.message, /tfjs-backend-cpu: module not found \(npm install @tensorflow\/tfjs-backend-cpu\)/);
        return true;
      },
    );
  });

  it("GRADLAB_TFJS_ENGINE picks one engine; an unknown name is an error", async () => {
    const log: string[] = [];
    const cands = ["tfjs-node", "tfjs-backend-wasm", "tfjs-backend-cpu"].map((n) => fake(n, n, () => Promise.resolve(engine(n)), log));
    const r = await loadEngine(cands, "tfjs-backend-cpu");
    assert.equal(r.engine.name, "tfjs-backend-cpu");
    assert.deepEqual(log, ["tfjs-backend-cpu"]);
    assert.deepEqual(r.skipped.map((s) => s.reason), ["not tried: GRADLAB_TFJS_ENGINE=tfjs-backend-cpu", "not tried: GRADLAB_TFJS_ENGINE=tfjs-backend-cpu"]);
    await assert.rejects(loadEngine(cands, "webgl"), /GRADLAB_TFJS_ENGINE=webgl names no engine/);
  });

  it("explain() sorts real failures: a missing dependency is not the package itself", () => {
    assert.match(explain(notInstalled("@tensorflow/tfjs"), "@tensorflow/tfjs-node"), /^a dependency is missing: Cannot find module '@tensorflow\/tfjs'$/);
    assert.equal(explain(new TypeError("x is not a function\n  at y"), "p"), "failed to load: x is not a function");
    assert.equal(explain("weird", "p"), "failed to load: weird");
  });

  it("initialise() reports tfjs' own warning when setBackend fails, and removes process handlers added meanwhile", async () => {
    const handler = () => undefined;
    const failing = {
      setBackend: async () => {
        console.warn("Initialization of backend wasm failed");
        console.warn("Error: both async and sync fetching of the wasm failed");
        process.on("unhandledRejection", handler);
        return false;
      },
      getBackend: () => "cpu",
    } as unknown as TF;
    await assert.rejects(initialise(failing, "wasm"), (e: unknown) => {
      assert.ok(e instanceof EngineInitError);
      assert.equal(e.message, "Initialization of backend wasm failed Error: both async and sync fetching of the wasm failed");
      return true;
    });
    assert.ok(!process.listeners("unhandledRejection").includes(handler), "the handler added during init was removed");
    const working = { setBackend: async () => true, getBackend: () => "wasm" } as unknown as TF;
    await initialise(working, "wasm");
  });

  it("here: the real candidates come in the documented order, and the winner follows the skipped ones", async () => {
    assert.deepEqual(defaultCandidates().map((c) => c.name), ["tfjs-node-gpu", "tfjs-node", "tfjs-backend-wasm", "tfjs-backend-cpu"]);
    const info = await backends.load("tfjs");
    const order = defaultCandidates().map((c) => c.name);
    const winner = order[info.skipped.length];
    assert.deepEqual(info.skipped.map((s) => s.engine), order.slice(0, info.skipped.length));
    assert.ok(info.engine.startsWith(winner), `${info.engine} is ${winner}`);
    for (const s of info.skipped) {
      let installed = true;
      try {
        require.resolve(defaultCandidates().find((c) => c.name === s.engine)!.pkg);
      } catch {
        installed = false;
      }
      if (!installed && !s.reason.startsWith("not tried")) assert.match(s.reason, /^module not found \(npm install @tensorflow\//);
    }
  });
});

describe("backend registry: loading, switching, info", () => {
  let release: () => void = () => undefined;
  let loaded = false;
  before(() => {
    backends.register("slow", () => new JsBackend(), {
      load: () => new Promise<void>((r) => (release = r)).then(() => void (loaded = true)),
      describe: () => (loaded ? { engine: "a fake engine", skipped: [{ engine: "faster", reason: "not here" }] } : undefined),
    });
  });
  after(() => {
    backends.use("js");
    backends.unregister("slow");
  });

  it("an unloaded backend: info says so, get() says how to load it, and switchTo() blocks tensor creation until loaded", async () => {
    backends.use("js");
    assert.match(backends.info("slow").engine, /not loaded yet/);
    assertThrowsOp(() => backends.get("slow"), "backend.use", 'await backend.use("slow")');
    const switching = backends.switchTo("slow");
    assertThrowsOp(() => backends.active(), "backend.use", "still loading");
    release();
    const info = await switching;
    assert.equal(backends.active().name, "js", "the fake backend is a JsBackend");
    assert.equal(info.active, "slow");
    assert.equal(info.engine, "a fake engine");
    assert.deepEqual(info.skipped, [{ engine: "faster", reason: "not here" }]);
    assert.ok(info.available.includes("slow"));
  });

  it("switchTo() of a loaded backend takes effect before it returns; use() during a pending switch wins", async () => {
    backends.register("slow2", () => new JsBackend(), { load: () => new Promise<void>((r) => setTimeout(r, 5)) });
    try {
      const p = backends.switchTo("slow2");
      backends.use("js");
      await p;
      assert.equal(backends.info().active, "js");
      void backends.switchTo("tfjs").catch(() => undefined);
      await backends.switchTo("js");
      assert.equal(backends.active().name, "js");
    } finally {
      backends.unregister("slow2");
    }
  });

  it("ready() honours GRADLAB_BACKEND", async () => {
    const saved = process.env.GRADLAB_BACKEND;
    process.env.GRADLAB_BACKEND = "tfjs";
    try {
      const info = await backends.ready();
      assert.equal(info.active, "tfjs");
      assert.equal(backends.active().name, "tfjs");
    } finally {
      if (saved === undefined) delete process.env.GRADLAB_BACKEND;
      else process.env.GRADLAB_BACKEND = saved;
      backends.use("js");
    }
  });
});
