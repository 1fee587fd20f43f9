import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateExercises } from "../../src/grade/generate";
import { exerciseOf, parseNotebook, roleOf, sourceOf, stripSolution, STUB } from "../../src/grade/notebook";

const fixtures = join(__dirname, "fixtures");
const solutionFile = join(fixtures, "solutions", "fixture-relu.ipynb");

describe("gradlab exercises (the generator)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "gradlab-gen-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces each solution block by the stub, indented like its BEGIN line, and keeps the code around it", () => {
    const code = "function f(x: number): number {\n  const y = 1;\n    // BEGIN SOLUTION\n  return x + y;\n  // END SOLUTION\n}\n";
    assert.equal(stripSolution(code, "c"), `function f(x: number): number {\n  const y = 1;\n    ${STUB}\n}\n`);
    assert.throws(() => stripSolution("// BEGIN SOLUTION\nx", "nb.ipynb, cell 3"), /nb.ipynb, cell 3: BEGIN SOLUTION without an END SOLUTION/);
    assert.throws(() => stripSolution("x\n// END SOLUTION", "c"), /c, line 2: END SOLUTION without a BEGIN SOLUTION/);
    assert.throws(() => stripSolution("// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION", "c"), /inside another solution block/);
  });

  it("drops hidden cells and solutions, clears outputs, keeps visible tests and roles", () => {
    const sol = parseNotebook(readFileSync(solutionFile, "utf8"), "fixture");
    sol.cells[3].outputs = [{ output_type: "stream", name: "stdout", text: ["hi\n"] }];
    sol.cells[3].execution_count = 4;
    const ex = exerciseOf(sol, "fixture");
    assert.equal(ex.cells.filter((c) => roleOf(c).role === "hidden").length, 0);
    assert.equal(sol.cells.filter((c) => roleOf(c).role === "hidden").length, 3);
    assert.equal(ex.cells.length, sol.cells.length - 3);
    const all = ex.cells.map(sourceOf).join("\n");
    assert.doesNotMatch(all, /SECRET_Q|return x > 0|Math\.exp|t\.mul\(t\)/);
    assert.equal(all.split(STUB).length - 1, 3);
    for (const c of ex.cells.filter((c) => c.cell_type === "code")) {
      assert.deepEqual(c.outputs, []);
      assert.equal(c.execution_count, null);
    }
    assert.deepEqual(ex.cells.filter((c) => roleOf(c).role === "tests").map((c) => roleOf(c).id), ["q1", "q2", "q3"]);
    assert.deepEqual(ex.metadata.gradlab, { exercise: "fixture-relu", title: "Fixture: ReLU, softmax, a tensor op" });
  });

  it("writes the committed fixture exercise byte for byte, twice the same", () => {
    const out = join(dir, "exercises");
    const first = generateExercises({ solutions: join(fixtures, "solutions"), exercises: out });
    assert.equal(first.changed.length, 1);
    const text = readFileSync(join(out, "fixture-relu.ipynb"), "utf8");
    assert.equal(text, readFileSync(join(fixtures, "exercises", "fixture-relu.ipynb"), "utf8"));
    const again = generateExercises({ solutions: join(fixtures, "solutions"), exercises: out });
    assert.deepEqual(again.changed, []);
  });

  it("--check exits 0 when in sync and 1 when an exercise is stale or has no solution", () => {
    cpSync(join(fixtures, "solutions"), join(dir, "solutions"), { recursive: true });
    cpSync(join(fixtures, "exercises"), join(dir, "exercises"), { recursive: true });
    const cli = join(__dirname, "..", "..", "bin", "gradlab.js");
    const run = (): { status: number | null; out: string } => {
      const r = spawnSync(process.execPath, [cli, "exercises", "--check"], { cwd: dir, encoding: "utf8" });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    assert.deepEqual(run(), { status: 0, out: "exercises/ is in sync with solutions/ (1 notebooks)\n" });
    // A teacher edits a solution and forgets to regenerate.
    const nb = JSON.parse(readFileSync(join(dir, "solutions", "fixture-relu.ipynb"), "utf8")) as { cells: { source: string[] }[] };
    nb.cells[3].source.unshift("// clearer docs\n");
    writeFileSync(join(dir, "solutions", "fixture-relu.ipynb"), JSON.stringify(nb));
    const stale = run();
    assert.equal(stale.status, 1);
    assert.match(stale.out, /out of sync: .*exercises\/fixture-relu.ipynb/);
    const r = spawnSync(process.execPath, [cli, "exercises"], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0);
    assert.equal(run().status, 0);
    writeFileSync(join(dir, "exercises", "orphan.ipynb"), "{}");
    const orphan = run();
    assert.equal(orphan.status, 1);
    assert.match(orphan.out, /no solution for: .*orphan.ipynb/);
  });
});
