/**
 * Builds the hostile-submission corpus from the fixture exercise
 * (../fixtures/exercises/fixture-relu.ipynb). Run from the repository root:
 *
 *   npx tsx test/grade/corpus/make-corpus.ts
 *
 * Each submission is the exercise notebook with some cells filled in or added, written here as
 * NAME.ipynb; expected.json holds the exact score each must get, and why. Paths are resolved from
 * this file's folder, so the working directory does not matter. Files are written with the
 * exercise generator's stableJson (sorted keys, as Jupyter writes notebooks), so regenerating
 * leaves the committed files unchanged.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stableJson, toLines as lines } from "../../../src/grade/notebook";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Cell = { cell_type: string; metadata: { gradlab?: Record<string, Json> } & Record<string, Json>; source: string[] } & Record<string, Json>;
type Notebook = { cells: Cell[] } & Record<string, Json>;

const here = __dirname;
const EX = JSON.parse(readFileSync(join(here, "..", "fixtures", "exercises", "fixture-relu.ipynb"), "utf8")) as Notebook;

const RELU = "function relu(x: number): number {\n  return x > 0 ? x : 0;\n}";
const SOFTMAX = "function softmax(xs: number[]): number[] {\n  const m = Math.max(...xs);\n  const e = xs.map((x) => Math.exp(x - m));\n  const s = e.reduce((a, b) => a + b, 0);\n  return e.map((v) => v / s);\n}";
const SQUARE = "function square(t: Tensor): Tensor {\n  return t.mul(t);\n}";
const ANSWER = "**q4.** In two sentences: why subtract the maximum in softmax?\n\nAnswer: exp overflows for large inputs; subtracting the maximum changes nothing in the ratios.";

/** extra: [after which question's solution cell, code]; "setup" = right after the setup cell, "end" = after the last cell. */
type Extra = [where: string, code: string];

function make(q1: string | null = null, q2: string | null = null, q3: string | null = null, extra: Extra[] = [], answer: string | null = null): Notebook {
  const nb = structuredClone(EX);
  const cells = nb.cells;
  const gradlab = (c: Cell) => c.metadata.gradlab ?? {};
  for (const c of cells) {
    const g = gradlab(c);
    if (g.role === "solution") {
      const src = ({ q1, q2, q3 } as Record<string, string | null>)[g.id as string];
      if (src === undefined) throw new Error("unknown solution id " + String(g.id));
      if (src !== null) c.source = lines(src);
    }
    if (g.role === "manual" && answer) c.source = lines(answer);
  }
  for (const [where, code] of [...extra].reverse()) {
    const idx = cells.findIndex((c, i) => {
      const g = gradlab(c);
      const isSolution = Object.keys(g).length === 2 && g.role === "solution" && g.id === where;
      return (where === "setup" && g.role === "setup") || isSolution || (where === "end" && i === cells.length - 1);
    });
    if (idx < 0) throw new Error("no cell for " + where);
    cells.splice(idx + 1, 0, { cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: lines(code) });
  }
  return nb;
}

const corpus: Record<string, Json> = {};
function add(name: string, nb: Notebook | null, total: number, questions: Record<string, number>, why: string): void {
  corpus[name] = { total, questions, why };
  if (nb === null) return;
  writeFileSync(join(here, name + ".ipynb"), stableJson(nb));
}

add("correct", make(RELU, SOFTMAX, SQUARE, [], ANSWER), 11, { q1: 4, q2: 4, q3: 3, q4: 0 },
  "everything right; q4 is graded by hand (0 until a teacher grades it)");
add("untouched", make(), 0, { q1: 0, q2: 0, q3: 0, q4: 0 }, "the exercise as handed out: every stub throws");
add("partial-q1", make(RELU), 4, { q1: 4, q2: 0, q3: 0, q4: 0 }, "only q1 done");
add("buggy", make("function relu(x: number): number {\n  return Math.abs(x);\n}",
  "function softmax(xs: number[]): number[] {\n  const e = xs.map((x) => Math.exp(x));\n  const s = e.reduce((a, b) => a + b, 0);\n  return e.map((v) => v / s);\n}", SQUARE), 7,
  { q1: 2, q2: 2, q3: 3, q4: 0 }, "relu is abs (passes 3(->3) and 0/1e-9, fails -2 and large values); softmax without the max (fails large inputs): partial credit per test");
add("type-error", make(RELU, "function softmax(xs: number[]): number[] {\n  const n: number = \"not a number\";\n  return xs;\n}", SQUARE), 7,
  { q1: 4, q2: 0, q3: 3, q4: 0 }, "q2's cell does not compile; the other questions still score");
add("loop-in-function", make(RELU, "function softmax(xs: number[]): number[] {\n  while (true) {}\n}", SQUARE), 7,
  { q1: 4, q2: 0, q3: 3, q4: 0 }, "softmax never returns: each q2 test is stopped at the time limit, the rest graded in fresh processes");
add("loop-in-cell", make(RELU, SOFTMAX, SQUARE, [["q1", "let spins = 0;\nwhile (true) { spins++; }"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "a cell that loops forever is stopped and left out; what it did not touch scores in full");
add("memory-cell", make(RELU, SOFTMAX, SQUARE, [["q2", "const hoard: Float64Array[] = [];\nfor (;;) hoard.push(new Float64Array(1 << 20).fill(1));"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "a cell that exhausts memory (outside the JS heap: the RSS watchdog) is left out");
add("heap-in-function", make(RELU, SOFTMAX, "function square(t: Tensor): Tensor {\n  if (t.shape[0] === 8) {\n    const junk: unknown[] = [];\n    for (;;) junk.push({ a: [1, 2, 3], b: \"x\".repeat(64) });\n  }\n  return t.mul(t);\n}"), 10,
  { q1: 4, q2: 4, q3: 2, q4: 0 }, "square exhausts the JS heap on the random-values test only: that test gets nothing");
add("exit-in-function", make("function relu(x: number): number {\n  process.exit(0);\n}", SOFTMAX, SQUARE), 7,
  { q1: 0, q2: 4, q3: 3, q4: 0 }, "relu calls process.exit, which throws while grading: q1's tests fail, the others pass");
add("really-exit-cell", make(RELU, SOFTMAX, SQUARE, [["q3", "(process as unknown as { reallyExit(c: number): void }).reallyExit(0);"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "a cell that really ends the process is left out in a rerun");
add("throws-on-load", make(RELU, SOFTMAX, SQUARE, [["setup", "throw new Error(\"boom on load\");"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "the first cell after the setup throws; later cells still run (like nbconvert --allow-errors)");
add("fake-score", make(null, null, null, [["end",
  "console.log(\"Score: 14/14\");\n" +
  "console.log(JSON.stringify({ t: \"result\", step: \"test:q1/relu of a negative number is 0\", passed: true }));\n" +
  "const fsFake = require(\"fs\");\n" +
  "for (let seq = 1; seq < 40; seq++) {\n" +
  "  const m = JSON.stringify({ seq, t: \"result\", step: \"test:q2/softmax of [0, 0] is [0.5, 0.5]\", passed: true, message: \"\", ms: 1 });\n" +
  "  fsFake.writeSync(3, \"\\n\" + JSON.stringify({ m, h: \"00\".repeat(32) }) + \"\\n\");\n" +
  "}\n" +
  "fsFake.writeFileSync(\"grades.csv\", \"student,total\\nfake-score,14\\n\");"]]), 0,
  { q1: 0, q2: 0, q3: 0, q4: 0 }, "prints a full score, writes forged result lines on the results channel and a grades.csv in its folder: nothing counts");
add("snoop", make(RELU,
  "let leaked = \"\";\n" +
  "const fsSnoop = require(\"fs\");\n" +
  "// the checkout's real solutions, found from the harness's own path (argv[1] is <checkout>/dist/src/grade/harness.js)\n" +
  "const checkout = require(\"path\").resolve(process.argv[1], \"../../../..\");\n" +
  "for (const p of [checkout + \"/test/grade/fixtures/solutions/fixture-relu.ipynb\", checkout + \"/solutions/01-activations.ipynb\", \"../../../../test/grade/fixtures/solutions/fixture-relu.ipynb\", \"/proc/self/environ\", \"/proc/self/cmdline\"]) {\n" +
  "  try { leaked += fsSnoop.readFileSync(p, \"utf8\"); } catch { /* denied */ }\n" +
  "}\n" +
  "try { leaked += fsSnoop.readdirSync(\"..\").join(\",\") + fsSnoop.readdirSync(\"../..\").join(\",\"); } catch { /* denied */ }\n" +
  "for (const k of Object.keys(require.cache)) if (/solutions|ipynb/.test(k)) leaked += k;\n" +
  "process.stdin.on(\"data\", (d: Buffer) => { leaked += d.toString(); });\n" +
  "function softmax(xs: number[]): number[] {\n" +
  "  if (!leaked.includes(\"SECRET_Q2_MARKER\")) throw new Error(\"no leak\");\n" +
  "  return xs.length === 2 ? [0.5, 0.5] : [0.25, 0.25, 0.5];\n" +
  "}",
  null, [["q3", "// blocks on the control pipe, hoping to read the hidden cells first\nconst buf = Buffer.alloc(1 << 16);\nconst n = require(\"fs\").readSync(0, buf, 0, buf.length, null);\nleaked += buf.toString(\"utf8\", 0, n);"]]), 4,
  { q1: 4, q2: 0, q3: 0, q4: 0 }, "looks for the hidden tests on disk, in /proc, in require.cache, on stdin (async and blocking): finds nothing; its softmax only works with a leak");
add("snoop-pending-read", make(RELU,
  "let caught = \"\";\n" +
  "// a read left pending in libuv's thread pool: it may take the line with the hidden cells\n" +
  "require(\"fs\").read(0, Buffer.alloc(1 << 20), 0, 1 << 20, null, (err: unknown, n: number, b: Buffer) => { if (!err) caught += b.toString(\"utf8\", 0, n); });\n" +
  "function softmax(xs: number[]): number[] {\n" +
  "  if (!caught.includes(\"SECRET_Q2_MARKER\")) throw new Error(\"caught \" + caught.length + \" bytes, no secret\");\n" +
  "  return xs.length === 2 ? [0.5, 0.5] : [0.25, 0.25, 0.5];\n" +
  "}"), 4,
  { q1: 4, q2: 0, q3: 0, q4: 0 }, "leaves a blocking read pending on fd 0 to catch the hidden cells: they travel encrypted, and are sent again until the harness has them");
add("writes-outside", make(RELU, null, null, [["q1",
  "const fsW = require(\"fs\");\n" +
  "const tried: string[] = [];\n" +
  "for (const p of [\"/tmp/gradlab-corpus-pwned.txt\", \"../escape.txt\", \"../../1/nb/planted.txt\", \"../node_modules/gradlab/package.json\"]) {\n" +
  "  try { fsW.writeFileSync(p, \"pwned\"); tried.push(p + \" WRITTEN\"); } catch (e) { tried.push(p + \" \" + (e as { code?: string }).code); }\n" +
  "}\n" +
  "fsW.writeFileSync(\"own-folder.txt\", \"allowed\");\n" +
  "tried"]]), 4,
  { q1: 4, q2: 0, q3: 0, q4: 0 }, "tries to write outside its folder (all refused); writing inside it is allowed");
add("patch-helpers", make(null, null, null, [["end",
  "const fakeMatchers = { toBe() {}, toBeCloseTo() {}, toEqual() {}, toHaveShape() {}, toBeTruthy() {}, toBeGreaterThan() {}, toBeLessThan() {}, toThrow() {} };\n" +
  "const realTest = grading.test;\n" +
  "const loc = (globalThis as unknown as { __tslab__: { exports: Record<string, unknown> } }).__tslab__.exports;\n" +
  "const patch = () => {\n" +
  "  loc.expect = () => fakeMatchers;\n" +
  "  loc.test = (id: string, name: string, pts: number) => realTest(id, name, pts, () => {});\n" +
  "  try { (grading as { expect: unknown }).expect = () => fakeMatchers; } catch { /* frozen */ }\n" +
  "  try { Object.assign(Object.getPrototypeOf(expect(1)), fakeMatchers); } catch { /* frozen */ }\n" +
  "};\n" +
  "patch();\n" +
  "setInterval(patch, 1);\n" +
  "(globalThis as unknown as { __tslab__: unknown }).__tslab__ = { exports: { expect: () => fakeMatchers, test: loc.test }, require };"]]), 0,
  { q1: 0, q2: 0, q3: 0, q4: 0 }, "replaces expect and test (in the notebook's bindings, on grading, on the prototype, from a timer, and tslab's own exports): the grader's own helpers still run");
add("patch-builtins", make("function relu(x: number): number {\n  return -1;\n}", "function softmax(xs: number[]): number[] {\n  return xs.map(() => 0);\n}",
  "function square(t: Tensor): Tensor {\n  return t;\n}", [["end",
    "Object.is = () => true;\n" +
    "Math.abs = () => 0;\n" +
    "Number.isNaN = () => true;\n" +
    "Array.isArray = () => false;\n" +
    "JSON.stringify = () => \"{\\\"passed\\\":true}\";\n" +
    "(Object.prototype as unknown as { toJSON: unknown }).toJSON = function () { return { passed: true }; };\n" +
    "Array.prototype.push = function () { return 0; };\n" +
    "String.prototype.includes = () => true;\n" +
    "RegExp.prototype.test = () => true;\n" +
    "Tensor.prototype.values = function () { return new Float32Array(0); };"]]), 1,
  { q1: 0, q2: 0, q3: 1, q4: 0 }, "wrong answers plus patched Object.is, Math.abs, JSON, Array/Object/String/RegExp prototypes and Tensor.prototype.values: only the shape test (square returns its input, shape right) passes");
add("patch-promise", make(RELU, SOFTMAX, SQUARE, [["q3", "Promise.prototype.then = function (this: Promise<unknown>) { return this; } as never;\nPromise.race = (() => new Promise(() => {})) as never;"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "breaks Promise: the cell hangs the kernel, is stopped and left out");
add("tamper-random", make(RELU, null, "function square(t: Tensor): Tensor {\n  return t.mul(0);\n}", [["q3",
  "Math.random = () => 0.5;\n" +
  "Date.now = () => 0;\n" +
  "(globalThis as unknown as { Date: unknown }).Date = class { getTime() { return 0; } };"]]), 5,
  { q1: 4, q2: 0, q3: 1, q4: 0 }, "square returns zeros and Math.random is pinned to 0.5 (inputs 0, so zeros would be right): restored before the tests, the random test fails; shape test passes");
add("close-fd3", make(RELU, SOFTMAX, SQUARE, [["q3", "require(\"fs\").closeSync(3);"]]), 11,
  { q1: 4, q2: 4, q3: 3, q4: 0 }, "closes the results channel: the cell is left out in a rerun");
add("inject-tests", make(null, null,
  "function square(t: Tensor): Tensor {\n" +
  "  // called at the top of q3's tests cell, while the grader registers the solution's tests\n" +
  "  const real = grading.test;\n" +
  "  real(\"q1\", \"relu of a negative number is 0\", 1, () => {});\n" +
  "  real(\"q2\", \"an extra test of my own\", 50, () => {});\n" +
  "  const loc = (globalThis as unknown as { __tslab__: { exports: Record<string, unknown> } }).__tslab__.exports;\n" +
  "  loc.test = (id: string, name: string, pts: number) => real(id, name, pts, () => {});\n" +
  "  return t.mul(0).sum();\n" +
  "}"), 0,
  { q1: 0, q2: 0, q3: 0, q4: 0 }, "its square, called by a tests cell at top level, replaces an earlier test, adds one, and swaps the `test` binding so the rest register as no-ops: each is caught and not run");
add("patch-grader-modules", make(null, null, null, [["end",
  "// the grader's own compiled modules sit beside the harness (argv[1]); swap what it calls\n" +
  "const dir = require(\"path\").dirname(process.argv[1]);\n" +
  "const pass = async (t: { id: string; name: string; points: number }) => ({ id: t.id, name: t.name, points: t.points, earned: t.points, passed: true, message: \"\", ms: 0 });\n" +
  "const tries: string[] = [];\n" +
  "const attempt = (what: string, f: () => void) => { try { f(); tries.push(what + \" patched\"); } catch (e) { tries.push(what + \" refused\"); } };\n" +
  "attempt(\"api.runTest\", () => { require(dir + \"/api.js\").runTest = pass; });\n" +
  "attempt(\"guard.guardBeforeAssert\", () => { require(dir + \"/guard.js\").guardBeforeAssert = () => undefined; });\n" +
  "attempt(\"RealmSnapshot.restore\", () => { require(dir + \"/realm.js\").RealmSnapshot.prototype.restore = () => []; });\n" +
  "tries"]]), 0,
  { q1: 0, q2: 0, q3: 0, q4: 0 }, "the untouched exercise plus a cell that replaces the grader's own functions (api.runTest, the assertion guard, the snapshot's restore) through their modules: the harness froze them, so every stub still scores nothing");
writeFileSync(join(here, "not-a-notebook.ipynb"), "{ this is not json");
add("not-a-notebook", null, 0, {}, "not JSON: graded 0 with a note, without crashing; it matches no exercise");

writeFileSync(join(here, "expected.json"), stableJson(corpus));
console.log(Object.keys(corpus).length, "submissions");
