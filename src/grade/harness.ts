/**
 * The child side of `gradlab grade`: one fresh Node process per submission,
 * started by sandbox.ts under the permission model. It runs the submission's
 * cells with gradlab's kernel (kernel-ext/kernel.ts, tslab underneath, so a
 * cell behaves as in Jupyter), then the solution's visible tests cells, then
 * asks for the hidden cells, and runs every registered test.
 *
 * The submission is untrusted and runs in this very process, so:
 * - what the harness needs (fs.readSync/writeSync, the HMAC, JSON, Reflect,
 *   the timers) is taken when this module loads, before any submission code;
 * - the job (with the per-run HMAC key) is read from fd 0 before the first
 *   cell; the hidden cells are sent only after the submission's cells ran, and
 *   read at once with a blocking read, so no submission callback sees them;
 * - every message to the grader goes over fd 3, one line each, with a MAC of
 *   the per-run key and a sequence number: stdout and stderr count for
 *   nothing, and a line the submission writes to fd 3 cannot be authenticated;
 * - built-ins and gradlab's classes are restored from a snapshot after every
 *   cell, before every test and at every assertion (realm.ts);
 * - process.exit and friends throw; whatever still kills or hangs this
 *   process is handled by the parent, which reruns without the step.
 */
// require, not import: esModuleInterop's namespace copies are read-only, and the harness patches the real modules.
const fs = require("node:fs") as typeof import("node:fs");
const crypto = require("node:crypto") as typeof import("node:crypto");
const timersModule = require("node:timers") as typeof import("node:timers");
const vm = require("node:vm") as typeof import("node:vm");
const { sep } = require("node:path") as typeof import("node:path");
const { hiddenKey } = require("./hidden-key") as typeof import("./hidden-key");

const apply = Reflect.apply;
const readSync = fs.readSync;
const writeSync = fs.writeSync;
const jsonStringify = JSON.stringify;
const jsonParse = JSON.parse;
const createHmac = crypto.createHmac;
const hmacProto = Object.getPrototypeOf(createHmac("sha256", "probe")) as { update: (d: string) => unknown; digest: (enc: string) => string };
const hmacUpdate = hmacProto.update;
const hmacDigest = hmacProto.digest;
const createDecipheriv = crypto.createDecipheriv;
const createHash = crypto.createHash;
const decipherProbe = createDecipheriv("aes-256-gcm", Buffer.alloc(32), Buffer.alloc(12));
const decipherProto = Object.getPrototypeOf(decipherProbe) as { update: (d: Buffer) => Buffer; final: () => Buffer; setAuthTag: (t: Buffer) => unknown };
const decipherUpdate = decipherProto.update;
const decipherFinal = decipherProto.final;
const decipherSetAuthTag = decipherProto.setAuthTag;
const hashProto = Object.getPrototypeOf(createHash("sha256")) as { update: (d: string) => unknown; digest: () => Buffer };
const hashUpdate = hashProto.update;
const hashDigest = hashProto.digest;
const bufferFrom = Buffer.from;
const bufferConcat = Buffer.concat;
const bufferAlloc = Buffer.alloc;
const bufferToString = Buffer.prototype.toString;
const strIndexOf = String.prototype.indexOf;
const strSlice = String.prototype.slice;
const setAdd = Set.prototype.add;
const setDelete = Set.prototype.delete;
const SetCtor = Set;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const atomicsWait = Atomics.wait;
// process.reallyExit: the exit that skips 'exit' listeners a submission may have added
const realExit = (process as unknown as { reallyExit(code: number): never }).reallyExit.bind(process);
const clearTimeoutFn = clearTimeout;
const clearIntervalFn = clearInterval;
const clearImmediateFn = clearImmediate;
const defineProperty = Reflect.defineProperty;
const deleteProperty = Reflect.deleteProperty;

// A test's function is called from inside a vm script run with breakOnSigint, as tslab runs cells,
// so the SIGINT the grader sends when a test runs past its time stops a busy loop in it too.
const callKey = "__gradlab_call_" + crypto.randomBytes(8).toString("hex");
const callScript = new vm.Script(`globalThis[${JSON.stringify(callKey)}]()`);
const runScript = vm.Script.prototype.runInThisContext;
function interruptible<T>(f: () => T): T {
  defineProperty(globalThis, callKey, { value: f, configurable: true });
  try {
    return apply(runScript, callScript, [{ breakOnSigint: true }]) as T;
  } finally {
    deleteProperty(globalThis, callKey);
  }
}

/** One code cell to run: `step` names it in the protocol (and in a skip list). */
export interface JobCell {
  step: string;
  code: string;
}

/** The first line on fd 0. */
export interface Job {
  key: string;
  cells: JobCell[];
  tests: JobCell[];
  /** Steps (cells or tests "test:<id>/<name>") not to run: an earlier run died in them. */
  skip: string[];
}

/** What goes back on fd 3 (inside the authenticated envelope). */
export type HarnessMessage =
  | { t: "ready" }
  | { t: "start"; step: string }
  | { t: "cell"; step: string; ok: boolean; error: string }
  | { t: "hidden?" }
  | { t: "tests"; tests: { step: string; id: string; name: string; points: number; hidden: boolean; cell: string; tampered: boolean }[] }
  | { t: "result"; step: string; passed: boolean; message: string; ms: number }
  | { t: "poisoned"; step: string; why: string }
  | { t: "done" };

let inbuf = "";
function readLine(): string {
  for (;;) {
    const nl = apply(strIndexOf, inbuf, ["\n"]) as number;
    if (nl >= 0) {
      const line = apply(strSlice, inbuf, [0, nl]) as string;
      inbuf = apply(strSlice, inbuf, [nl + 1]) as string;
      return line;
    }
    const buf = bufferAlloc(1 << 16);
    let n = 0;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      // fd 0 turns non-blocking if the submission touched process.stdin
      if ((e as { code?: string }).code === "EAGAIN") {
        apply(atomicsWait, Atomics, [sleepCell, 0, 0, 5]);
        continue;
      }
      throw e;
    }
    if (n === 0) realExit(3);
    inbuf += apply(bufferToString, buf, ["utf8", 0, n]) as string;
  }
}


/**
 * The hidden cells, from the next line on fd 0 that decrypts (AES-256-GCM under the run's key):
 * a read the submission left pending on fd 0 may take a line first, but learns nothing from it,
 * and the grader sends the line again until the harness answers.
 */
function readHidden(cipherKey: Buffer): JobCell[] {
  for (;;) {
    const line = readLine();
    try {
      const box = jsonParse(line) as { iv: string; tag: string; data: string };
      const d = createDecipheriv("aes-256-gcm", cipherKey, bufferFrom(box.iv, "base64"));
      apply(decipherSetAuthTag, d, [bufferFrom(box.tag, "base64")]);
      const plain = bufferConcat([apply(decipherUpdate, d, [bufferFrom(box.data, "base64")]) as Buffer, apply(decipherFinal, d, []) as Buffer]);
      return (jsonParse(apply(bufferToString, plain, ["utf8"]) as string) as { hidden: JobCell[] }).hidden;
    } catch {
      /* a partial line, or garbage: the next one */
    }
  }
}

function main(): void {
  const job = jsonParse(readLine()) as Job;
  const key = job.key;
  job.key = "";
  const cipherKey = hiddenKey(key, (s) => {
    const h = createHash("sha256");
    apply(hashUpdate, h, [s]);
    return apply(hashDigest, h, []) as Buffer;
  });
  const skip = new SetCtor<string>(job.skip);
  let seq = 0;
  const send = (msg: HarnessMessage): void => {
    const m = jsonStringify({ seq: ++seq, ...msg });
    const h = createHmac("sha256", key);
    apply(hmacUpdate, h, [m]);
    const line = "\n" + jsonStringify({ m, h: apply(hmacDigest, h, ["hex"]) }) + "\n";
    try {
      writeSync(3, line);
    } catch {
      realExit(4); // the channel is gone (the submission closed fd 3): the parent reruns without this step
    }
  };

  // Timers a submission starts would otherwise keep running (and patching) while the tests run.
  const timers = new SetCtor<unknown>();
  const track = <F extends (...a: never[]) => unknown>(f: F): F =>
    function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
      const handle = apply(f, this, args) as ReturnType<F>;
      apply(setAdd, timers, [handle]);
      return handle;
    } as F;
  const g = globalThis as Record<string, unknown>;
  const tm = timersModule as unknown as Record<string, unknown>;
  for (const name of ["setTimeout", "setInterval", "setImmediate"]) {
    const wrapped = track(g[name] as (...a: never[]) => unknown);
    g[name] = wrapped;
    try {
      tm[name] = wrapped;
    } catch {
      /* a read-only module namespace: the global one is what cells use */
    }
  }
  const clearTimers = (): void => {
    for (const h of timers) {
      clearTimeoutFn(h as NodeJS.Timeout);
      clearIntervalFn(h as NodeJS.Timeout);
      clearImmediateFn(h as NodeJS.Immediate);
      apply(setDelete, timers, [h]);
    }
  };
  const refuse = (what: string) => (): never => {
    throw new Error(`${what} is not available while grading`);
  };
  process.exit = refuse("process.exit") as typeof process.exit;
  process.abort = refuse("process.abort") as typeof process.abort;
  process.kill = refuse("process.kill") as typeof process.kill;

  // The permission model refuses file watching, which TypeScript's watch host (inside tslab) asks
  // for on every file it looks up; nothing here changes on disk while a submission runs, so a watcher
  // that never fires is the same thing.
  const quiet = { close: () => undefined, ref: () => quiet, unref: () => quiet, on: () => quiet, once: () => quiet, addListener: () => quiet, removeAllListeners: () => quiet };
  const fsw = fs as unknown as Record<string, unknown>;
  fsw.watch = () => quiet;
  fsw.watchFile = () => quiet;
  fsw.unwatchFile = () => undefined;

  // Loaded after the captures above; the kernel pulls in tslab and TypeScript.
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { createKernel } = require("../../kernel-ext/kernel") as typeof import("../../kernel-ext/kernel");
  const gradlab = require("../index") as typeof import("../index");
  const api = require("./api") as typeof import("./api");
  const guard = require("./guard") as typeof import("./guard");
  const { RealmSnapshot } = require("./realm") as typeof import("./realm");
  const backends = require("../backend") as typeof import("../backend");
  const { Tensor } = require("../tensor/tensor") as typeof import("../tensor/tensor");

  // The grader's own modules are readable (a submission can find them from argv[1] or
  // require.cache) and TypeScript's CommonJS calls across modules read their exports objects at
  // each call, so replacing `api.runTest` or `guard.guardBeforeAssert` would have graded every test
  // as passed. Exports are written only while a module loads: freezing them now changes nothing else.
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(__dirname + sep)) Object.freeze(require.cache[id]?.exports);
  }
  Object.freeze(RealmSnapshot.prototype);
  const kernel = createKernel(process.cwd());
  // The kernel's class is reachable the same way; its execute is taken now, before any cell.
  const execute = kernel.execute.bind(kernel);
  // Library code reaches the kernel through a hook on globalThis; the submission must not get the
  // kernel itself (it runs the solution's cells), only what displays need.
  const { installKernelHook } = require("../display/hook") as typeof import("../display/hook");
  const hook = Object.freeze({
    send: (b: Parameters<typeof kernel.send>[0], o?: Parameters<typeof kernel.send>[1]) => kernel.send(b, o),
    clearOutput: (w?: boolean) => kernel.clearOutput(w),
    track: (w: Promise<unknown>) => kernel.track(w),
    get interrupts(): number {
      return kernel.interrupts;
    },
    session: kernel.session,
  });
  installKernelHook(hook);
  // As in the kernel: an error thrown from a timer or an unhandled rejection is reported, not fatal.
  process.on("uncaughtException", (err) => kernel.writeStderr(`Uncaught exception: ${String(err)}\n`));
  process.on("unhandledRejection", (reason) => kernel.writeStderr(`Unhandled promise rejection: ${String(reason)}\n`));
  // SIGINT from the grader: a step ran past its time. A cell's busy loop is stopped by tslab's
  // breakOnSigint, an await by the kernel's interrupt; a test's likewise (interruptible, stop).
  let rejectStop: (e: Error) => void = () => undefined;
  const newStop = (): Promise<never> => {
    const p = new Promise<never>((_, reject) => (rejectStop = reject));
    p.catch(() => undefined);
    return p;
  };
  process.on("SIGINT", () => {
    kernel.interrupt();
    rejectStop(new Error("interrupted"));
  });
  const locals = kernel.executor.locals as Record<string, unknown>;
  const tslabGlobal = (globalThis as { __tslab__?: { exports: unknown; require: unknown } }).__tslab__;
  const tslabFields = tslabGlobal ? { exports: tslabGlobal.exports, require: tslabGlobal.require } : undefined;

  void run();

  async function run(): Promise<void> {
    // The first compile starts TypeScript's language service (seconds): done before any step's clock starts.
    await execute({ code: "0", silent: true, store_history: false }, () => undefined);
    const gradlabRoots: object[] = [gradlab, Tensor, Tensor.prototype, backends.active(), Object.getPrototypeOf(backends.active()) as object];
    for (const v of Object.values(gradlab)) if ((typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) || typeof v === "function") gradlabRoots.push(v as object);
    const gradlabSnap = new RealmSnapshot(gradlabRoots, { depth: 2, keepAdded: gradlabRoots, skip: [locals, kernel, hook, gradlab.defaultGenerator] });
    const realm = new RealmSnapshot([globalThis], { depth: 3, keepAdded: [globalThis], skip: [locals, kernel, hook, ...(tslabGlobal ? [tslabGlobal] : []), gradlab], shallow: [process] });
    const restore = (): string[] => {
      const stuck = [...realm.restore(), ...gradlabSnap.restore()];
      if (tslabGlobal && tslabFields) {
        (globalThis as { __tslab__?: unknown }).__tslab__ = tslabGlobal;
        tslabGlobal.exports = tslabFields.exports;
        tslabGlobal.require = tslabFields.require;
      }
      return stuck;
    };
    guard.installGrader({
      beforeAssert: () => {
        const stuck = restore();
        if (stuck.length) throw new Error(`the submission changed built-in objects in a way that cannot be undone (${stuck[0]})`);
      },
    });
    send({ t: "ready" });

    const runCell = async (cell: JobCell): Promise<{ ok: boolean; error: string }> => {
      const reply = await execute({ code: cell.code, stop_on_error: false }, () => undefined);
      const ok = reply.status === "ok";
      const error = ok ? "" : `${String(reply.ename)}: ${String(reply.evalue)}`;
      return { ok, error: error.length > 2000 ? error.slice(0, 2000) + "…" : error };
    };
    /** Runs a step; false when it left the process in a state the grader cannot trust (it has then said so). */
    const afterStep = (step: string): boolean => {
      const stuck = restore();
      if (!stuck.length) return true;
      send({ t: "poisoned", step, why: `changed built-in objects in a way that cannot be undone (${stuck[0]})` });
      return false;
    };

    for (const cell of job.cells) {
      if (skip.has(cell.step)) continue;
      send({ t: "start", step: cell.step });
      const r = await runCell(cell);
      if (!afterStep(cell.step)) return realExit(0);
      send({ t: "cell", step: cell.step, ...r });
    }
    clearTimers();
    // The tests come from the solution, and so do the helpers they call: the submission's bindings do not count.
    api.clearTests();
    const rebind = (): void => {
      locals.grading = gradlab.grading;
      locals.test = gradlab.grading.test;
      locals.check = gradlab.grading.check;
      locals.expect = gradlab.grading.expect;
    };
    const visibleCells = job.tests;
    send({ t: "hidden?" });
    const hidden = readHidden(cipherKey);
    const registered: { step: string; t: import("./api").RegisteredTest; hidden: boolean; cell: string; tampered: boolean }[] = [];
    const seen = new SetCtor<string>();
    const helpersIntact = (): boolean =>
      locals.test === gradlab.grading.test && locals.expect === gradlab.grading.expect && locals.check === gradlab.grading.check && locals.grading === gradlab.grading;
    for (const [cells, isHidden] of [[visibleCells, false], [hidden, true]] as const) {
      for (const cell of cells) {
        rebind();
        send({ t: "start", step: cell.step });
        const r = await runCell(cell);
        // A test cell's own code only registers tests (the contract); if what it called swapped the
        // helpers meanwhile, what it registered cannot be trusted.
        const intact = helpersIntact();
        if (!afterStep(cell.step)) return realExit(0);
        send({ t: "cell", step: cell.step, ...r });
        for (const t of api.registeredTests()) {
          const step = `test:${t.id}/${t.name}`;
          if (seen.has(step)) continue;
          seen.add(step);
          registered.push({ step, t, hidden: isHidden, cell: cell.step, tampered: !intact });
        }
      }
    }
    clearTimers();
    // Registered twice, or no longer the object first registered: something replaced it.
    const current = new Map<string, import("./api").RegisteredTest>(api.registeredTests().map((t) => [`test:${t.id}/${t.name}`, t]));
    for (const r of registered) if (api.registrationCount(r.t.id, r.t.name) > 1 || current.get(r.step) !== r.t) r.tampered = true;
    send({ t: "tests", tests: registered.map((r) => ({ step: r.step, id: r.t.id, name: r.t.name, points: r.t.points, hidden: r.hidden, cell: r.cell, tampered: r.tampered })) });
    for (const r of registered) {
      if (skip.has(r.step)) continue;
      if (r.tampered) {
        send({ t: "start", step: r.step });
        send({ t: "result", step: r.step, passed: false, message: "not run: the submission replaced the test helpers or this test while the tests were registered", ms: 0 });
        continue;
      }
      send({ t: "start", step: r.step });
      rebind();
      restore();
      const res = await api.runTest(r.t, (fn) => interruptible(fn), newStop());
      if (!afterStep(r.step)) return realExit(0);
      const message = res.message.length > 2000 ? res.message.slice(0, 2000) + "…" : res.message;
      send({ t: "result", step: r.step, passed: res.passed, message, ms: res.ms });
    }
    send({ t: "done" });
    realExit(0);
  }
}

main();
