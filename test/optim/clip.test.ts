import assert from "node:assert/strict";
import { tensor, Tensor } from "../../src";
import * as optim from "../../src/optim";
import { assertClose, assertThrowsOp } from "../helpers";

/** Two parameters with gradients [3, 4] and [12]: total 2-norm 13, 1-norm 19, max-norm 12. */
function params(): Tensor[] {
  const a = tensor([0, 0], { requiresGrad: true }), b = tensor([0], { requiresGrad: true });
  a.mul(tensor([3, 4])).sum().add(b.mul(12).sum()).backward();
  return [a, b];
}

describe("gradient clipping and penalties", () => {
  it("clipGradNorm scales all gradients together to maxNorm and returns the norm before", () => {
    const ps = params();
    assert.ok(Math.abs(optim.clipGradNorm(ps, 6.5) - 13) < 1e-6);
    assertClose(ps[0].grad!, [1.5, 2], { rtol: 1e-5 });
    assertClose(ps[1].grad!, [6], { rtol: 1e-5 });
    const qs = params();
    assert.ok(Math.abs(optim.clipGradNorm(qs, 100) - 13) < 1e-6);
    assertClose(qs[0].grad!, [3, 4]);
  });

  it("other norms: 1 and Infinity", () => {
    assert.ok(Math.abs(optim.clipGradNorm(params(), 100, 1) - 19) < 1e-6);
    const ps = params();
    assert.equal(optim.clipGradNorm(ps, 6, Infinity), 12);
    assertClose(ps[1].grad!, [6], { rtol: 1e-5 });
    assertClose(ps[0].grad!, [1.5, 2], { rtol: 1e-5 });
  });

  it("a gradient shared by two parameters is scaled once for each", () => {
    // backward hands the same gradient tensor to both inputs of an add
    const a = tensor([0, 0], { requiresGrad: true }), b = tensor([0, 0], { requiresGrad: true });
    a.add(b).mul(tensor([3, 4])).sum().backward();
    // both gradients are [3, 4]: total norm sqrt(50) = 5 sqrt(2), clipped to 0.5
    assert.ok(Math.abs(optim.clipGradNorm([a, b], 0.5) - 5 * Math.SQRT2) < 1e-5);
    const f = 0.5 / (5 * Math.SQRT2);
    assertClose(a.grad!, [3 * f, 4 * f], { rtol: 1e-5 });
    assertClose(b.grad!, [3 * f, 4 * f], { rtol: 1e-5 });
  });

  it("non-finite norms, missing gradients, bad arguments", () => {
    const p = tensor([1], { requiresGrad: true });
    p.mul(NaN).sum().backward();
    assertThrowsOp(() => optim.clipGradNorm([p], 1, 2, { errorIfNonfinite: true }), "clipGradNorm", "NaN", "exploded");
    assert.equal(optim.clipGradNorm([tensor([1], { requiresGrad: true })], 1), 0);
    assertThrowsOp(() => optim.clipGradNorm([p], -1), "clipGradNorm", "maxNorm", "-1");
  });

  it("clipGradValue clamps each element", () => {
    const ps = params();
    optim.clipGradValue(ps, 3.5);
    assertClose(ps[0].grad!, [3, 3.5]);
    assertClose(ps[1].grad!, [3.5]);
  });

  it("l1Penalty and l2Penalty: the loss terms and their gradients", () => {
    const a = tensor([1, -2], { requiresGrad: true }), b = tensor([3], { requiresGrad: true });
    const l1 = optim.l1Penalty([a, b], 0.1);
    assertClose(l1, 0.6);
    l1.backward();
    assertClose(a.grad!, [0.1, -0.1]);
    a.grad = null;
    b.grad = null;
    const l2 = optim.l2Penalty([a, b], 0.5);
    assertClose(l2, 7);
    l2.backward();
    assertClose(a.grad!, [1, -2]); // 2 lambda w
    assertClose(b.grad!, [3]);
    assertThrowsOp(() => optim.l2Penalty([], 1), "l2Penalty", "no parameters");
  });
});
