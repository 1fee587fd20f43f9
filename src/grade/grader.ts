import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { escapeHtml } from "../display/bundle";
import type { JobCell } from "./harness";
import { manualQuestions, Notebook, parseNotebook, readNotebook, roleOf, sourceOf } from "./notebook";
import { Limits, RunOutcome, Sandbox } from "./sandbox";

export interface GradeOptions {
  /** Submissions run at the same time. */
  jobs: number;
  /** Seconds a cell or a test may run. */
  timeoutS: number;
  /** Megabytes of memory per submission. */
  memoryMb: number;
  /** Where grades.csv, grades.json and feedback/ go (not with --self). */
  out?: string;
  /** The folder of solution notebooks. */
  solutions: string;
  /** Runs of one submission at most: each rerun leaves out the step that stopped the one before. */
  maxRuns?: number;
  log?: (line: string) => void;
}

export interface TestScore {
  id: string;
  name: string;
  points: number;
  earned: number;
  passed: boolean;
  hidden: boolean;
  /** The failure message, or why the test did not run; empty when it passed. */
  message: string;
}

export interface QuestionScore {
  id: string;
  earned: number;
  possible: number;
  /** Graded by hand: the student's answer, copied for the teacher. */
  manual?: { answer: string };
}

export interface SubmissionGrade {
  student: string;
  file: string;
  exercise: string;
  questions: QuestionScore[];
  tests: TestScore[];
  earned: number;
  possible: number;
  /** What went wrong in the student's own cells, and steps the grader had to stop. */
  notes: string[];
  runs: number;
  seconds: number;
}

export interface GradeReport {
  exercises: { id: string; title: string; questions: { id: string; points: number; manual: boolean }[] }[];
  submissions: SubmissionGrade[];
  /** Reference solutions that did not earn full points (the solution or its tests need fixing). */
  warnings: string[];
  seconds: number;
}

interface TestInfo {
  step: string;
  id: string;
  name: string;
  points: number;
  hidden: boolean;
  /** The solution cell that registered it. */
  cell?: string;
  tampered?: boolean;
}

interface Exercise {
  id: string;
  title: string;
  file: string;
  nb: Notebook;
  tests: JobCell[];
  hidden: JobCell[];
  /** The tests and their points, from running the solution itself. */
  reference: TestInfo[];
  manual: { id: string; points: number }[];
}

function codeCells(nb: Notebook, roles: (string | undefined)[], prefix: string): JobCell[] {
  const cells: JobCell[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type === "code" && roles.includes(roleOf(c).role)) cells.push({ step: `${prefix}:${i}`, code: sourceOf(c) });
  });
  return cells;
}

/** The cells of a submission that the student wrote or was given: everything but tests and hidden cells. */
function studentCells(nb: Notebook): JobCell[] {
  return codeCells(nb, [undefined, "setup", "solution"], "cell");
}

function stopReason(o: RunOutcome, limits: Limits): string {
  const s = o.stopped ?? "";
  if (s === "timeout") return `stopped: ran longer than ${limits.stepTimeoutS} s`;
  if (s === "run-timeout") return `stopped: the whole run took longer than ${limits.runTimeoutS} s`;
  if (s === "memory") return `stopped: used more than ${limits.memoryMb} MB of memory`;
  if (s === "poisoned") {
    const p = o.messages.find((m) => m.t === "poisoned");
    return `stopped: ${p && p.t === "poisoned" ? p.why : "left the process in a state the grader cannot trust"}`;
  }
  if (/^exited with code/.test(s)) return `stopped: ended the grading process (${s})`;
  if (/^killed by/.test(s)) return `stopped: the grading process was ${s}`;
  return `stopped: ${s}`;
}

function stepLabel(step: string): string {
  if (step.startsWith("test:")) return `test ${step.slice(5)}`;
  const [kind, i] = step.split(":");
  return kind === "cell" ? `cell ${i}` : `${kind === "tests" ? "tests" : "hidden"} cell ${i} of the solution`;
}

/** A pool of `n` workers over `items`, in order of start. */
async function pool<T, R>(items: T[], n: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

interface RunResult {
  cells: Map<string, { ok: boolean; error: string }>;
  tests: TestInfo[] | undefined;
  results: Map<string, { passed: boolean; message: string }>;
  skipped: Map<string, string>;
  /** Steps of the last run stopped at the time limit by SIGINT. */
  interrupted: Set<string>;
  runs: number;
  seconds: number;
  notes: string[];
}

/** Runs one notebook to the end, rerunning without each step that stops the process, `maxRuns` times at most. */
async function runToEnd(sandbox: Sandbox, files: { from: string; name: string }[], cells: JobCell[], tests: JobCell[], hidden: JobCell[], limits: Limits, maxRuns: number): Promise<RunResult> {
  const skipped = new Map<string, string>();
  const notes: string[] = [];
  let runs = 0, seconds = 0;
  let last: RunOutcome | undefined;
  for (;;) {
    runs++;
    const workdir = sandbox.workdir(files);
    const o = await sandbox.run({ cells, tests, skip: [...skipped.keys()] }, hidden, workdir, limits);
    seconds += o.seconds;
    last = o;
    if (o.forged) notes.push(`the grader ignored ${o.forged} unauthenticated line(s) on its results channel`);
    if (o.completed) break;
    if (!o.culprit || skipped.has(o.culprit)) {
      notes.push(`the grading process stopped outside any cell or test (${o.stopped ?? "unknown"})${o.stderrTail ? ": " + o.stderrTail.trim().split("\n").slice(-3).join(" | ") : ""}`);
      break;
    }
    const why = stopReason(o, limits);
    skipped.set(o.culprit, why);
    notes.push(`${stepLabel(o.culprit)} ${why}; graded the rest in a fresh process`);
    if (runs >= maxRuns) {
      notes.push(`gave up after ${runs} runs: steps after the last one that ran got nothing`);
      break;
    }
  }
  const cellResults = new Map<string, { ok: boolean; error: string }>();
  const results = new Map<string, { passed: boolean; message: string }>();
  let testList: TestInfo[] | undefined;
  for (const m of last?.messages ?? []) {
    if (m.t === "cell") cellResults.set(m.step, { ok: m.ok, error: m.error });
    else if (m.t === "tests") testList = m.tests;
    else if (m.t === "result") results.set(m.step, { passed: m.passed, message: m.message });
  }
  const interrupted = new Set(last?.interrupted ?? []);
  const timedOut = `stopped: ran longer than ${limits.stepTimeoutS} s`;
  for (const step of interrupted) {
    if (results.has(step)) results.set(step, { passed: false, message: timedOut });
    if (cellResults.has(step)) {
      cellResults.delete(step);
      notes.push(`${stepLabel(step)} ${timedOut}`);
    }
  }
  return { cells: cellResults, tests: testList, results, skipped, interrupted, runs, seconds, notes: [...new Set(notes)] };
}

/** The files a submission brings: its whole folder when it is alone there (weights beside it), else the notebook. */
function submissionFiles(file: string): { from: string; name: string }[] {
  const dir = dirname(file);
  const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb"));
  if (notebooks.length === 1) {
    return readdirSync(dir).filter((f) => f !== ".ipynb_checkpoints").map((f) => ({ from: join(dir, f), name: f }));
  }
  // Beside other notebooks: the notebook, and the files next to it that it names (its weights).
  const text = readFileSync(file, "utf8");
  const named = readdirSync(dir).filter((f) => !f.endsWith(".ipynb") && !f.startsWith(".") && text.includes(f) && statSync(join(dir, f)).isFile());
  return [{ from: file, name: basename(file) }, ...named.map((f) => ({ from: join(dir, f), name: f }))];
}

function findNotebooks(path: string): string[] {
  if (statSync(path).isFile()) return [resolve(path)];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir).sort()) {
      if (f.startsWith(".")) continue;
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".ipynb")) out.push(resolve(p));
    }
  };
  walk(path);
  return out;
}

function studentOf(file: string, root: string | undefined): string {
  if (!root) return basename(file, ".ipynb");
  const rel = relative(root, file);
  const first = rel.split(sep)[0];
  return first.endsWith(".ipynb") ? basename(first, ".ipynb") : first;
}

function loadExercises(dir: string): Map<string, Exercise> {
  const out = new Map<string, Exercise>();
  if (!existsSync(dir)) throw new Error(`gradlab grade: no solutions folder ${dir} (--solutions DIR)`);
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
    const file = join(dir, f);
    const nb = readNotebook(file);
    const id = nb.metadata.gradlab?.exercise ?? basename(f, ".ipynb");
    out.set(id, {
      id, title: nb.metadata.gradlab?.title ?? id, file, nb,
      tests: codeCells(nb, ["tests"], "tests"),
      hidden: codeCells(nb, ["hidden"], "hidden"),
      reference: [],
      manual: manualQuestions(nb).map((q) => ({ id: q.id, points: q.points })),
    });
  }
  return out;
}

function matchExercise(exercises: Map<string, Exercise>, nb: Notebook | undefined, file: string): Exercise | undefined {
  const id = nb?.metadata.gradlab?.exercise;
  if (id && exercises.has(id)) return exercises.get(id);
  const name = basename(file, ".ipynb");
  for (const ex of exercises.values()) if (basename(ex.file, ".ipynb") === name) return ex;
  for (const ex of exercises.values()) if (file.includes(basename(ex.file, ".ipynb"))) return ex;
  return undefined;
}

function questionsOf(ex: Exercise): { id: string; points: number; manual: boolean }[] {
  const qs = new Map<string, { id: string; points: number; manual: boolean }>();
  for (const t of ex.reference) {
    const q = qs.get(t.id) ?? { id: t.id, points: 0, manual: false };
    q.points += t.points;
    qs.set(t.id, q);
  }
  for (const m of ex.manual) qs.set(m.id, { id: m.id, points: m.points, manual: true });
  return [...qs.values()];
}

/** Grades every submission under `target` (a notebook or a folder) against the solutions; writes the outputs when `out` is set. */
export async function grade(target: string, opts: GradeOptions): Promise<GradeReport> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const limits: Limits = { stepTimeoutS: opts.timeoutS, runTimeoutS: Math.max(opts.timeoutS * 4, 60), memoryMb: opts.memoryMb };
  const maxRuns = opts.maxRuns ?? 5;
  const exercises = loadExercises(resolve(opts.solutions));
  const files = findNotebooks(target);
  const root = statSync(target).isDirectory() ? resolve(target) : undefined;
  const sandbox = new Sandbox();
  const warnings: string[] = [];
  try {
    const subs = files.map((file) => {
      let nb: Notebook | undefined, error: string | undefined;
      try {
        nb = parseNotebook(readFileSync(file, "utf8"), basename(file));
      } catch (e) {
        error = (e as Error).message;
      }
      return { file, nb, error, ex: matchExercise(exercises, nb, file), student: studentOf(file, root) };
    });
    // The solutions themselves first: their run names the tests and their points.
    const needed = [...new Set(subs.map((s) => s.ex).filter((e): e is Exercise => e !== undefined))];
    await pool(needed, opts.jobs, async (ex) => {
      const r = await runToEnd(sandbox, submissionFiles(ex.file), studentCells(ex.nb), ex.tests, ex.hidden, limits, 1);
      ex.reference = r.tests ?? [];
      const lost = ex.reference.filter((t) => !r.results.get(t.step)?.passed);
      if (!r.tests) warnings.push(`${ex.id}: the solution did not run to its tests (${r.notes.join("; ")})`);
      for (const t of lost) warnings.push(`${ex.id}: the solution fails its own test ${t.id} "${t.name}": ${r.results.get(t.step)?.message ?? "did not run"}`);
      log(`reference ${ex.id}: ${ex.reference.length} tests, ${r.seconds.toFixed(1)} s${lost.length ? `, ${lost.length} FAILING` : ""}`);
    });
    const submissions = await pool(subs, opts.jobs, async (s): Promise<SubmissionGrade> => {
      const t0 = Date.now();
      const base: SubmissionGrade = { student: s.student, file: s.file, exercise: s.ex?.id ?? "", questions: [], tests: [], earned: 0, possible: 0, notes: [], runs: 0, seconds: 0 };
      if (!s.ex) {
        base.notes.push("no solution matches this notebook (metadata.gradlab.exercise or the file name)");
        log(`${s.student}: ${basename(s.file)}: no matching exercise`);
        return base;
      }
      const ex = s.ex;
      let run: RunResult | undefined;
      if (s.nb) run = await runToEnd(sandbox, submissionFiles(s.file), studentCells(s.nb), ex.tests, ex.hidden, limits, maxRuns);
      else base.notes.push(s.error ?? "not a notebook");
      const g = scoreOf(base, ex, s.nb, run);
      g.seconds = (Date.now() - t0) / 1000;
      log(`${g.student}: ${ex.id} ${g.earned}/${g.possible} (${g.runs} run${g.runs === 1 ? "" : "s"}, ${g.seconds.toFixed(1)} s)`);
      return g;
    });
    const report: GradeReport = {
      exercises: needed.map((ex) => ({ id: ex.id, title: ex.title, questions: questionsOf(ex) })),
      submissions, warnings, seconds: (Date.now() - started) / 1000,
    };
    if (opts.out) writeOutputs(report, opts.out);
    return report;
  } finally {
    sandbox.dispose();
  }
}

function scoreOf(g: SubmissionGrade, ex: Exercise, nb: Notebook | undefined, run: RunResult | undefined): SubmissionGrade {
  const qs = questionsOf(ex);
  const order = qs.map((q) => q.id);
  const byQuestion = [...ex.reference].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  // Each solution cell must register what it registered in the solution's own run, no more, no less.
  const seq = (list: TestInfo[], cell: string | undefined): string => JSON.stringify(list.filter((x) => x.cell === cell).map((x) => x.step));
  const interfered = new Set((run?.tests ?? []).filter((t) => seq(run?.tests ?? [], t.cell) !== seq(ex.reference, t.cell)).map((t) => t.cell));
  const tests: TestScore[] = byQuestion.map((t) => {
    if (interfered.has(t.cell)) {
      return { id: t.id, name: t.name, points: t.points, earned: 0, passed: false, hidden: t.hidden, message: "not run: the tests this solution cell registered differ from the solution's own (the submission interfered with them)" };
    }
    const r = run?.results.get(t.step);
    const skippedWhy = run?.skipped.get(t.step);
    const passed = r?.passed === true;
    const message = passed ? "" : r ? r.message : skippedWhy ?? "did not run (the grading stopped before it)";
    return { id: t.id, name: t.name, points: t.points, earned: passed ? t.points : 0, passed, hidden: t.hidden, message };
  });
  const answers = new Map((nb ? manualQuestions(nb) : []).map((q) => [q.id, q.answer]));
  const questions: QuestionScore[] = qs.map((q) => {
    if (q.manual) return { id: q.id, earned: 0, possible: q.points, manual: { answer: answers.get(q.id) ?? "(no answer found)" } };
    const ts = tests.filter((t) => t.id === q.id);
    return { id: q.id, earned: ts.reduce((a, t) => a + t.earned, 0), possible: q.points };
  });
  const notes = [...g.notes];
  if (run) {
    for (const [step, c] of run.cells) if (!c.ok && step.startsWith("cell:")) notes.push(`${stepLabel(step)} raised ${c.error}`);
    notes.push(...run.notes);
  }
  return {
    ...g, tests, questions, notes,
    earned: questions.reduce((a, q) => a + q.earned, 0),
    possible: questions.reduce((a, q) => a + q.possible, 0),
    runs: run?.runs ?? 0,
  };
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** grades.csv: a row per student, a column per question of every exercise, then the totals. */
export function gradesCsv(report: GradeReport): string {
  const cols = report.exercises.flatMap((ex) => ex.questions.map((q) => ({ ex: ex.id, q: q.id })));
  const students = [...new Set(report.submissions.map((s) => s.student))].sort();
  const lines = [["student", ...cols.map((c) => `${c.ex}/${c.q}`), "total", "possible"].map(csvField).join(",")];
  for (const st of students) {
    const subs = report.submissions.filter((s) => s.student === st);
    const cells = cols.map((c) => {
      const q = subs.find((s) => s.exercise === c.ex)?.questions.find((q) => q.id === c.q);
      return q ? num(q.earned) : "";
    });
    const total = subs.reduce((a, s) => a + s.earned, 0);
    const possible = subs.reduce((a, s) => a + s.possible, 0);
    lines.push([st, ...cells, num(total), num(possible)].map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}

function feedbackMarkdown(student: string, subs: SubmissionGrade[], report: GradeReport): string {
  const md: string[] = [`# Feedback for ${student}`, ""];
  for (const s of subs) {
    const title = report.exercises.find((e) => e.id === s.exercise)?.title ?? s.exercise;
    md.push(`## ${title || basename(s.file)}: ${num(s.earned)}/${num(s.possible)}`, "", `Notebook: \`${basename(s.file)}\``, "");
    if (s.tests.length) {
      md.push("| question | test | points | result |", "| --- | --- | --- | --- |");
      for (const t of s.tests) md.push(`| ${t.id} | ${mdCell(t.name)}${t.hidden ? " (hidden)" : ""} | ${num(t.earned)}/${num(t.points)} | ${t.passed ? "pass" : "fail: " + mdCell(t.message)} |`);
      md.push("");
    }
    for (const q of s.questions.filter((q) => q.manual)) {
      md.push(`### ${q.id}: ${num(q.earned)}/${num(q.possible)}, to grade by hand`, "", ...(q.manual?.answer ?? "").split("\n").map((l) => "> " + l), "");
    }
    if (s.notes.length) md.push("### Notes", "", ...s.notes.map((n) => "- " + n.replace(/\n/g, " ")), "");
  }
  return md.join("\n");
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function feedbackHtml(student: string, subs: SubmissionGrade[], report: GradeReport): string {
  const h: string[] = [`<!doctype html><meta charset="utf-8"><title>Feedback for ${escapeHtml(student)}</title>`, `<body style="font:14px/1.5 sans-serif;max-width:60em;margin:2em auto">`, `<h1>Feedback for ${escapeHtml(student)}</h1>`];
  for (const s of subs) {
    const title = report.exercises.find((e) => e.id === s.exercise)?.title ?? s.exercise;
    h.push(`<h2>${escapeHtml(title || basename(s.file))}: ${num(s.earned)}/${num(s.possible)}</h2>`);
    if (s.tests.length) {
      h.push(`<table style="border-collapse:collapse"><tr><th align="left">question</th><th align="left">test</th><th>points</th><th align="left">result</th></tr>`);
      for (const t of s.tests) {
        h.push(`<tr><td>${escapeHtml(t.id)}</td><td>${escapeHtml(t.name)}${t.hidden ? " <i>(hidden)</i>" : ""}</td><td align="right">${num(t.earned)}/${num(t.points)}</td><td style="white-space:pre-wrap">${t.passed ? '<span style="color:#1a7f37">pass</span>' : '<span style="color:#cf222e">fail</span>: ' + escapeHtml(t.message)}</td></tr>`);
      }
      h.push("</table>");
    }
    for (const q of s.questions.filter((q) => q.manual)) {
      h.push(`<h3>${escapeHtml(q.id)}: ${num(q.earned)}/${num(q.possible)}, to grade by hand</h3><blockquote style="white-space:pre-wrap">${escapeHtml(q.manual?.answer ?? "")}</blockquote>`);
    }
    if (s.notes.length) h.push("<h3>Notes</h3><ul>", ...s.notes.map((n) => `<li>${escapeHtml(n)}</li>`), "</ul>");
  }
  h.push("</body>");
  return h.join("\n");
}

/** A file name for a student: letters, digits, dot, dash and underscore. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_") || "_";
}

export function writeOutputs(report: GradeReport, out: string): void {
  mkdirSync(join(out, "feedback"), { recursive: true });
  writeFileSync(join(out, "grades.csv"), gradesCsv(report));
  writeFileSync(join(out, "grades.json"), JSON.stringify(report, null, 2) + "\n");
  const students = [...new Set(report.submissions.map((s) => s.student))].sort();
  for (const st of students) {
    const subs = report.submissions.filter((s) => s.student === st);
    writeFileSync(join(out, "feedback", safeName(st) + ".md"), feedbackMarkdown(st, subs, report));
    writeFileSync(join(out, "feedback", safeName(st) + ".html"), feedbackHtml(st, subs, report));
  }
}

/** `gradlab grade --self my.ipynb`: the notebook's own visible tests, no solutions needed. */
export async function gradeSelf(file: string, opts: { timeoutS: number; memoryMb: number }): Promise<{ tests: TestScore[]; notes: string[]; earned: number; possible: number }> {
  const nb = parseNotebook(readFileSync(file, "utf8"), basename(file));
  const sandbox = new Sandbox();
  try {
    const limits: Limits = { stepTimeoutS: opts.timeoutS, runTimeoutS: Math.max(opts.timeoutS * 4, 60), memoryMb: opts.memoryMb };
    const r = await runToEnd(sandbox, submissionFiles(resolve(file)), studentCells(nb), codeCells(nb, ["tests"], "tests"), [], limits, 5);
    const tests: TestScore[] = (r.tests ?? []).map((t) => {
      const res = r.results.get(t.step);
      const passed = res?.passed === true;
      return { id: t.id, name: t.name, points: t.points, earned: passed ? t.points : 0, passed, hidden: false, message: passed ? "" : res?.message ?? r.skipped.get(t.step) ?? "did not run" };
    });
    const notes = [...[...r.cells].filter(([step, c]) => !c.ok && step.startsWith("cell:")).map(([step, c]) => `${stepLabel(step)} raised ${c.error}`), ...r.notes];
    return { tests, notes, earned: tests.reduce((a, t) => a + t.earned, 0), possible: tests.reduce((a, t) => a + t.points, 0) };
  } finally {
    sandbox.dispose();
  }
}
