import { existsSync } from "node:fs";
import { join } from "node:path";
import { DISPLAY_NAME, installKernelSpec, kernelSpec, uninstallKernelSpec } from "./install";
import { runAllNotebooks } from "./notebooks";
import { start } from "./start";

const USAGE = `usage: gradlab <command>
  kernel install [--name NAME] [--display-name TEXT] [--data-dir DIR]
                      register "${DISPLAY_NAME}" with Jupyter (user level)
  kernel uninstall [--name NAME] [--data-dir DIR]
  kernel spec         print the kernel.json that install writes
  start [JUPYTER ARGS] install the kernel and open notebooks/ in Jupyter (npm start)
  notebooks [FILES] [--write] [--quick] [--timeout S]
                      execute notebooks headless into dist/notebooks/ with HTML (npm run notebooks);
                      --write copies each one that ran cleanly back over its source
  grade ...           grade submissions (see the README; gradlab grade --help)
  exercises [--check] write exercises/ from solutions/ (npm run exercises)`;

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The `gradlab` command (bin/gradlab.js). Returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const [cmd, sub, ...rest] = args;
  if (cmd === "kernel") {
    const opts = { name: option(rest, "--name"), displayName: option(rest, "--display-name"), dataDir: option(rest, "--data-dir") };
    if (sub === "install") {
      console.log(`installed kernel "${opts.displayName ?? DISPLAY_NAME}" in ${installKernelSpec(opts)}`);
      return 0;
    }
    if (sub === "uninstall") {
      console.log(uninstallKernelSpec(opts) ? "kernel removed" : "no such kernel installed");
      return 0;
    }
    if (sub === "spec") {
      console.log(JSON.stringify(kernelSpec(opts), null, 2));
      return 0;
    }
  } else if (cmd === "start") {
    return start(args.slice(1));
  } else if (cmd === "notebooks") {
    return runAllNotebooks(args.slice(1));
  } else if (cmd === "grade" || cmd === "exercises") {
    // The grader and the exercise generator live in src/grade/, loaded only when asked for.
    const cli = join(__dirname, "..", "src", "grade", "cli.js");
    if (!existsSync(cli)) {
      console.error(`gradlab ${cmd}: the grader is not built (npm run build)`);
      return 1;
    }
    const grade = require(cli) as { main(args: readonly string[]): number | Promise<number>; exercisesMain(args: readonly string[]): number };
    return cmd === "grade" ? grade.main(args.slice(1)) : grade.exercisesMain(args.slice(1));
  } else if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
    console.log(USAGE);
    return 0;
  }
  console.error(USAGE);
  return 2;
}
