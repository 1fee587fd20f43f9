import assert from "node:assert/strict";
import * as backends from "../src/backend";
import { Tensor } from "../src/tensor/tensor";
import { GradlabError } from "../src/errors";

/**
 * The backends every op test runs on. The js backend always; others once
 * registered (the tfjs fast path registers itself when its module loads).
 * GRADLAB_TEST_BACKENDS=js limits a run to some of them.
 */
export function backendsUnderTest(): string[] {
  const only = process.env.GRADLAB_TEST_BACKENDS?.split(",").filter(Boolean);
  return backends.available().filter((b) => !only || only.includes(b));
}

/**
 * `it` on the js backend, and no test at all elsewhere: float64 (which
 * gradient checks need) exists only on js, so on tfjs these cases have
 * nothing to test rather than something skipped.
 */
export function itOnJs(backend: string): (title: string, fn: Mocha.Func) => void {
  return backend === "js" ? (title, fn) => void it(title, fn) : () => undefined;
}

/**
 * Runs the suite once per backend, with that backend active. The before hook
 * awaits the switch: the tfjs backend loads its engine on first use.
 */
export function forEachBackend(title: string, body: (backend: string) => void): void {
  for (const name of backendsUnderTest()) {
    describe(`${title} [${name}]`, () => {
      let previous: string;
      before(async () => {
        previous = backends.active().name;
        await backends.switchTo(name);
      });
      after(() => {
        backends.use(previous);
      });
      body(name);
    });
  }
}

/** float32 results are compared loosely, float64 (gradcheck) tightly. */
export function tolFor(t: Tensor): { rtol: number; atol: number } {
  return t.dtype === "float64" ? { rtol: 1e-10, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
}

type Expected = number | readonly Expected[];

function flatten(x: Expected): number[] {
  return typeof x === "number" ? [x] : x.flatMap(flatten);
}

function shapeOf(x: Expected): number[] {
  return typeof x === "number" ? [] : [x.length, ...(x.length ? shapeOf(x[0]) : [])];
}

/** Asserts shape and values (within tolerance; NaN matches NaN). */
export function assertClose(actual: Tensor, expected: Expected | Tensor, tol: Partial<{ rtol: number; atol: number }> = {}): void {
  const { rtol, atol } = { ...tolFor(actual), ...tol };
  const expShape = expected instanceof Tensor ? expected.shape : shapeOf(expected);
  const exp = expected instanceof Tensor ? Array.from(expected.values()) : flatten(expected);
  assert.deepEqual(actual.shape, expShape, `shape ${JSON.stringify(actual.shape)} != ${JSON.stringify(expShape)}`);
  const act = actual.values();
  for (let i = 0; i < exp.length; i++) {
    const a = act[i], e = exp[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `element ${i}: ${a} != ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Asserts fn throws a GradlabError from `op` whose message contains every fragment. */
export function assertThrowsOp(fn: () => unknown, op: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GradlabError, `expected a GradlabError, got ${String(e)}`);
    assert.equal(e.op, op, `error names op "${e.op}", expected "${op}": ${e.message}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" lacks "${f}"`);
    return true;
  });
}

/**
 * Counts the active backend's sliceAssign calls while fn runs: how the
 * gradient of one slice is padded to its input's shape. Many slices of one
 * tensor should be gathered instead (see autograd/engine.ts).
 */
export function countSliceAssigns(fn: () => void): number {
  const be = backends.active();
  const original = be.sliceAssign;
  let calls = 0;
  be.sliceAssign = function (this: typeof be, ...args: Parameters<typeof original>) {
    calls++;
    return original.apply(this, args);
  };
  try {
    fn();
  } finally {
    be.sliceAssign = original;
  }
  return calls;
}
