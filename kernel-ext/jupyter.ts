import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./install";

/**
 * Finding the Jupyter on this machine, by asking Pythons for its modules
 * (`python -m jupyterlab` works where a `jupyter` script on PATH may belong
 * to another Python, or be a pyenv shim with nothing behind it).
 */

export interface JupyterFound {
  python: string;
  /** "lab" where JupyterLab is installed, else the classic notebook. */
  app: "lab" | "notebook";
}

/** Pythons to try, best first: GRADLAB_PYTHON, the checkout's .venv, the system one, the first on PATH. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [
    env.GRADLAB_PYTHON,
    join(repoRoot(), ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python"),
    "/usr/bin/python3",
    "/usr/local/bin/python3",
    "python3",
    "python",
  ];
  return [...new Set(list.filter((p): p is string => !!p && (!p.includes("/") || existsSync(p))))];
}

/** True when `python` runs and imports every module named. */
export function hasModules(python: string, modules: readonly string[]): boolean {
  const r = spawnSync(python, ["-c", `import ${modules.join(", ")}`], { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

/** The first Python with `modules`, or undefined. */
export function findPython(modules: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  return pythonCandidates(env).find((p) => hasModules(p, modules));
}

export function findJupyter(env: NodeJS.ProcessEnv = process.env): JupyterFound | undefined {
  const candidates = pythonCandidates(env);
  for (const python of candidates) if (hasModules(python, ["jupyterlab"])) return { python, app: "lab" };
  for (const python of candidates) if (hasModules(python, ["notebook"])) return { python, app: "notebook" };
  return undefined;
}

/** What to tell someone who has no Jupyter (or no nbclient), with the commands that get one. */
export function howToGetJupyter(what = "Jupyter"): string {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = `${root ? "" : "sudo "}apt-get install jupyter-notebook python3-nbconvert python3-nbclient`;
  return [
    `gradlab: no ${what} found (looked in: ${pythonCandidates().join(", ")}).`,
    "Get one, then run this again:",
    "  python3 -m pip install --user jupyterlab        # JupyterLab, any system with pip",
    `  ${apt}   # Debian/Ubuntu: the classic notebook`,
    "Or point GRADLAB_PYTHON at a Python that has it.",
  ].join("\n");
}

/** What obtainJupyter does to the machine, injectable so its choices can be tested without installing anything. */
export interface ObtainSteps {
  /** Runs a command with its output shown; returns the exit status (null when it could not start or timed out). */
  run(cmd: string, args: readonly string[], timeoutMs: number): number | null;
  removeDir(dir: string): void;
  /** A Python that can make a virtual environment, if any. */
  basePython: string | undefined;
  /** Whether Debian's packages can be installed here (root, with apt-get). */
  canApt: boolean;
  find(): JupyterFound | undefined;
  log(message: string): void;
}

function realSteps(): ObtainSteps {
  const base = pythonCandidates().filter((p) => !p.includes(".venv")).find((p) => hasModules(p, ["venv", "ensurepip"]));
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return {
    run: (cmd, args, timeout) => spawnSync(cmd, args, { stdio: "inherit", timeout }).status,
    removeDir: (dir) => rmSync(dir, { recursive: true, force: true }),
    basePython: base,
    canApt: root && existsSync("/usr/bin/apt-get"),
    find: () => findJupyter(),
    log: (m) => console.log(m),
  };
}

/**
 * `npm start` on a machine without Jupyter gets one: JupyterLab in the
 * checkout's `.venv` where PyPI answers, else Debian's classic notebook where
 * it runs as root; else returns undefined (and the caller says what to
 * install). Nothing is changed outside the checkout except by apt-get.
 */
export function obtainJupyter(steps: ObtainSteps = realSteps()): JupyterFound | undefined {
  const venv = join(repoRoot(), ".venv");
  if (steps.basePython) {
    steps.log(`gradlab: no Jupyter found; installing JupyterLab into ${venv} (pip) ...`);
    const py = join(venv, "bin", "python");
    const ok = steps.run(steps.basePython, ["-m", "venv", venv], 120_000) === 0 &&
      steps.run(py, ["-m", "pip", "install", "--disable-pip-version-check", "--retries", "0", "--timeout", "15", "jupyterlab"], 900_000) === 0;
    if (ok) return { python: py, app: "lab" };
    steps.log("gradlab: pip could not install JupyterLab (is PyPI reachable?)");
    steps.removeDir(venv);
  }
  if (steps.canApt) {
    steps.log("gradlab: installing Debian's classic notebook (apt-get install jupyter-notebook) ...");
    const env = ["DEBIAN_FRONTEND=noninteractive"];
    if (steps.run("/usr/bin/env", [...env, "apt-get", "update"], 600_000) === 0 &&
        steps.run("/usr/bin/env", [...env, "apt-get", "install", "-y", "--no-install-recommends", "jupyter-notebook"], 900_000) === 0) {
      return steps.find();
    }
  }
  return undefined;
}
