import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installKernelSpec, KERNEL_NAME, repoRoot } from "./install";
import { findPython, howToGetJupyter } from "./jupyter";

export interface NotebookResult {
  notebook: string;
  ok: boolean;
  seconds: number;
  error: string | null;
  /** The executed copy (.ipynb); the HTML, when asked for, lies beside it. */
  executed: string;
}

export interface RunOptions {
  /** Where executed copies (and HTML) go. */
  out: string;
  html?: boolean;
  /** Run every cell even after one fails (`stop_on_error` false). */
  allowErrors?: boolean;
  /** Seconds per cell; 0 for no limit. */
  timeout?: number;
  /** Extra environment for the kernel (e.g. GRADLAB_QUICK=1). */
  env?: Record<string, string>;
  /** Called with each notebook's result as it finishes. */
  onResult?: (r: NotebookResult) => void;
}

/**
 * Executes notebooks headless with nbclient in a fresh gradlab kernel each,
 * through a kernelspec installed in a private Jupyter data folder (so running
 * them changes nothing in the user's Jupyter setup). Throws when no Python has
 * nbclient.
 */
export async function runNotebooks(paths: readonly string[], opts: RunOptions): Promise<NotebookResult[]> {
  const python = findPython(["nbclient", "nbformat", ...(opts.html ? ["nbconvert"] : [])]);
  if (!python) throw new Error(howToGetJupyter("Python with nbclient and nbconvert"));
  const dataDir = mkdtempSync(join(tmpdir(), "gradlab-jupyter-"));
  installKernelSpec({ dataDir });
  const args = [join(repoRoot(), "kernel-ext", "run_notebooks.py"), "--kernel", KERNEL_NAME, "--out", resolve(opts.out), "--timeout", String(opts.timeout ?? 600)];
  if (opts.html) args.push("--html");
  if (opts.allowErrors) args.push("--allow-errors");
  args.push(...paths.map((p) => resolve(p)));
  const results: NotebookResult[] = [];
  try {
    await new Promise<void>((done, fail) => {
      const child = spawn(python, args, { env: { ...process.env, ...opts.env, JUPYTER_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        let nl: number;
        while ((nl = out.indexOf("\n")) >= 0) {
          const lineText = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          if (!lineText.startsWith("{")) continue;
          const r = JSON.parse(lineText) as NotebookResult;
          results.push(r);
          opts.onResult?.(r);
        }
      });
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.on("error", fail);
      child.on("exit", () => {
        if (results.length < paths.length) fail(new Error(`run_notebooks.py stopped after ${results.length} of ${paths.length} notebooks:\n${err.slice(-4000)}`));
        else done();
      });
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}

/**
 * `npm run notebooks [-- FILES] [--write] [--quick] [--timeout S] [--allow-errors]`:
 * executes notebooks/*.ipynb (or FILES) headless into dist/notebooks/ with HTML.
 * `--write` copies each executed notebook that ran without error back over its
 * source, which is how a chapter is committed with the outputs of a full run;
 * `--quick` sets GRADLAB_QUICK=1. Cells have no time limit unless `--timeout`
 * gives one (a full MNIST run takes longer than any sensible default).
 * Returns the exit code.
 */
export async function runAllNotebooks(args: readonly string[] = []): Promise<number> {
  const root = repoRoot();
  const dir = join(root, "notebooks");
  const given = args.filter((a) => a.endsWith(".ipynb"));
  const paths = given.length ? given : readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(dir, f));
  if (!paths.length) {
    console.log(`gradlab: no notebooks in ${dir}`);
    return 0;
  }
  const write = args.includes("--write");
  const t = args.indexOf("--timeout");
  const timeout = t >= 0 ? Number(args[t + 1]) : 0;
  if (!Number.isFinite(timeout) || timeout < 0) throw new Error(`gradlab notebooks: --timeout takes seconds, not "${args[t + 1]}"`);
  const out = join(root, "dist", "notebooks");
  console.log(`gradlab: executing ${paths.length} notebook(s) into ${out}${write ? ", writing the executed copies back" : ""}`);
  const results = await runNotebooks(paths, {
    out, html: true, allowErrors: args.includes("--allow-errors"), timeout,
    env: args.includes("--quick") ? { GRADLAB_QUICK: "1" } : {},
    onResult: (r) => {
      console.log(`${r.ok ? "ok  " : "FAIL"} ${r.notebook} (${r.seconds} s)${r.error ? "\n     " + r.error : ""}`);
      if (write && r.ok) {
        copyFileSync(r.executed, r.notebook);
        console.log(`     wrote ${r.notebook}`);
      }
    },
  });
  const failed = results.filter((r) => !r.ok).length;
  console.log(`gradlab: ${results.length - failed} of ${results.length} notebooks ran without error`);
  return failed ? 1 : 0;
}
