import { DISPLAY, escapeHtml, htmlTable, MimeBundle } from "../display/bundle";
import { display } from "../display/display";
import { grading as insideGrader } from "./guard";

/**
 * The runtime of graded exercises (see solutions/README.md): `test` registers a
 * test of a question with its points, `check` runs them and shows a table.
 * The same registry serves the notebook (a student runs the visible tests)
 * and the grader (which runs the solution's tests and the hidden ones).
 */

export type TestFn = () => void | Promise<void>;

export interface RegisteredTest {
  readonly id: string;
  readonly name: string;
  readonly points: number;
  readonly fn: TestFn;
}

export interface TestResult {
  id: string;
  name: string;
  points: number;
  /** points when it passed, else 0: partial credit is per test. */
  earned: number;
  passed: boolean;
  /** Why it failed (the assertion's message); empty when it passed. */
  message: string;
  ms: number;
}

/** What `check()` returns; in a notebook it shows as a one-line summary (the table is displayed by check itself). */
export interface CheckReport {
  /** The question checked, or undefined for all. */
  id: string | undefined;
  results: TestResult[];
  earned: number;
  possible: number;
}

// Keyed by id, then by name, in registration order; re-registering keeps the position.
const registry = new Map<string, Map<string, RegisteredTest>>();
// How often each test was registered: in the grader each cell runs once, so a second registration
// of the same test is a submission trying to replace it.
const registrations = new Map<string, number>();

/** Registers (or replaces) test `name` of question `id`, worth `points`. */
export function test(id: string, name: string, points: number, fn: TestFn): void {
  if (typeof id !== "string" || id === "") throw new TypeError("test: the question id must be a non-empty string");
  if (typeof name !== "string" || name === "") throw new TypeError(`test("${id}", ...): the test name must be a non-empty string`);
  if (typeof points !== "number" || !Number.isFinite(points) || points < 0) throw new TypeError(`test("${id}", "${name}", ...): points must be a number >= 0, got ${String(points)}`);
  if (typeof fn !== "function") throw new TypeError(`test("${id}", "${name}", ${points}, ...): the last argument must be the test function`);
  let byName = registry.get(id);
  if (!byName) registry.set(id, (byName = new Map()));
  byName.set(name, Object.freeze({ id, name, points, fn }));
  const key = id + "\u0000" + name;
  registrations.set(key, (registrations.get(key) ?? 0) + 1);
}

/** How many times test `name` of `id` was registered since the last clearTests(). */
export function registrationCount(id: string, name: string): number {
  return registrations.get(id + "\u0000" + name) ?? 0;
}

/** The registered tests of `id` (all when omitted), in registration order. */
export function registeredTests(id?: string): RegisteredTest[] {
  const out: RegisteredTest[] = [];
  for (const [qid, byName] of registry) if (id === undefined || qid === id) out.push(...byName.values());
  return out;
}

/** Forgets every registered test (the grader starts the solution's tests from a clean registry). */
export function clearTests(): void {
  registry.clear();
  registrations.clear();
}

/** A thrown value's message, without trusting it: a hostile error object cannot make this throw. */
export function messageOf(e: unknown): string {
  try {
    if (typeof e === "object" && e !== null) {
      const m = (e as { message?: unknown }).message;
      if (typeof m === "string") return m;
    }
    return String(e);
  } catch {
    return "(the test threw a value that cannot be shown)";
  }
}

/**
 * Runs one test; never throws. The grader passes `call` (which runs the
 * function so that SIGINT stops a busy loop) and `stop` (rejected on SIGINT,
 * for a test stuck awaiting).
 */
export async function runTest(t: RegisteredTest, call: (fn: TestFn) => void | Promise<void> = (fn) => fn(), stop?: Promise<never>): Promise<TestResult> {
  const start = performance.now();
  let message = "";
  let passed = true;
  try {
    const pending = call(t.fn);
    if (pending && typeof (pending as Promise<void>).then === "function") await (stop ? Promise.race([pending, stop]) : pending);
  } catch (e) {
    passed = false;
    message = messageOf(e) || "the test failed (an error without a message)";
  }
  return { id: t.id, name: t.name, points: t.points, earned: passed ? t.points : 0, passed, message, ms: Math.round(performance.now() - start) };
}

function reportOf(id: string | undefined, results: TestResult[]): CheckReport {
  let earned = 0, possible = 0;
  for (const r of results) {
    earned += r.earned;
    possible += r.points;
  }
  return { id, results, earned, possible };
}

/** The table check() shows: one row per test, and the total. */
export function reportBundle(report: CheckReport): MimeBundle {
  const what = report.id ?? "all questions";
  if (!report.results.length) return { "text/plain": `${what}: no tests registered`, "text/html": `<p>${escapeHtml(what)}: no tests registered</p>` };
  const lines = report.results.map((r) => `${r.passed ? "✓" : "✗"} ${r.id} ${r.name} (${r.earned}/${r.points})${r.passed ? "" : ": " + r.message}`);
  const total = `${what}: ${report.earned}/${report.possible} points`;
  const rows = report.results.map((r) => [
    { html: r.passed ? '<span style="color:#1a7f37">✓ pass</span>' : '<span style="color:#cf222e">✗ fail</span>' },
    r.id,
    r.name,
    `${r.earned}/${r.points}`,
    { html: `<span style="white-space:pre-wrap">${escapeHtml(r.message)}</span>` },
  ]);
  return {
    "text/plain": [...lines, total].join("\n"),
    "text/html": htmlTable(rows, { header: ["", "question", "test", "points", "message"], caption: total, className: "gradlab-check" }),
  };
}

/**
 * Runs the tests of `id` (all when omitted), shows the table, and returns the
 * report. A failing test is a row of the table, never an exception. Inside
 * the grader this only returns an empty report: the grader runs the tests
 * itself once the whole submission has run.
 */
export async function check(id?: string): Promise<CheckReport> {
  if (insideGrader()) return withSummary(reportOf(id, []));
  const results: TestResult[] = [];
  for (const t of registeredTests(id)) results.push(await runTest(t));
  const report = reportOf(id, results);
  display({ [DISPLAY]: () => reportBundle(report) });
  return withSummary(report);
}

function withSummary(report: CheckReport): CheckReport {
  const line = `${report.id ?? "all questions"}: ${report.earned}/${report.possible} points`;
  Object.defineProperty(report, DISPLAY, { value: (): MimeBundle => ({ "text/plain": line }), enumerable: false });
  return report;
}
