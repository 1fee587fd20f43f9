import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runNotebooks, NotebookResult } from "../../kernel-ext/notebooks";
import { generateExercises } from "../../src/grade/generate";
import { grade, GradeReport } from "../../src/grade/grader";
import { ROOT, Notebook, NotebookCell, ensureBuilt, requirePython, tempDir, text } from "../kernel/util";

/**
 * Every exercise runs in the gradlab kernel through Jupyter, as the chapters do:
 * the reference solutions (solutions/) pass every test, visible and hidden, and
 * the student versions (exercises/) run without crashing the kernel and score 0
 * (their stubs throw "not implemented", so cells that call them fail: expected).
 *
 * Both run with GRADLAB_QUICK=1 and GRADLAB_GRADING=1, so the training exercises
 * load their committed weights instead of training. Each notebook runs from a
 * copy with one cell appended that runs every registered test (the hidden ones
 * too) and prints the report as a line of JSON. Then the grader grades exercises/
 * against solutions/: its reference run of each solution must earn every test's
 * points (no warnings), and each exercise must get 0 of the same total.
 */
const SOLUTIONS = join(ROOT, "solutions");
const EXERCISES = join(ROOT, "exercises");
const notebooksIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort() : []);
const solutions = notebooksIn(SOLUTIONS);
const exercises = notebooksIn(EXERCISES);
const source = (c: { source: string | string[] }) => (Array.isArray(c.source) ? c.source.join("") : c.source);
interface ExerciseNotebook extends Notebook {
  metadata?: { gradlab?: { exercise?: string; title?: string } };
}
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as ExerciseNotebook;

interface CellRole { role?: string; id?: string; points?: number }
const roleOf = (c: NotebookCell): CellRole => ((c.metadata as { gradlab?: CellRole } | undefined)?.gradlab ?? {});

interface Report { earned: number; possible: number; failed: string[] }

/** A notebook's points: its test(...) calls (visible and hidden) and its manual cells. */
function pointsOf(nb: ExerciseNotebook): number {
  let total = 0;
  for (const c of nb.cells) {
    const { role, points } = roleOf(c);
    if (role === "manual") total += points ?? 0;
    if (role === "tests" || role === "hidden") for (const m of source(c).matchAll(/\btest\("[^"]+",\s*(?:"(?:[^"\\]|\\.)*"|`[^`]*`),\s*([\d.]+)/g)) total += Number(m[1]);
  }
  return total;
}
const MARK = "GRADLAB-REPORT ";
const REPORT_CELL = [
  "const gradlabReportAll = await grading.check();",
  `console.log(${JSON.stringify(MARK)} + JSON.stringify({ earned: gradlabReportAll.earned, possible: gradlabReportAll.possible, ` +
    "failed: gradlabReportAll.results.filter((r) => !r.passed).map((r) => `${r.id} ${r.name}: ${r.message}`) }));",
].join("\n");

/**
 * Copies the notebooks (each with the report cell appended) and the weights files of `dir`
 * into a fresh folder inside the repository (dist/, ignored by git), where `import "gradlab"`
 * resolves as it does from solutions/ and exercises/.
 */
function stage(dir: string, names: readonly string[], prefix: string): string {
  const into = mkdtempSync(join(ROOT, "dist", prefix));
  process.once("exit", () => rmSync(into, { recursive: true, force: true }));
  for (const f of readdirSync(dir)) if (f.endsWith(".safetensors")) copyFileSync(join(dir, f), join(into, f));
  for (const name of names) {
    const nb = read(join(dir, name));
    nb.cells.push({ cell_type: "code", id: "gradlab-report", metadata: {}, source: REPORT_CELL, outputs: [], execution_count: null } as NotebookCell);
    writeFileSync(join(into, name), JSON.stringify(nb));
  }
  return into;
}

/** The report the appended cell printed, or undefined when it did not run. */
function reportOf(executed: string): Report | undefined {
  const nb = read(executed);
  const last = nb.cells[nb.cells.length - 1];
  for (const o of last.outputs ?? []) {
    const line = text((o as { text?: unknown }).text).split("\n").find((l) => l.startsWith(MARK));
    if (line) return JSON.parse(line.slice(MARK.length)) as Report;
  }
  return undefined;
}

/** What each visible `await check("qN")` cell returned: "qN: earned/possible points". */
function visibleChecks(executed: string): { id: string; summary: string }[] {
  return read(executed).cells.filter((c) => roleOf(c).role === "tests").map((c) => {
    const r = (c.outputs ?? []).find((o) => o.output_type === "execute_result");
    return { id: roleOf(c).id ?? "?", summary: text(r?.data?.["text/plain"]).replace(/^'|'$/g, "") };
  });
}

const ENV = { GRADLAB_QUICK: "1", GRADLAB_GRADING: "1" };
/** Executed copies go to folders of their own: a solution and its exercise share a file name. */
const runDir = (prefix: string) => {
  const d = tempDir(prefix);
  process.once("exit", () => rmSync(d, { recursive: true, force: true }));
  return d;
};

describe("exercise notebooks (solutions/ and exercises/)", function () {
  this.timeout(900_000);
  let solved: NotebookResult[] = [];
  let stubbed: NotebookResult[] = [];
  let graded: GradeReport | undefined;
  before(async () => {
    ensureBuilt();
    requirePython(["nbclient", "nbformat"]);
    const sDir = stage(SOLUTIONS, solutions, "gradlab-solutions-");
    solved = await runNotebooks(solutions.map((n) => join(sDir, n)), { out: runDir("gradlab-solutions-run-"), timeout: 120, env: ENV });
    if (exercises.length) {
      const eDir = stage(EXERCISES, exercises, "gradlab-exercises-");
      stubbed = await runNotebooks(exercises.map((n) => join(eDir, n)), { out: runDir("gradlab-exercises-run-"), timeout: 120, allowErrors: true, env: ENV });
      graded = await grade(EXERCISES, { jobs: 2, timeoutS: 120, memoryMb: 1536, solutions: SOLUTIONS });
    }
  });

  it("exercises/ is what npm run exercises makes of solutions/", () => {
    const r = generateExercises({ solutions: SOLUTIONS, exercises: EXERCISES, check: true });
    assert.deepEqual({ changed: r.changed, orphans: r.orphans }, { changed: [], orphans: [] }, "run npm run exercises and commit exercises/");
  });

  it("the grader's run of every solution earns all its points, hidden tests included", () => {
    assert.ok(graded, "graded");
    const report: GradeReport = graded;
    assert.deepEqual(report.warnings, []);
    for (const name of solutions) {
      const id = name.replace(/\.ipynb$/, "");
      const ex: GradeReport["exercises"][number] | undefined = report.exercises.find((e) => e.id === id);
      assert.ok(ex, `the grader knows ${id}`);
      const total: number = ex.questions.reduce((a: number, q) => a + q.points, 0);
      assert.equal(total, pointsOf(read(join(SOLUTIONS, name))), `${id}: the grader counts the points the notebook's tests declare`);
    }
  });

  it("the grader gives every exercise 0 points of the full total, its tests failing on the stubs", () => {
    assert.ok(graded, "graded");
    assert.equal(graded.submissions.length, exercises.length);
    for (const g of graded.submissions) {
      assert.equal(g.earned, 0, `${g.exercise}: ${g.earned} points for the stubs`);
      assert.equal(g.possible, pointsOf(read(join(SOLUTIONS, `${g.exercise}.ipynb`))), `${g.exercise}: out of the full total`);
      assert.ok(g.tests.length > 0 && g.tests.every((t) => !t.passed && t.message !== ""), `${g.exercise}: every test failed with a message`);
    }
  });

  it("there are at least 12 exercises, and exercises/ holds one per solution", () => {
    assert.ok(solutions.length >= 12, `${solutions.length} solution notebooks`);
    assert.deepEqual(exercises, solutions);
  });

  for (const name of solutions) {
    describe(`solutions/${name}`, () => {
      const nb = read(join(SOLUTIONS, name));
      const result = () => solved.find((r) => r.notebook.endsWith(name))!;

      it("is well formed: exercise metadata, solution markers, question ids that match their tests", () => {
        const meta = nb.metadata?.gradlab;
        assert.equal(meta?.exercise, name.replace(/\.ipynb$/, ""));
        assert.ok(meta?.title, "metadata.gradlab.title");
        const questions = new Set<string>();
        for (const c of nb.cells) {
          const { role, id } = roleOf(c);
          const src = source(c);
          if (role === "solution") {
            assert.ok(/^\s*\/\/ BEGIN SOLUTION$/m.test(src) && /^\s*\/\/ END SOLUTION$/m.test(src), `solution cell of ${id} has BEGIN/END SOLUTION markers`);
            questions.add(id!);
          }
          if (role === "tests" || role === "hidden") {
            const ids = [...src.matchAll(/\btest\("([^"]+)"/g)].map((m) => m[1]);
            assert.ok(ids.length > 0, `${role} cell of ${id} registers tests`);
            assert.ok(ids.every((t) => t === id), `${role} cell of ${id} registers only tests of ${id}: ${ids.join(", ")}`);
            if (role === "tests") assert.ok(src.includes(`await check("${id}")`), `the tests cell of ${id} ends with await check("${id}")`);
          }
          if (role === "manual") assert.ok(typeof roleOf(c).points === "number" && c.cell_type === "markdown", "a manual cell is markdown with points");
        }
        const tested = new Set(nb.cells.filter((c) => roleOf(c).role === "tests").map((c) => roleOf(c).id));
        for (const q of questions) assert.ok(tested.has(q), `question ${q} has visible tests`);
      });

      it("runs top to bottom, and every visible check passes in full", () => {
        const r = result();
        assert.ok(r.ok, `${name} failed: ${r.error}`);
        const checks = visibleChecks(r.executed);
        assert.ok(checks.length >= 1);
        for (const { id, summary } of checks) {
          const m = /^(\S+): ([\d.]+)\/([\d.]+) points$/.exec(summary);
          assert.ok(m, `check("${id}") printed a summary, got ${JSON.stringify(summary)}`);
          assert.ok(Number(m[3]) > 0 && m[2] === m[3], `check("${id}"): ${summary}`);
        }
      });

      it("passes every test, hidden ones included", () => {
        const rep = reportOf(result().executed);
        assert.ok(rep, "the report cell ran");
        assert.deepEqual(rep.failed, []);
        assert.ok(rep.possible > 0 && rep.earned === rep.possible, `${rep.earned}/${rep.possible}`);
      });
    });
  }

  for (const name of exercises) {
    describe(`exercises/${name}`, () => {
      const result = () => stubbed.find((r) => r.notebook.endsWith(name))!;

      it("runs to the end without a crash of the kernel, and its visible tests give 0 points", () => {
        const r = result();
        assert.ok(r.ok, `${name}: ${r.error}`);
        const rep = reportOf(r.executed);
        assert.ok(rep, "the report cell ran: the kernel survived the stubs");
        assert.equal(rep.earned, 0, `the stubs earned ${rep.earned} points: ${JSON.stringify(rep)}`);
      });

      it("has no hidden tests and no solution code", () => {
        const nb = read(join(EXERCISES, name));
        assert.ok(nb.cells.every((c) => roleOf(c).role !== "hidden"), "no hidden cells");
        for (const c of nb.cells.filter((c) => roleOf(c).role === "solution")) {
          assert.ok(!source(c).includes("BEGIN SOLUTION"), "markers replaced");
          assert.ok(source(c).includes('throw new Error("not implemented")'), "a stub that throws");
        }
      });
    });
  }
});
