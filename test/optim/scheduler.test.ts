import assert from "node:assert/strict";
import { tensor } from "../../src";
import * as optim from "../../src/optim";
import { assertThrowsOp } from "../helpers";

const sgd = (lr = 1) => new optim.SGD([tensor([1], { requiresGrad: true })], { lr });
function lrs(s: { step(): void; getLastLr(): number[] }, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s.step();
    out.push(s.getLastLr()[0]);
  }
  return out;
}
function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `epoch ${i + 1}: ${v} != ${expected[i]} (all: ${actual})`));
}

describe("learning-rate schedules", () => {
  it("StepLR drops by gamma every stepSize epochs", () => {
    const opt = sgd(1);
    close(lrs(new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }), 6), [1, 0.5, 0.5, 0.25, 0.25, 0.125]);
    assert.equal(opt.paramGroups[0].lr, 0.125, "the optimizer's lr is what changes");
    assertThrowsOp(() => new optim.StepLR(sgd(), { stepSize: 0 }), "StepLR", "stepSize", "0");
  });

  it("ExponentialLR multiplies by gamma each epoch, per group from its own base lr", () => {
    const opt = new optim.SGD([{ params: [tensor([1], { requiresGrad: true })], lr: 1 }, { params: [tensor([2], { requiresGrad: true })], lr: 0.1 }]);
    const s = new optim.ExponentialLR(opt, { gamma: 0.9 });
    close(lrs(s, 3), [0.9, 0.81, 0.729]);
    close(s.getLastLr(), [0.729, 0.0729]);
  });

  it("CosineAnnealingLR follows half a cosine from the base lr to etaMin", () => {
    // etaMin + (1 - etaMin) (1 + cos(pi t / 4)) / 2 for t = 1..4: cos = 0.7071..., 0, -0.7071..., -1
    close(lrs(new optim.CosineAnnealingLR(sgd(1), { tMax: 4, etaMin: 0.1 }), 4), [
      0.1 + 0.9 * (1 + Math.SQRT1_2) / 2, 0.55, 0.1 + 0.9 * (1 - Math.SQRT1_2) / 2, 0.1,
    ]);
  });

  it("ReduceLROnPlateau: factor after more than `patience` bad epochs, then a cooldown, never below minLr", () => {
    const opt = sgd(1);
    const s = new optim.ReduceLROnPlateau(opt, { patience: 1, factor: 0.5, cooldown: 1, minLr: 0.2, threshold: 0.1 });
    const metrics = [10, 9.5, 9.5, 8, 8, 8, 8, 8, 8, 8, 8, 8];
    const got = metrics.map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    // 9.5 is not better than 10 by 10%: two bad epochs > patience 1 reduce at epoch 3; 8 is better (resets);
    // the epoch after each reduction is cooldown
    close(got, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]);
    assert.equal(s.best, 8);
  });

  it("ReduceLROnPlateau in max mode with an absolute threshold", () => {
    const s = new optim.ReduceLROnPlateau(sgd(1), { mode: "max", patience: 0, thresholdMode: "abs", threshold: 0.05 });
    const got = [0.5, 0.6, 0.62, 0.7].map((m) => {
      s.step(m);
      return s.getLastLr()[0];
    });
    // 0.62 is not 0.05 above 0.6: one bad epoch > patience 0 reduces by the default factor 0.1
    close(got, [1, 1, 0.1, 0.1]);
    assertThrowsOp(() => s.step(NaN), "ReduceLROnPlateau", "metric");
    assertThrowsOp(() => new optim.ReduceLROnPlateau(sgd(), { factor: 1 }), "ReduceLROnPlateau", "factor");
  });
});
