import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "../../kernel-ext/install";
import { findPython } from "../../kernel-ext/jupyter";
import { NotebookResult, runNotebooks } from "../../kernel-ext/notebooks";

/**
 * Shared by the kernel tests: the compiled kernel (Jupyter runs dist/, not
 * the TypeScript under test), the Python with Jupyter, and the fixture
 * notebook executed once per mocha run.
 */

export const ROOT = repoRoot();
export const FIXTURE = join(ROOT, "test", "kernel", "fixtures", "display.ipynb");

/** The kernel runs from dist/: rebuild when a source is newer than its output (a no-op under `npm test`). */
export function ensureBuilt(): void {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith(".ts") && !f.name.endsWith(".d.ts")) {
        const out = join(ROOT, "dist", relative(ROOT, p).replace(/\.ts$/, ".js"));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(relative(ROOT, p));
      }
    }
  };
  walk(join(ROOT, "src"));
  walk(join(ROOT, "kernel-ext"));
  if (!stale.length) return;
  // tsc writes its output even when some other file has type errors; what matters here is dist/.
  spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", ROOT], { stdio: "ignore", timeout: 300_000 });
  const kernel = join(ROOT, "dist", "kernel-ext", "kernel.js");
  if (!existsSync(kernel)) throw new Error(`the build did not produce ${kernel} (stale: ${stale.slice(0, 5).join(", ")})`);
}

/**
 * The Python that has `modules`. Jupyter is required for these tests, so its
 * absence fails them, loudly, with the way to install it.
 */
export function requirePython(modules: readonly string[]): string {
  const python = findPython(modules);
  if (!python) {
    throw new Error(
      `Jupyter is not installed: no Python with ${modules.join(", ")}. The kernel tests need it; on Debian: ` +
        "apt-get install jupyter-notebook python3-nbconvert python3-nbclient python3-jupyter-kernel-test chromium " +
        "(CI's .ci/run does this), or set GRADLAB_PYTHON to a Python that has them.",
    );
  }
  return python;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface ExecutedFixture {
  result: NotebookResult;
  notebook: Notebook;
  html: string;
  htmlPath: string;
}

let fixtureRun: Promise<ExecutedFixture> | undefined;

/** The fixture notebook, executed once (continue on error) with nbclient into HTML; later callers share the run. */
export function executeFixture(): Promise<ExecutedFixture> {
  fixtureRun ??= (async () => {
    ensureBuilt();
    requirePython(["nbclient", "nbconvert", "nbformat"]);
    const out = tempDir("gradlab-nb-");
    process.once("exit", () => rmSync(out, { recursive: true, force: true }));
    const [result] = await runNotebooks([FIXTURE], { out, html: true, allowErrors: true, timeout: 120 });
    const htmlPath = result.executed.replace(/\.ipynb$/, ".html");
    return {
      result,
      notebook: JSON.parse(readFileSync(result.executed, "utf8")) as Notebook,
      html: readFileSync(htmlPath, "utf8"),
      htmlPath,
    };
  })();
  return fixtureRun;
}

// The parts of nbformat 4 the tests read.
export interface Output {
  output_type: "execute_result" | "display_data" | "stream" | "error";
  data?: Record<string, unknown>;
  execution_count?: number | null;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
  metadata?: { tags?: string[] };
  id?: string;
}
export interface Notebook {
  cells: NotebookCell[];
}

/** The code cell tagged `tag` in the fixture (tags name what each cell shows). */
export function cellTagged(nb: Notebook, tag: string): NotebookCell {
  const cell = nb.cells.find((c) => c.metadata?.tags?.includes(tag));
  if (!cell) throw new Error(`fixture has no cell tagged ${tag}`);
  return cell;
}

export function text(v: unknown): string {
  return Array.isArray(v) ? v.join("") : String(v ?? "");
}
