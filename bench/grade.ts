/**
 * npm run bench -- grade: grades 40 submissions with --jobs 2 and reports the
 * wall time (target: at most 3 minutes on the course's 2-core machine). The
 * class is mostly honest (correct, partial, buggy, untouched, one with a type
 * error) with 12 hostile submissions from test/grade/corpus/ (loops, memory,
 * exits, snooping, patching): 30 %, far more than a real class, so the
 * number is a bound. When solutions/ exists, each of its notebooks and its
 * generated exercise join the class too.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { exerciseText } from "../src/grade/generate";
import { grade } from "../src/grade/grader";
import { printTable, repoRoot, writeResult } from "./util";

const HONEST: [string, number][] = [["correct", 10], ["partial-q1", 6], ["buggy", 6], ["untouched", 4], ["type-error", 2]];
const HOSTILE = ["loop-in-function", "loop-in-cell", "memory-cell", "heap-in-function", "exit-in-function", "really-exit-cell", "throws-on-load", "fake-score", "snoop", "writes-outside", "patch-helpers", "patch-builtins"];
const TOTAL = 40;
/** At most this many from solutions/ (each solution and its exercise): the quick first ones. */
const COURSE = 8;

export async function run(): Promise<void> {
  const root = repoRoot();
  const corpus = join(root, "test", "grade", "corpus");
  const expected = JSON.parse(readFileSync(join(corpus, "expected.json"), "utf8")) as Record<string, { total: number }>;
  const work = mkdtempSync(join(tmpdir(), "gradlab-bench-grade-"));
  const subs = join(work, "submissions");
  const sols = join(work, "solutions");
  mkdirSync(subs);
  mkdirSync(sols);
  copyFileSync(join(root, "test", "grade", "fixtures", "solutions", "fixture-relu.ipynb"), join(sols, "fixture-relu.ipynb"));
  const want = new Map<string, number>();
  const plan: { kind: string; from: string }[] = [];
  // solutions/ (the course's exercises), when this checkout has them: the solution and the untouched exercise.
  const courseDir = join(root, "solutions");
  const course = existsSync(courseDir) ? readdirSync(courseDir).filter((f) => f.endsWith(".ipynb")).sort() : [];
  for (const file of course.length ? readdirSync(courseDir).filter((f) => !f.endsWith(".ipynb")) : []) {
    if (statSync(join(courseDir, file)).isFile()) copyFileSync(join(courseDir, file), join(sols, file));
  }
  for (const f of course) {
    copyFileSync(join(courseDir, f), join(sols, f));
    if (plan.length >= COURSE) continue;
    plan.push({ kind: `solution:${f}`, from: join(courseDir, f) }, { kind: `exercise:${f}`, from: "" });
  }
  const honest = HONEST.flatMap(([k, n]) => Array.from({ length: n }, () => k));
  for (const k of [...HOSTILE, ...honest]) if (plan.length < TOTAL) plan.push({ kind: k, from: join(corpus, `${k}.ipynb`) });
  plan.forEach((p, i) => {
    const dir = join(subs, `student-${String(i + 1).padStart(2, "0")}`);
    mkdirSync(dir);
    if (p.kind.startsWith("exercise:")) {
      const f = p.kind.slice("exercise:".length);
      writeFileSync(join(dir, f), exerciseText(join(courseDir, f)));
    } else {
      const name = p.kind.startsWith("solution:") ? p.kind.slice("solution:".length) : "fixture-relu.ipynb";
      copyFileSync(p.from, join(dir, name));
      if (!p.kind.includes(":")) want.set(`student-${String(i + 1).padStart(2, "0")}`, expected[p.kind].total);
    }
  });
  const load = loadavg();
  console.log(`grading ${plan.length} submissions (${HOSTILE.length} hostile, ${course.length ? Math.min(course.length * 2, COURSE) + " from solutions/" : "no solutions/ in this checkout"}) with --jobs 2; load average before: ${load.map((l) => l.toFixed(2)).join(" ")}`);
  const t0 = Date.now();
  const report = await grade(subs, { jobs: 2, timeoutS: 5, memoryMb: 768, solutions: sols, out: join(work, "out"), log: (l) => console.log("  " + l) });
  const wall = (Date.now() - t0) / 1000;
  const loadAfter = loadavg();
  const wrong = report.submissions.filter((s) => want.has(s.student) && want.get(s.student) !== s.earned).map((s) => `${s.student}: ${s.earned}, expected ${want.get(s.student)}`);
  const runs = report.submissions.reduce((a, s) => a + s.runs, 0);
  printTable("grading 40 submissions, --jobs 2", ["submissions", "runs", "wall s", "submissions/s", "target s", "load before", "load after", "wrong scores"], [
    [plan.length, runs, wall.toFixed(1), (plan.length / wall).toFixed(3), 180, load[0].toFixed(2), loadAfter[0].toFixed(2), wrong.length],
  ]);
  for (const w of [...wrong, ...report.warnings]) console.log("  " + w);
  const file = writeResult("grade", {
    submissions: plan.length, hostile: HOSTILE.length, fromSolutions: Math.min(course.length * 2, COURSE), jobs: 2, timeoutS: 5, memoryMb: 768,
    runs, wallSeconds: wall, submissionsPerSecond: plan.length / wall, targetSeconds: 180, loadAverageBefore: load, loadAverageAfter: loadAfter,
    wrongScores: wrong, warnings: report.warnings,
  });
  console.log(`wrote ${file}`);
  rmSync(work, { recursive: true, force: true });
  if (wrong.length) process.exitCode = 1;
}
