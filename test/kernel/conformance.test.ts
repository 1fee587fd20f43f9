import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { installKernelSpec } from "../../kernel-ext/install";
import { ROOT, ensureBuilt, requirePython, tempDir } from "./util";

/**
 * The Jupyter kernel conformance suite (jupyter_kernel_test.KernelTests, from
 * Debian's python3-jupyter-kernel-test) and our additions to it, in
 * test/kernel/test_gradlab_kernel.py, against the built kernel: one kernel
 * start for the whole suite.
 */
describe("kernel: Jupyter conformance suite (jupyter_kernel_test)", function () {
  this.timeout(180_000);
  let output = "";
  let status: number | null = null;

  before(async () => {
    ensureBuilt();
    const python = requirePython(["jupyter_kernel_test", "jupyter_client"]);
    const dataDir = tempDir("gradlab-jupyter-");
    installKernelSpec({ dataDir });
    try {
      status = await new Promise<number | null>((done, fail) => {
        const child = spawn(python, ["-m", "unittest", "-v", "test_gradlab_kernel"], {
          cwd: join(ROOT, "test", "kernel"),
          env: { ...process.env, JUPYTER_DATA_DIR: dataDir, PYTHONDONTWRITEBYTECODE: "1" },
        });
        child.stdout.on("data", (c: Buffer) => (output += c.toString()));
        child.stderr.on("data", (c: Buffer) => (output += c.toString()));
        child.on("error", fail);
        child.on("exit", (code) => done(code));
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** unittest -v prints "test_name (module.Class.test_name) ... ok" per test. */
  const resultOf = (name: string): string => {
    const m = new RegExp(`^${name} \\(.*?\\) \\.\\.\\. (\\w+)`, "m").exec(output);
    return m ? m[1] : "missing";
  };

  it("the whole suite passes", () => {
    assert.equal(status, 0, output.slice(-6000));
    assert.match(output, /\nOK( \(skipped=\d+\))?\n/);
  });

  const required = [
    ["kernel_info", "test_kernel_info"], ["kernel_info status", "test_kernel_info_status"],
    ["execute_result", "test_execute_result"], ["display_data", "test_display_data"],
    ["update_display_data", "test_update_display_data"], ["clear_output", "test_clear_output"],
    ["error", "test_error"], ["error content (ename, evalue, traceback)", "test_error_content"],
    ["TypeScript compile errors", "test_compile_error"], ["stdout", "test_execute_stdout"], ["stderr", "test_execute_stderr"],
    ["execute_input", "test_execute_input_and_counts"], ["completion", "test_completion"], ["inspection", "test_inspect"],
    // is_complete runs without its invalid-code samples; the reason is in test_gradlab_kernel.py.
    ["is_complete", "test_is_complete"],
    ["stop_on_error aborts queued requests", "test_stop_on_error_aborts_queued_requests"],
    ["continue on error", "test_continue_on_error_runs_later_cells"],
    ["interrupt a busy loop", "test_interrupt_busy_loop"], ["interrupt an await", "test_interrupt_await"],
  ];
  for (const [what, test] of required) {
    it(`${what} (${test}) ran and passed`, () => {
      assert.equal(resultOf(test), "ok", output.slice(-6000));
    });
  }
});
