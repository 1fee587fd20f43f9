"""The Jupyter kernel conformance suite (jupyter_kernel_test) against the gradlab kernel,
plus what the suite does not cover: update_display_data, the error content, execute_input,
stop_on_error both ways, interrupts, and kernel_info's status.

Run by test/kernel/conformance.test.ts with the kernelspec installed in a private
JUPYTER_DATA_DIR:  /usr/bin/python3 -m unittest -v test_gradlab_kernel
"""
import time
import unittest

import jupyter_kernel_test as jkt
from jupyter_client.utils import run_sync

# What library code does through the global hook (src/display/hook.ts), written out
# so the kernel is tested on its own, without the library's exports.
HOOK = '(globalThis as any)[Symbol.for("gradlab.jupyter.kernel")]'


class GradlabKernelTests(jkt.KernelTests):
    kernel_name = "gradlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("an error line")'

    completion_samples = [
        {"text": "Math.fl", "matches": {"floor"}},
        {"text": "const someLongName = 1;\nsomeLong", "matches": {"someLongName"}},
    ]

    complete_code_samples = ["1", "const x = 1;", "function f() { return 1; }", "for (let i = 0; i < 3; i++) {}"]
    incomplete_code_samples = ["function f() {", "const xs = [1,", "if (true) {"]
    # invalid_code_samples are left out on purpose: tslab's is_complete (converter.isCompleteCode)
    # only tells complete code from code with open brackets; code such as "}" or "const = ;"
    # comes back "complete" and fails when run, never "invalid".

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "Promise.resolve(5)", "result": "5"},
        # A value with [Symbol.for("Jupyter.display")]() sends its whole bundle.
        {"code": '({ [Symbol.for("Jupyter.display")]() { return { "text/plain": "plain", "text/html": "<b>rich</b>" }; } })',
         "mime": "text/html", "result": "<b>rich</b>"},
        {"code": 'import { tensor } from "gradlab";\ntensor([[1, 2], [3, 4]])', "mime": "text/html"},
    ]

    code_display_data = [
        {"code": HOOK + '.send({ "text/plain": "x", "text/html": "<i>x</i>" })', "mime": "text/html"},
        # tslab's own display API goes through the same kernel.
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>tslab</b>")', "mime": "text/html"},
    ]

    code_inspect_sample = "Math.max"
    code_clear_output = HOOK + ".clearOutput(false)"

    # --- beyond the suite ------------------------------------------------------------
    def outputs(self, code, **kw):
        reply, msgs = self.execute_helper(code, **kw)
        return reply["content"], msgs

    def test_kernel_info_status(self):
        self.flush_channels()
        self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=jkt.TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["content"]["implementation"], "gradlab")

    def test_execute_input_and_counts(self):
        self.flush_channels()
        msg_id = self.kc.execute("1 + 1")
        first = None
        while True:
            msg = run_sync(self.kc.iopub_channel.get_msg)(timeout=jkt.TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_input":
                first = msg["content"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = self.get_non_kernel_info_reply(timeout=jkt.TIMEOUT)
        self.assertIsNotNone(first, "no execute_input")
        self.assertEqual(first["code"], "1 + 1")
        self.assertEqual(first["execution_count"], reply["content"]["execution_count"])

    def test_update_display_data(self):
        self.flush_channels()
        code = (HOOK + '.send({ "text/plain": "first" }, { displayId: "d1" });\n'
                + HOOK + '.send({ "text/plain": "second" }, { displayId: "d1", update: true });')
        content, msgs = self.outputs(code)
        self.assertEqual(content["status"], "ok")
        kinds = [(m["msg_type"], m["content"]["data"]["text/plain"], m["content"]["transient"].get("display_id"))
                 for m in msgs if m["msg_type"] in ("display_data", "update_display_data")]
        self.assertEqual(kinds, [("display_data", "first", "d1"), ("update_display_data", "second", "d1")])

    def test_error_content(self):
        self.flush_channels()
        code = 'function inner() { throw new RangeError("value out of range: 7"); }\ninner();'
        content, msgs = self.outputs(code)
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "RangeError")
        self.assertEqual(content["evalue"], "value out of range: 7")
        err = [m for m in msgs if m["msg_type"] == "error"]
        self.assertEqual(len(err), 1)
        tb = err[0]["content"]["traceback"]
        self.assertIn("value out of range: 7", tb[0])
        self.assertTrue(any("at inner" in line for line in tb[1:]), tb)
        # The kernel's and Node's own frames are left out.
        self.assertFalse(any("tslab" in line or "node:internal" in line for line in tb), tb)

    def test_compile_error(self):
        self.flush_channels()
        content, msgs = self.outputs('const n: number = "text";', stop_on_error=False)
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "CompileError")
        self.assertIn("not assignable to type 'number'", content["evalue"])

    def collect_replies(self, ids):
        replies = {}
        while len(replies) < len(ids):
            msg = self.kc.get_shell_msg(timeout=jkt.TIMEOUT)
            parent = msg["parent_header"].get("msg_id")
            if parent in ids:
                replies[parent] = msg["content"]
        return [replies[i] for i in ids]

    def test_stop_on_error_aborts_queued_requests(self):
        self.flush_channels()
        # Sent together, as "run all" does: the error aborts the two after it.
        ids = [self.kc.execute('throw new Error("first fails")'),
               self.kc.execute("globalThis.ranAfterError = 1"),
               self.kc.execute("2 + 2")]
        statuses = [r["status"] for r in self.collect_replies(ids)]
        self.assertEqual(statuses, ["error", "aborted", "aborted"])
        # A request sent after the error was seen runs normally.
        time.sleep(0.05)
        self.flush_channels()
        content, _ = self.outputs("typeof (globalThis as any).ranAfterError")
        self.assertEqual(content["status"], "ok")

    def test_continue_on_error_runs_later_cells(self):
        self.flush_channels()
        ids = [self.kc.execute('throw new Error("fails")', stop_on_error=False),
               self.kc.execute("3 * 3", stop_on_error=False)]
        statuses = [r["status"] for r in self.collect_replies(ids)]
        self.assertEqual(statuses, ["error", "ok"])

    def interrupt_after(self, code, delay):
        self.flush_channels()
        msg_id = self.kc.execute(code, stop_on_error=False)
        time.sleep(delay)
        self.km.interrupt_kernel()
        while True:
            reply = self.kc.get_shell_msg(timeout=jkt.TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        while True:  # the interrupted request's outputs, up to its idle
            msg = run_sync(self.kc.iopub_channel.get_msg)(timeout=jkt.TIMEOUT)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"):
                return reply["content"]

    def test_interrupt_busy_loop(self):
        content = self.interrupt_after("while (true) {}", 1.0)
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "Interrupted")
        self.assertEqual(self.outputs("1 + 2")[0]["status"], "ok")

    def test_interrupt_await(self):
        content = self.interrupt_after("await new Promise(() => {});", 1.0)
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "Interrupted")
        self.assertEqual(self.outputs("1 + 2")[0]["status"], "ok")


if __name__ == "__main__":
    unittest.main()
