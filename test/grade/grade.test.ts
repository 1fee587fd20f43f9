import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grade, GradeReport } from "../../src/grade/grader";
import { readNotebook, roleOf, sourceOf } from "../../src/grade/notebook";

const corpus = join(__dirname, "corpus");
const solutions = join(__dirname, "fixtures", "solutions");
const expected = JSON.parse(readFileSync(join(corpus, "expected.json"), "utf8")) as Record<string, { total: number; questions: Record<string, number>; why: string }>;

/** Lines of the hidden cells that are code (not just a test's name), which feedback must never show. */
function hiddenCode(): string[] {
  const nb = readNotebook(join(solutions, "fixture-relu.ipynb"));
  const out: string[] = [];
  for (const c of nb.cells.filter((c) => roleOf(c).role === "hidden")) {
    for (const raw of sourceOf(c).split("\n")) {
      const line = raw.trim();
      // `test("q1", "name", 1, () => body)`: the name may be shown, the body may not
      const body = /^test\(.*?, \d+, \(\) => (.+)$/.exec(line)?.[1] ?? line;
      if (body.length >= 8 && body !== "});" && body !== "{") out.push(body);
    }
  }
  return out;
}

function parseCsv(text: string): string[][] {
  return text.trim().split("\n").map((l) => l.split(","));
}

describe("gradlab grade on the hostile corpus (--jobs 2)", function () {
  this.timeout(15 * 60 * 1000);
  let out: string;
  let report: GradeReport;

  before(async () => {
    rmSync("/tmp/gradlab-corpus-pwned.txt", { force: true });
    out = mkdtempSync(join(tmpdir(), "gradlab-corpus-out-"));
    report = await grade(corpus, { jobs: 2, timeoutS: 4, memoryMb: 768, out, solutions });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("has at least 14 submissions, each with an expected score", () => {
    const names = readdirSync(corpus).filter((f) => f.endsWith(".ipynb")).map((f) => f.replace(/\.ipynb$/, "")).sort();
    assert.ok(names.length >= 14, `${names.length} submissions`);
    assert.deepEqual(names, Object.keys(expected).sort());
  });

  it("the solution earns all its test points (the reference run warns of nothing)", () => {
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.exercises.map((e) => e.questions), [[
      { id: "q1", points: 4, manual: false }, { id: "q2", points: 4, manual: false }, { id: "q3", points: 3, manual: false }, { id: "q4", points: 3, manual: true },
    ]]);
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ${want.total} points (${want.why})`, () => {
      const s = report.submissions.find((x) => x.student === name);
      assert.ok(s, `no grade for ${name}`);
      const got = Object.fromEntries(s.questions.map((q) => [q.id, q.earned]));
      assert.deepEqual({ total: s.earned, questions: got }, { total: want.total, questions: want.questions }, JSON.stringify(s.tests.filter((t) => !t.passed).map((t) => `${t.id} ${t.name}: ${t.message}`)) + " notes: " + JSON.stringify(s.notes));
    });
  }

  it("the manual question carries the student's answer, to grade by hand", () => {
    const s = report.submissions.find((x) => x.student === "correct");
    const q4 = s?.questions.find((q) => q.id === "q4");
    assert.equal(q4?.possible, 3);
    assert.match(q4?.manual?.answer ?? "", /exp overflows for large inputs/);
    assert.match(readFileSync(join(out, "feedback", "correct.md"), "utf8"), /### q4: 0\/3, to grade by hand\n\n> \*\*q4\.\*\*/);
  });

  it("feedback names each test with its points and message, and never shows hidden test code", () => {
    const secrets = hiddenCode();
    assert.ok(secrets.length >= 6, secrets.join("\n"));
    assert.ok(secrets.some((s) => s.includes("SECRET_Q2_MARKER")));
    const files = readdirSync(join(out, "feedback"));
    assert.equal(files.length, 2 * Object.keys(expected).length);
    for (const f of files) {
      const text = readFileSync(join(out, "feedback", f), "utf8");
      for (const s of secrets) assert.ok(!text.includes(s), `${f} shows hidden code: ${s}`);
    }
    const buggy = readFileSync(join(out, "feedback", "buggy.md"), "utf8");
    assert.match(buggy, /\| q1 \| relu of a negative number is 0 \| 0\/1 \| fail: toBe: expected 0, got 2 \|/);
    assert.match(buggy, /\| q1 \| relu of large values \(hidden\) \| 0\/1 \| fail: toBe: expected 700000000, got 1700000000 \|/);
    assert.match(buggy, /\| q2 \| softmax is stable for large inputs \(hidden\) \| 0\/2 \| fail: toBeCloseTo: expected 0.25, got NaN at \[0\]/);
    const html = readFileSync(join(out, "feedback", "loop-in-function.html"), "utf8");
    assert.match(html, /softmax of \[0, 0\] is \[0.5, 0.5\]<\/td><td align="right">0\/2<\/td><td style="white-space:pre-wrap"><span style="color:#cf222e">fail<\/span>: stopped: ran longer than 4 s/);
  });

  it("grades.csv and grades.json agree, a row per student", () => {
    const rows = parseCsv(readFileSync(join(out, "grades.csv"), "utf8"));
    const json = JSON.parse(readFileSync(join(out, "grades.json"), "utf8")) as GradeReport;
    const header = rows[0];
    assert.deepEqual(header, ["student", "fixture-relu/q1", "fixture-relu/q2", "fixture-relu/q3", "fixture-relu/q4", "total", "possible"]);
    assert.equal(rows.length - 1, Object.keys(expected).length);
    for (const row of rows.slice(1)) {
      const s = json.submissions.find((x) => x.student === row[0]);
      assert.ok(s, row[0]);
      for (const [i, col] of header.entries()) {
        if (i === 0) continue;
        const cell: string = col === "total" ? String(s.earned) : col === "possible" ? String(s.possible) : String(s.questions.find((q) => `${s.exercise}/${q.id}` === col)?.earned ?? "");
        assert.equal(row[i], cell, `${row[0]} ${col}`);
      }
      assert.equal(Number(row[5]), expected[row[0]].total);
    }
  });

  it("nothing was written outside the submissions' own folders, and forged result lines were ignored", () => {
    assert.ok(!existsSync("/tmp/gradlab-corpus-pwned.txt"));
    assert.ok(!existsSync(join(corpus, "escape.txt")));
    assert.ok(!existsSync(join(corpus, "grades.csv")));
    const fake = report.submissions.find((s) => s.student === "fake-score");
    assert.ok(fake?.notes.some((n) => /ignored 39 unauthenticated line\(s\)/.test(n)), JSON.stringify(fake?.notes));
  });
});

describe("gradlab grade --self", function () {
  this.timeout(5 * 60 * 1000);
  it("runs the notebook's own visible tests, sandboxed, and prints the table", () => {
    const cli = join(__dirname, "..", "..", "bin", "gradlab.js");
    const r = spawnSync(process.execPath, [cli, "grade", "--self", join(corpus, "buggy.ipynb"), "--timeout", "20"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      "✗ q1 relu of a negative number is 0 (0/1): toBe: expected 0, got 2",
      "✓ q1 relu of a positive number is itself (1/1)",
      "✓ q2 softmax of [0, 0] is [0.5, 0.5] (2/2)",
      "✓ q3 square keeps the shape (1/1)",
      "visible tests: 4/5 points",
      "",
    ].join("\n"));
  });
});
