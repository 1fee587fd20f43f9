import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { exerciseOf, readNotebook, stableJson } from "./notebook";

export interface GenerateResult {
  /** Exercise files whose content is (check) or was (write) different from the solution's. */
  changed: string[];
  /** Notebooks in the exercises folder that no solution produces. */
  orphans: string[];
  /** Every exercise file, in order. */
  files: string[];
}

/** The exercise notebook text for one solution file (deterministic). */
export function exerciseText(solutionFile: string): string {
  return stableJson(exerciseOf(readNotebook(solutionFile), basename(solutionFile)));
}

/**
 * `npm run exercises`: every `solutions/*.ipynb` to `exercises/*.ipynb`.
 * With `check`, writes nothing and reports what is out of sync.
 */
export function generateExercises(opts: { solutions: string; exercises: string; check?: boolean }): GenerateResult {
  if (!existsSync(opts.solutions)) throw new Error(`gradlab exercises: no solutions folder ${opts.solutions}`);
  const names = readdirSync(opts.solutions).filter((f) => f.endsWith(".ipynb")).sort();
  const result: GenerateResult = { changed: [], orphans: [], files: [] };
  if (!opts.check) mkdirSync(opts.exercises, { recursive: true });
  for (const name of names) {
    const target = join(opts.exercises, name);
    const text = exerciseText(join(opts.solutions, name));
    result.files.push(target);
    const now = existsSync(target) ? readFileSync(target, "utf8") : undefined;
    if (now === text) continue;
    result.changed.push(target);
    if (!opts.check) writeFileSync(target, text);
  }
  if (existsSync(opts.exercises)) {
    for (const f of readdirSync(opts.exercises).filter((f) => f.endsWith(".ipynb")).sort()) {
      if (!names.includes(f)) result.orphans.push(join(opts.exercises, f));
    }
  }
  return result;
}
