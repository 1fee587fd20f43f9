import assert from "node:assert/strict";
import { grading, tensor } from "../../src";
import { clearTests, registeredTests } from "../../src/grade/api";
import { installKernelHook, KernelHook } from "../../src/display/hook";
import type { MimeBundle } from "../../src/display/bundle";

const { test, check, expect } = grading;

/** The message expect(...) throws, or "" when it passes. */
function failure(f: () => void): string {
  try {
    f();
    return "";
  } catch (e) {
    assert.equal((e as Error).name, "AssertionFailed");
    return (e as Error).message;
  }
}

describe("grading.expect", () => {
  it("toBeCloseTo compares numbers, nested arrays and tensors within atol + rtol·|expected|", () => {
    assert.equal(failure(() => expect(1.000001).toBeCloseTo(1)), "");
    assert.equal(failure(() => expect([[1, 2], [3, 4]]).toBeCloseTo(tensor([[1, 2], [3, 4.00001]]))), "");
    assert.equal(failure(() => expect(tensor([0.1, 0.2])).toBeCloseTo(new Float64Array([0.1, 0.2]))), "");
    assert.equal(failure(() => expect(NaN).toBeCloseTo(NaN)), "");
    assert.match(failure(() => expect(1.1).toBeCloseTo(1)), /^toBeCloseTo: expected 1, got 1.1; tolerance atol=0.00001, rtol=0.0001$/);
    assert.match(failure(() => expect(1.1).toBeCloseTo(1, { atol: 0.2 })), /^$/);
    assert.match(failure(() => expect(1e6 + 50).toBeCloseTo(1e6)), /^$/); // rtol 1e-4 of 1e6 is 100
    assert.match(failure(() => expect(0).toBeCloseTo(NaN)), /expected NaN, got 0/);
  });

  it("toBeCloseTo names the shape first, then the first differing element and how many differ", () => {
    assert.equal(failure(() => expect(tensor([[1, 2, 3]])).toBeCloseTo(tensor([[1, 2], [3, 4]]))), "toBeCloseTo: expected shape [2,2], got shape [1,3]");
    const m = failure(() => expect(tensor([[1, 2], [3, 4]])).toBeCloseTo([[1, 2], [5, 6]]));
    assert.equal(m, "toBeCloseTo: expected 5, got 3 at [1,0] (2 of 4 elements differ); tolerance atol=0.00001, rtol=0.0001");
    assert.match(failure(() => expect("7").toBeCloseTo(7)), /the actual value is not a number, an array of numbers or a Tensor: "7"/);
    assert.match(failure(() => expect([[1, 2], [3]]).toBeCloseTo([[1, 2], [3, 4]])), /not a number, an array of numbers or a Tensor/);
  });

  it("toEqual is deep equality, with tensors by shape and values", () => {
    assert.equal(failure(() => expect({ a: [1, 2], b: "x" }).toEqual({ a: [1, 2], b: "x" })), "");
    assert.equal(failure(() => expect(tensor([1, 2])).toEqual(tensor([1, 2]))), "");
    assert.equal(failure(() => expect({ a: [1, 2] }).toEqual({ a: [1, 3] })), "toEqual: expected 3, got 2 at .a[1]");
    assert.equal(failure(() => expect({ a: 1 }).toEqual({ a: 1, b: 2 })), 'toEqual: expected a key "b", it is missing');
    assert.equal(failure(() => expect(tensor([1, 2])).toEqual(tensor([[1, 2]]))), "toEqual: expected shape [1,2], got shape [2]");
    assert.equal(failure(() => expect(tensor([1, 2])).toEqual(tensor([1, 2.5]))), "toEqual: expected 2.5, got 2 at [1]");
  });

  it("toBe, toHaveShape, toBeGreaterThan, toBeLessThan, toBeTruthy", () => {
    const o = {};
    assert.equal(failure(() => expect(o).toBe(o)), "");
    assert.equal(failure(() => expect({}).toBe({})), "toBe: expected {}, got {}");
    assert.equal(failure(() => expect(-0).toBe(0)), "toBe: expected 0, got 0"); // Object.is tells them apart
    assert.equal(failure(() => expect(tensor([[1, 2, 3]])).toHaveShape([1, 3])), "");
    assert.equal(failure(() => expect(tensor([1, 2, 3])).toHaveShape([3, 1])), "toHaveShape: expected shape [3,1], got shape [3]");
    assert.equal(failure(() => expect(0.96).toBeGreaterThan(0.95)), "");
    assert.equal(failure(() => expect(tensor(0.9)).toBeGreaterThan(0.95)), "toBeGreaterThan: expected more than 0.95, got 0.8999999761581421");
    assert.equal(failure(() => expect(2).toBeLessThan(1)), "toBeLessThan: expected less than 1, got 2");
    assert.equal(failure(() => expect(1).toBeTruthy()), "");
    assert.equal(failure(() => expect(0).toBeTruthy()), "toBeTruthy: expected a truthy value, got 0");
  });

  it("toThrow checks that the function throws, optionally with a message", () => {
    const boom = (): never => {
      throw new Error("matmul: shapes [2,3] and [4,5] do not align");
    };
    assert.equal(failure(() => expect(boom).toThrow()), "");
    assert.equal(failure(() => expect(boom).toThrow("do not align")), "");
    assert.equal(failure(() => expect(boom).toThrow(/shapes \[2,3\]/)), "");
    assert.equal(failure(() => expect(boom).toThrow("broadcast")), 'toThrow: expected an error matching "broadcast", got "matmul: shapes [2,3] and [4,5] do not align"');
    assert.equal(failure(() => expect(() => 1).toThrow()), "toThrow: expected the function to throw, it returned normally");
  });

  it("keeps working when a submission replaces the built-ins it relies on", () => {
    const saved = { abs: Math.abs, is: Object.is };
    try {
      Math.abs = () => 0;
      Object.is = () => true;
      assert.match(failure(() => expect(2).toBeCloseTo(1)), /expected 1, got 2/);
      assert.match(failure(() => expect(2).toBe(1)), /expected 1, got 2/);
    } finally {
      Math.abs = saved.abs;
      Object.is = saved.is;
    }
  });

  it("cannot be patched through the grading object or the Expectation prototype", () => {
    assert.ok(Object.isFrozen(grading));
    assert.throws(() => {
      (grading as { expect: unknown }).expect = () => ({});
    }, TypeError);
    const proto = Object.getPrototypeOf(expect(1)) as Record<string, unknown>;
    assert.throws(() => {
      proto.toBeCloseTo = () => undefined;
    }, TypeError);
    assert.match(failure(() => expect(2).toBeCloseTo(1)), /expected 1, got 2/);
  });
});

describe("grading.test and grading.check", () => {
  const shown: MimeBundle[] = [];
  const hook: KernelHook = { send: (b) => void shown.push(b), clearOutput: () => undefined, track: () => undefined, interrupts: 0, session: "test" };
  beforeEach(() => {
    clearTests();
    shown.length = 0;
    installKernelHook(hook);
  });
  after(() => {
    installKernelHook(undefined);
    clearTests();
  });

  it("runs the tests of one question, gives partial credit per test, and never throws", async () => {
    test("q1", "positive", 2, () => expect(1).toBeGreaterThan(0));
    test("q1", "wrong", 3, () => expect(1).toBe(2));
    test("q1", "async", 1, async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect([1]).toHaveShape([1]);
    });
    test("q2", "other question", 5, () => undefined);
    const report = await check("q1");
    assert.equal(report.id, "q1");
    assert.deepEqual(report.results.map((r) => [r.name, r.passed, r.earned, r.points]), [["positive", true, 2, 2], ["wrong", false, 0, 3], ["async", true, 1, 1]]);
    assert.equal(report.results[1].message, "toBe: expected 2, got 1");
    assert.equal(report.earned, 3);
    assert.equal(report.possible, 6);
    assert.equal(shown.length, 1);
    assert.equal(shown[0]["text/plain"], "✓ q1 positive (2/2)\n✗ q1 wrong (0/3): toBe: expected 2, got 1\n✓ q1 async (1/1)\nq1: 3/6 points");
    assert.match(String(shown[0]["text/html"]), /gradlab-check/);
    const all = await check();
    assert.equal(all.possible, 11);
    assert.equal(all.earned, 8);
  });

  it("re-registering a test with the same id and name replaces it in place", async () => {
    test("q1", "a", 1, () => expect(0).toBeTruthy());
    test("q1", "b", 1, () => undefined);
    test("q1", "a", 2, () => undefined);
    assert.deepEqual(registeredTests("q1").map((t) => [t.name, t.points]), [["a", 2], ["b", 1]]);
    assert.equal((await check("q1")).earned, 3);
  });

  it("reports a question with no tests, and errors that are not Errors", async () => {
    const none = await check("q9");
    assert.equal(none.possible, 0);
    assert.equal(shown[0]["text/plain"], "q9: no tests registered");
    test("q3", "throws a string", 1, () => {
      throw "nope";
    });
    const hostile = {
      get message(): string {
        throw new Error("gotcha");
      },
    };
    test("q3", "throws a hostile object", 1, () => {
      throw hostile;
    });
    const r = await check("q3");
    assert.equal(r.results[0].message, "nope");
    assert.equal(r.results[1].message, "(the test threw a value that cannot be shown)");
    assert.equal(r.earned, 0);
  });

  it("rejects malformed registrations by name", () => {
    assert.throws(() => test("", "x", 1, () => undefined), /question id/);
    assert.throws(() => test("q1", "x", -1, () => undefined), /points must be a number >= 0/);
    assert.throws(() => test("q1", "x", 1, undefined as unknown as () => void), /last argument must be the test function/);
  });
});
