import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { grade, GradeReport } from "../../src/grade/grader";
import { ROOT, ensureBuilt, tempDir } from "../kernel/util";

/**
 * The exercises' tests catch plausible wrong answers, not only the stubs: each
 * submission below is a reference solution with the mistakes a student is likely
 * to make, and the grader must take away exactly the points of the tests those
 * mistakes break (so a test that a wrong answer passes shows up here).
 */
interface Wrong {
  student: string;
  exercise: string;
  /** [right code, wrong code]: each must occur in the solution. */
  edits: [string, string][];
  /** The exact score, and the tests it loses. */
  earned: number;
  loses: string[];
}

const WRONG: Wrong[] = [
  {
    student: "naive-softplus-tanh", exercise: "01-activations",
    edits: [
      ["return x.clamp(0, Infinity).add(x.abs().neg().exp().add(1).log());", "return x.exp().add(1).log();"],
      ["return sigmoid(x.mul(2)).mul(2).sub(1);", "return x.exp().sub(x.neg().exp()).div(x.exp().add(x.neg().exp()));"],
      ["return x.gt(0).float();", "return x.ge(0).float();"],
    ],
    earned: 11.75, loses: ["tanh is ±1 at ±500", "at x = 0: relu' = 0", "softplus(1000) = 1000"],
  },
  {
    student: "log-of-softmax-gradient-not-averaged", exercise: "02-softmax-cross-entropy",
    edits: [
      ["return lse.sub(picked).mean();", "return softmax(z).gather(1, y.reshape(-1, 1)).log().neg().mean();"],
      ["return softmax(z).sub(oneHot(y, C)).div(N);", "return softmax(z).sub(oneHot(y, C));"],
    ],
    earned: 6.5, loses: ["logits [1000, 0] with label 1", "random [6, 4] logits", "divided by N", "logits in the thousands"],
  },
  {
    student: "tanh-derivative-of-the-wrong-thing", exercise: "03-backprop-by-hand",
    edits: [[".mul(c.A1.mul(c.A1).neg().add(1));", ".mul(c.A1.neg().add(1));"]],
    earned: 4.5, loses: ["dL/dW1", "dL/db1", "all four gradients", "a batch of one sample", "the loss falls", "at least 95% of the moons"],
  },
  {
    student: "adam-without-bias-correction", exercise: "05-optimizers",
    edits: [["p.sub_(m.div(c1).div(v.div(c2).sqrt().add(this.eps)).mul(this.lr));", "p.sub_(m.div(v.sqrt().add(this.eps)).mul(this.lr));"]],
    earned: 5, loses: ["optim.Adam for 10 steps", "the first step moves every coordinate", "betas (0.8, 0.9)", "eps is added after the square root"],
  },
  {
    student: "pool-from-zero-and-overwrite", exercise: "08-maxpool-backward",
    edits: [
      ["let best = -Infinity, at = -1;", "let best = 0, at = base + (s * i) * W + s * j;"],
      ["gx[argmax[o]] += gv[o];", "gx[argmax[o]] = gv[o];"],
    ],
    earned: 2.5, loses: ["matches maxPool2d on random", "all-negative input", "overlapping 3x3 windows with stride 1, and", "matches autograd on random", "an input that is the max of several windows", "ties go to the first maximum"],
  },
  {
    student: "lstm-gates-in-the-order-ifog", exercise: "09-lstm-cell",
    edits: [["const [ii, ff, gg, oo] =", "const [ii, ff, oo, gg] ="]],
    // i and f stay in place, so only the forget-gate test still passes
    earned: 1, loses: ["one step from zero state", "one step from a given state", "a batch of one", "8 steps from zero state", "20 steps", "a sequence of one step"],
  },
];

describe("exercise tests against plausible wrong answers (gradlab grade)", function () {
  this.timeout(600_000);
  let report: GradeReport;
  before(async () => {
    ensureBuilt();
    const dir = tempDir("gradlab-wrong-");
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    for (const w of WRONG) {
      const nb = JSON.parse(readFileSync(join(ROOT, "solutions", `${w.exercise}.ipynb`), "utf8")) as { cells: { source: string | string[]; outputs?: unknown[] }[] };
      for (const [right, wrong] of w.edits) {
        const cell = nb.cells.find((c) => (Array.isArray(c.source) ? c.source.join("") : c.source).includes(right));
        assert.ok(cell, `${w.student}: the solution of ${w.exercise} contains ${right}`);
        cell.source = (Array.isArray(cell.source) ? cell.source.join("") : cell.source).replace(right, wrong);
      }
      for (const c of nb.cells) if (c.outputs) c.outputs = [];
      mkdirSync(join(dir, w.student));
      writeFileSync(join(dir, w.student, `${w.exercise}.ipynb`), JSON.stringify(nb));
    }
    report = await grade(dir, { jobs: 2, timeoutS: 120, memoryMb: 1536, solutions: join(ROOT, "solutions") });
  });

  for (const w of WRONG) {
    it(`${w.student} (${w.exercise}): ${w.earned} points, losing exactly the tests its mistakes break`, () => {
      const g = report.submissions.find((s) => s.student === w.student);
      assert.ok(g, `graded ${w.student}`);
      const failed = g.tests.filter((t) => !t.passed).map((t) => t.name);
      assert.equal(failed.length, w.loses.length, `failed: ${failed.join(" | ")}`);
      for (const part of w.loses) assert.ok(failed.some((n) => n.includes(part)), `fails "${part}": ${failed.join(" | ")}`);
      assert.equal(g.earned, w.earned);
    });
  }
});
