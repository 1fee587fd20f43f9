import { resolve } from "node:path";
import { generateExercises } from "./generate";
import { grade, gradeSelf } from "./grader";

const USAGE = `usage:
  gradlab grade <submission.ipynb | folder> [--jobs N] [--timeout S] [--memory MB] [--out DIR] [--solutions DIR]
      grades every submission against the solutions (default solutions/) into DIR (default grades/):
      grades.csv, grades.json, feedback/<student>.md and .html. --timeout: seconds per cell or test
      (default 60); --memory: megabytes per submission (default 1536); --jobs: at a time (default 2).
  gradlab grade --self my.ipynb [--timeout S] [--memory MB]
      runs a notebook's own visible tests, as the grader would, and prints the table
  gradlab exercises [--check] [--solutions DIR] [--exercises DIR]
      writes exercises/ from solutions/; --check only says whether they are in sync (exit 1 if not)`;

function options(args: readonly string[]): { flags: Map<string, string | true>; rest: string[] } {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  const valued = new Set(["--jobs", "--timeout", "--memory", "--out", "--solutions", "--exercises"]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (valued.has(a)) {
      if (args[i + 1] === undefined) throw new Error(`gradlab: ${a} needs a value`);
      flags.set(a, args[++i]);
    } else if (a.startsWith("--")) flags.set(a, true);
    else rest.push(a);
  }
  return { flags, rest };
}

function positive(flags: Map<string, string | true>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n) || n <= 0) throw new Error(`gradlab grade: ${name} takes a positive number, not "${String(v)}"`);
  return n;
}

/** `gradlab grade ...`; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const { flags, rest } = options(args);
  if (flags.has("--help") || rest.length !== 1) {
    console.log(USAGE);
    return flags.has("--help") ? 0 : 2;
  }
  const timeoutS = positive(flags, "--timeout", 60);
  const memoryMb = positive(flags, "--memory", 1536);
  if (flags.has("--self")) {
    const r = await gradeSelf(rest[0], { timeoutS, memoryMb });
    for (const t of r.tests) console.log(`${t.passed ? "✓" : "✗"} ${t.id} ${t.name} (${t.earned}/${t.points})${t.passed ? "" : ": " + t.message}`);
    for (const n of r.notes) console.log(`note: ${n}`);
    console.log(`visible tests: ${r.earned}/${r.possible} points`);
    return 0;
  }
  const out = resolve(String(flags.get("--out") ?? "grades"));
  const report = await grade(rest[0], {
    jobs: Math.floor(positive(flags, "--jobs", 2)), timeoutS, memoryMb, out,
    solutions: String(flags.get("--solutions") ?? "solutions"),
    log: (l) => console.log(l),
  });
  for (const w of report.warnings) console.log(`warning: ${w}`);
  console.log(`graded ${report.submissions.length} submission(s) in ${report.seconds.toFixed(1)} s; wrote ${out}/grades.csv, grades.json and feedback/`);
  return 0;
}

/** `gradlab exercises [--check]`; returns the exit code. */
export function exercisesMain(args: readonly string[]): number {
  const { flags } = options(args);
  const solutions = resolve(String(flags.get("--solutions") ?? "solutions"));
  const exercises = resolve(String(flags.get("--exercises") ?? "exercises"));
  const check = flags.has("--check");
  const r = generateExercises({ solutions, exercises, check });
  if (check) {
    for (const f of r.changed) console.log(`out of sync: ${f}`);
    for (const f of r.orphans) console.log(`no solution for: ${f}`);
    const bad = r.changed.length + r.orphans.length;
    console.log(bad ? `exercises/ is out of sync with solutions/ (npm run exercises)` : `exercises/ is in sync with solutions/ (${r.files.length} notebooks)`);
    return bad ? 1 : 0;
  }
  for (const f of r.changed) console.log(`wrote ${f}`);
  for (const f of r.orphans) console.log(`warning: no solution for ${f}`);
  console.log(`${r.files.length} exercise notebook(s), ${r.changed.length} changed`);
  return 0;
}
