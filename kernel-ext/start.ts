import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DISPLAY_NAME, installKernelSpec, repoRoot } from "./install";
import { findJupyter, howToGetJupyter, obtainJupyter } from "./jupyter";

/**
 * `npm start`: install the kernelspec, then serve `notebooks/` with JupyterLab
 * where it is installed, else the classic notebook, and print the URL to
 * open (also on a headless machine). Where there is no Jupyter it gets one
 * (obtainJupyter) or says what to install. Extra arguments go to Jupyter.
 * Returns the exit code.
 */
export async function start(args: readonly string[] = []): Promise<number> {
  const specDir = installKernelSpec();
  console.log(`gradlab: kernel "${DISPLAY_NAME}" installed in ${specDir}`);
  const found = findJupyter() ?? obtainJupyter();
  if (!found) {
    console.error(howToGetJupyter());
    return 1;
  }
  const root = repoRoot();
  const dir = existsSync(join(root, "notebooks")) ? join(root, "notebooks") : root;
  const flags = [found.app === "lab" ? "jupyterlab" : "notebook"];
  const headless = process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (headless && !args.includes("--browser")) flags.push("--no-browser");
  if (typeof process.getuid === "function" && process.getuid() === 0) flags.push("--allow-root");
  flags.push(...args.filter((a) => a !== "--browser"));
  console.log(`gradlab: starting ${found.app === "lab" ? "JupyterLab" : "the classic notebook"} on ${dir} (${found.python} -m ${flags.join(" ")})`);
  // The server's root is its working folder, so no flag differs between Lab, classic and Notebook 7.
  const child = spawn(found.python, ["-m", ...flags], { cwd: dir, stdio: ["inherit", "inherit", "pipe"] });
  let shown = false;
  child.stderr.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    const url = /https?:\/\/(?:127\.0\.0\.1|localhost)\S*token=\S+/.exec(chunk.toString())?.[0];
    if (url && !shown) {
      shown = true;
      console.log(`\ngradlab: open ${url}\n         and pick the kernel "${DISPLAY_NAME}". Ctrl+C stops the server.\n`);
    }
  });
  const stop = (): void => {
    child.kill("SIGINT");
    // Jupyter asks to confirm a first Ctrl+C; a second one within 5 s stops it.
    setTimeout(() => child.kill("SIGINT"), 300).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  return new Promise((done) => child.on("exit", (code) => done(code ?? 0)));
}
