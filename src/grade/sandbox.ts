import { spawn } from "node:child_process";
import { createCipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HarnessMessage, Job, JobCell } from "./harness";
import { repoRoot } from "../../kernel-ext/install";
import { hiddenKey } from "./hidden-key";

/**
 * Where submissions run: one fresh Node process each (harness.ts), under
 * - Node's permission model: reads only from gradlab's compiled library, the
 *   packages it needs and the submission's own folder (a copy, in a temporary
 *   folder); writes only there; no child processes, workers or native addons;
 * - a memory limit: --max-old-space-size, and an RSS watchdog that kills the
 *   process (typed arrays live outside the JS heap);
 * - a time limit per step (a cell or a test) and one for the whole run:
 *   exceeded, the process group is killed.
 * Nothing a submission should not see is readable: the solutions and hidden
 * tests stay with this process, which sends the hidden cells over the pipe
 * only after the submission's cells ran, and so does the out folder.
 */

export interface Limits {
  /** Seconds a single step (a cell or a test) may run. */
  stepTimeoutS: number;
  /** Seconds one run of the process may take in all. */
  runTimeoutS: number;
  /** Megabytes of resident memory (and of JS heap). */
  memoryMb: number;
}

export interface RunOutcome {
  /** Authenticated messages, in order. */
  messages: HarnessMessage[];
  /** When each message arrived, in ms after the process started (where the time goes). */
  times: number[];
  /** True when the harness said "done". */
  completed: boolean;
  /** Why the process was stopped, when it was: "timeout", "memory", "run-timeout", or how it exited. */
  stopped?: string;
  /** The step that was running when the process died or was stopped (or that poisoned the process). */
  culprit?: string;
  /** Steps stopped with SIGINT at the time limit (they ended, with an error, and the run went on). */
  interrupted: string[];
  /** Lines on fd 3 that did not authenticate (a submission trying to fake results). */
  forged: number;
  stderrTail: string;
  seconds: number;
}

export class Sandbox {
  readonly root: string;
  readonly base: string;
  private readonly runtime: string;
  private readonly readable: string[];
  private readonly harness: string;
  private counter = 0;

  constructor(root = repoRoot()) {
    this.root = root;
    this.harness = join(root, "dist", "src", "grade", "harness.js");
    if (!existsSync(this.harness)) throw new Error(`gradlab grade: ${this.harness} is missing; run npm run build`);
    this.base = realpathSync(mkdtempSync(join(tmpdir(), "gradlab-grade-")));
    this.runtime = join(this.base, "runtime");
    this.readable = this.stageRuntime();
  }

  /**
   * A node_modules in which "gradlab" is a real folder holding only the
   * compiled library (not a link to the checkout, which holds the solutions:
   * the permission model follows links), and every other package is a link
   * to the checkout's copy, each of them readable.
   */
  private stageRuntime(): string[] {
    const nm = join(this.root, "node_modules");
    const out = join(this.runtime, "node_modules");
    mkdirSync(join(out, "gradlab", "dist"), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(this.root, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(out, "gradlab", "package.json"), JSON.stringify({ name: pkg.name, version: pkg.version, main: pkg.main, types: pkg.types, exports: pkg.exports }));
    symlinkSync(join(this.root, "dist", "src"), join(out, "gradlab", "dist", "src"));
    const readable = [this.runtime, join(this.root, "dist", "src"), join(this.root, "dist", "kernel-ext"), join(this.root, "data")];
    for (const name of readdirSync(nm)) {
      if (name === "gradlab" || name.startsWith(".")) continue;
      const src = join(nm, name);
      // A package that is itself a link could point anywhere (into the checkout): leave it out.
      if (lstatSync(src).isSymbolicLink()) continue;
      symlinkSync(src, join(out, name));
      readable.push(src);
    }
    return readable;
  }

  /** A fresh folder for one run, with the submission's files copied in. */
  workdir(files: { from: string; name: string }[]): string {
    // base/w/N/nb is the submission's folder (writable); base/w/N/node_modules, beside it and not
    // writable, finds gradlab. Submissions cannot make links of their own (the permission model refuses).
    const parent = join(this.base, "w", String(++this.counter));
    const dir = join(parent, "nb");
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(this.runtime, "node_modules"), join(parent, "node_modules"));
    for (const f of files) cpSync(f.from, join(dir, f.name), { recursive: true, dereference: false });
    return dir;
  }

  dispose(): void {
    rmSync(this.base, { recursive: true, force: true });
  }

  /** One run of the harness: job in, authenticated messages out. Never rejects. */
  run(job: Omit<Job, "key">, hidden: JobCell[], workdir: string, limits: Limits): Promise<RunOutcome> {
    const key = randomBytes(32).toString("hex");
    const permission = Number(process.versions.node.split(".")[0]) >= 22 ? "--permission" : "--experimental-permission";
    const args = [
      permission,
      ...[...this.readable, workdir, join(workdir, "..", "node_modules")].map((p) => `--allow-fs-read=${p}`),
      `--allow-fs-write=${workdir}`,
      `--max-old-space-size=${limits.memoryMb}`,
      "--no-warnings",
      this.harness,
    ];
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: workdir,
      TMPDIR: workdir,
      GRADLAB_GRADING: "1",
      GRADLAB_THREADS: "1",
      NODE_ENV: "production",
    };
    if (process.env.GRADLAB_BACKEND) env.GRADLAB_BACKEND = process.env.GRADLAB_BACKEND;
    const started = Date.now();
    return new Promise<RunOutcome>((done) => {
      const child = spawn(process.execPath, args, { cwd: workdir, env, stdio: ["pipe", "pipe", "pipe", "pipe"], detached: true });
      const outcome: RunOutcome = { messages: [], times: [], completed: false, interrupted: [], forged: 0, stderrTail: "", seconds: 0 };
      let running: string | undefined;
      let stepTimer: NodeJS.Timeout | undefined;
      let finished = false;
      let seq = 0;
      const kill = (why?: string): void => {
        if (why && !outcome.stopped) {
          outcome.stopped = why;
          outcome.culprit ??= running;
        }
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      };
      const runTimer = setTimeout(() => kill("run-timeout"), limits.runTimeoutS * 1000);
      const watchdog = setInterval(() => {
        const rss = rssMb(child.pid);
        if (rss !== undefined && rss > limits.memoryMb) kill("memory");
      }, 100);
      let resend: NodeJS.Timeout | undefined;
      const onMessage = (msg: HarnessMessage): void => {
        clearInterval(resend);
        outcome.messages.push(msg);
        outcome.times.push(Date.now() - started);
        if (msg.t === "start") {
          running = msg.step;
          clearTimeout(stepTimer);
          const step = msg.step;
          // First SIGINT, which stops a busy loop or an await and lets the run go on; if the step
          // still has not ended a moment later (the submission caught or blocked it), the process goes.
          stepTimer = setTimeout(() => {
            outcome.interrupted.push(step);
            try {
              child.kill("SIGINT");
            } catch {
              /* gone */
            }
            stepTimer = setTimeout(() => kill("timeout"), 1500);
          }, limits.stepTimeoutS * 1000);
        } else if (msg.t === "cell" || msg.t === "result") {
          running = undefined;
          clearTimeout(stepTimer);
        } else if (msg.t === "hidden?") {
          // Encrypted, and sent again every 2 s until the next message: a read the submission left
          // pending on fd 0 may swallow one copy (and learns nothing from it).
          const line = "\n" + sealHidden(hidden, key) + "\n";
          const write = (): void => void child.stdin.write(line);
          write();
          resend = setInterval(write, 2000);
        } else if (msg.t === "poisoned") {
          outcome.culprit = msg.step;
          outcome.stopped = "poisoned";
        } else if (msg.t === "done") {
          outcome.completed = true;
          kill();
        }
      };
      let buf = "";
      child.stdio[3]?.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const msg = verify(line, key, seq);
          if (!msg) {
            outcome.forged++;
            continue;
          }
          seq = (msg as unknown as { seq: number }).seq;
          onMessage(msg);
        }
        if (buf.length > 1 << 20) buf = ""; // garbage without newlines
      });
      child.stdout.on("data", () => undefined);
      child.stderr.on("data", (c: Buffer) => (outcome.stderrTail = (outcome.stderrTail + c.toString("utf8")).slice(-4000)));
      child.stdin.on("error", () => undefined);
      child.stdio[3]?.on("error", () => undefined);
      child.on("error", (e) => {
        outcome.stopped ??= `could not start: ${e.message}`;
      });
      child.on("close", (code, signal) => {
        if (finished) return;
        finished = true;
        clearTimeout(runTimer);
        clearTimeout(stepTimer);
        clearInterval(watchdog);
        clearInterval(resend);
        if (!outcome.completed) {
          outcome.stopped ??= signal ? `killed by ${signal}` : `exited with code ${code}`;
          outcome.culprit ??= running;
        }
        outcome.seconds = (Date.now() - started) / 1000;
        done(outcome);
      });
      child.stdin.write(JSON.stringify({ ...job, key }) + "\n");
    });
  }
}

/** The hidden cells as one line of AES-256-GCM under a key derived from the run's key (see harness.ts). */
function sealHidden(hidden: JobCell[], key: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", hiddenKey(key, (s) => createHash("sha256").update(s).digest()), iv);
  const data = Buffer.concat([c.update(JSON.stringify({ hidden }), "utf8"), c.final()]);
  return JSON.stringify({ iv: iv.toString("base64"), tag: c.getAuthTag().toString("base64"), data: data.toString("base64") });
}

/** A message from fd 3 if its MAC is right and its sequence number follows `lastSeq`; else undefined. */
function verify(line: string, key: string, lastSeq: number): HarnessMessage | undefined {
  try {
    const env = JSON.parse(line) as { m?: unknown; h?: unknown };
    if (typeof env.m !== "string" || typeof env.h !== "string") return undefined;
    const want = createHmac("sha256", key).update(env.m).digest();
    const got = Buffer.from(env.h, "hex");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    const msg = JSON.parse(env.m) as HarnessMessage & { seq: number };
    if (msg.seq !== lastSeq + 1) return undefined;
    return msg;
  } catch {
    return undefined;
  }
}

function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
