import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The README's first TypeScript example runs as written (importing the source instead of the built package). */
describe("README", () => {
  it("the first example runs and prints what its comment says", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const block = /```ts\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, "README has a ```ts block");
    const src = path.join(__dirname, "..", "src", "index").replace(/\\/g, "/");
    const code = block[1].replace(/from "gradlab"/g, `from "${src}"`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlab-readme-"));
    const file = path.join(dir, "example.ts");
    fs.writeFileSync(file, code);
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => printed.push(a.map(String).join(" "));
    try {
      require(file);
    } finally {
      console.log = log;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const expected = /console\.log\(.*\);\s*\/\/ (.*)/.exec(block[1]);
    assert.ok(expected, "the example's console.log has a comment with its output");
    assert.equal(printed[0].replace(/\s+/g, " "), expected[1].replace(/\s+/g, " "));
  });
});
