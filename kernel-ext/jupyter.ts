import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
