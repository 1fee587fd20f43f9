import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

/**
 * The "TypeScript (gradlab)" kernelspec: a kernel.json in the user's Jupyter
 * data folder that starts this checkout's kernel (dist/kernel-ext/kernel.js)
 * with this Node. Written directly (Jupyter reads the folder), so installing
 * needs no Python and no `jupyter kernelspec` command.
 */

export const KERNEL_NAME = "gradlab";
export const DISPLAY_NAME = "TypeScript (gradlab)";

/** The checkout this file belongs to (the folder with gradlab's package.json). */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "gradlab") return dir;
    if (dirname(dir) === dir) throw new Error(`gradlab: no gradlab package.json above ${__dirname}`);
  }
}

/** Jupyter's per-user data folder, as jupyter_core computes it: JUPYTER_DATA_DIR, else the platform's place. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return resolve(env.JUPYTER_DATA_DIR);
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return join(env.APPDATA ?? join(homedir(), "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

export interface InstallOptions {
  name?: string;
  displayName?: string;
  /** Jupyter data folder to install into (default: the user's). */
  dataDir?: string;
  /** Extra environment for the kernel process (e.g. GRADLAB_BACKEND). */
  env?: Record<string, string>;
}

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal";
  env: Record<string, string>;
  metadata: { gradlab: { root: string } };
}

export function kernelSpec(opts: InstallOptions = {}): KernelSpec {
  const root = repoRoot();
  return {
    argv: [process.execPath, join(root, "dist", "kernel-ext", "kernel.js"), "{connection_file}"],
    display_name: opts.displayName ?? DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    env: opts.env ?? {},
    metadata: { gradlab: { root } },
  };
}

/** Writes kernels/<name>/kernel.json (replacing an older one) and returns its folder. */
export function installKernelSpec(opts: InstallOptions = {}): string {
  const dir = join(opts.dataDir ?? userDataDir(), "kernels", opts.name ?? KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kernel.json"), JSON.stringify(kernelSpec(opts), null, 2) + "\n");
  return dir;
}

export function uninstallKernelSpec(opts: Pick<InstallOptions, "name" | "dataDir"> = {}): boolean {
  const dir = join(opts.dataDir ?? userDataDir(), "kernels", opts.name ?? KERNEL_NAME);
  if (!existsSync(dir)) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}
