import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runNotebooks, NotebookResult } from "../../kernel-ext/notebooks";
import { ROOT, Notebook, ensureBuilt, requirePython, tempDir, text } from "../kernel/util";

/**
 * Every chapter in notebooks/ runs top to bottom in a fresh gradlab kernel
 * through Jupyter (nbclient), in quick mode, within a minute; asserts its
 * numbers with check(...) cells; and is committed with the outputs of a run
 * whose checked numbers a new run reproduces.
 */
const DIR = join(ROOT, "notebooks");
const chapters = readdirSync(DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
const source = (c: { source: string | string[] }) => (Array.isArray(c.source) ? c.source.join("") : c.source);
/** The text a check(...) cell returned: "✓ claim with its numbers". */
const checks = (nb: Notebook): Map<string, string> => {
  const out = new Map<string, string>();
  for (const c of nb.cells) {
    if (c.cell_type !== "code" || !/(?<!function )\bcheck\(/.test(source(c)) || (c.metadata?.tags ?? []).includes("full-run")) continue;
    const r = (c.outputs ?? []).find((o) => o.output_type === "execute_result");
    out.set(c.id ?? "", text(r?.data?.["text/plain"]));
  }
  return out;
};

describe("chapters (notebooks/)", function () {
  // every chapter in one before hook: up to 60 s each, with room for a loaded machine
  this.timeout(Math.max(600, 150 * chapters.length) * 1000);
  let results: NotebookResult[] = [];
  before(async () => {
    ensureBuilt();
    requirePython(["nbclient", "nbformat"]);
    const out = tempDir("gradlab-chapters-");
    results = await runNotebooks(chapters.map((c) => join(DIR, c)), { out, timeout: 120, env: { GRADLAB_QUICK: "1" } });
  });

  it("there are chapters", () => assert.ok(chapters.length >= 1));

  for (const chapter of chapters) {
    describe(chapter, () => {
      const committed = JSON.parse(readFileSync(join(DIR, chapter), "utf8")) as Notebook;
      const result = () => results.find((r) => r.notebook.endsWith(chapter))!;

      it("runs top to bottom in quick mode, within 60 s", () => {
        const r = result();
        assert.ok(r.ok, `${chapter} failed: ${r.error}`);
        assert.ok(r.seconds <= 60, `${chapter} took ${r.seconds} s in quick mode`);
      });

      it("asserts its numbers in at least 3 check(...) cells", () => {
        assert.ok(checks(committed).size >= 3, `${checks(committed).size} check cells`);
      });

      it("is committed with the outputs of a run, and a new run reproduces its checked numbers", () => {
        const code = committed.cells.filter((c) => c.cell_type === "code");
        assert.ok(code.every((c) => c.execution_count !== null), "every code cell of the committed notebook was executed");
        const now = checks(JSON.parse(readFileSync(result().executed, "utf8")) as Notebook);
        for (const [id, saved] of checks(committed)) {
          assert.match(saved, /^['"]?✓/, `cell ${id}: the committed output is a passed check`);
          assert.equal(now.get(id), saved, `cell ${id}: the committed output differs from a new run`);
        }
      });
    });
  }
});
