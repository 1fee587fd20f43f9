import assert from "node:assert/strict";
import { Generator, manualSeed, zeros, Tensor } from "../../src";
import * as nn from "../../src/nn";
import { assertClose, assertThrowsOp } from "../helpers";

const init = nn.init;
function stats(t: Tensor): { min: number; max: number; mean: number; std: number } {
  const v = [...t.values()];
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { min: Math.min(...v), max: Math.max(...v), mean, std };
}

describe("nn.init", () => {
  beforeEach(() => manualSeed(0));

  it("gains and fans follow PyTorch", () => {
    assert.equal(init.calculateGain("relu"), Math.SQRT2);
    assert.equal(init.calculateGain("tanh"), 5 / 3);
    assert.equal(init.calculateGain("leakyRelu", Math.sqrt(5)), Math.sqrt(1 / 3));
    assert.deepEqual(init.calculateFanInAndFanOut(zeros([16, 3, 5, 5])), { fanIn: 75, fanOut: 400 });
    assertThrowsOp(() => init.xavierUniform(zeros([3])), "init", "[3]");
  });

  it("uniform, normal, constants", () => {
    const s = stats(init.uniform(zeros([100, 100]), -2, 3));
    assert.ok(s.min >= -2 && s.max < 3 && Math.abs(s.mean - 0.5) < 0.05 && Math.abs(s.std - 5 / Math.sqrt(12)) < 0.03);
    const n = stats(init.normal(zeros([100, 100]), 1, 0.5));
    assert.ok(Math.abs(n.mean - 1) < 0.02 && Math.abs(n.std - 0.5) < 0.02, JSON.stringify(n));
    assertClose(init.ones(zeros([2])), [1, 1]);
    assertClose(init.constant(zeros([2]), 3), [3, 3]);
  });

  it("xavier and kaiming scale by the fans", () => {
    const xu = stats(init.xavierUniform(zeros([200, 100])));
    const a = Math.sqrt(6 / 300);
    assert.ok(xu.max <= a && xu.min >= -a && Math.abs(xu.std - a / Math.sqrt(3)) < 0.005);
    const xn = stats(init.xavierNormal(zeros([200, 100]), 2));
    assert.ok(Math.abs(xn.std - 2 * Math.sqrt(2 / 300)) < 0.005);
    const kn = stats(init.kaimingNormal(zeros([200, 100]), { nonlinearity: "relu" }));
    assert.ok(Math.abs(kn.std - Math.sqrt(2 / 100)) < 0.005, JSON.stringify(kn));
    const ku = stats(init.kaimingUniform(zeros([200, 100]), { mode: "fanOut", nonlinearity: "relu" }));
    assert.ok(ku.max <= Math.sqrt(6 / 200) && Math.abs(ku.std - Math.sqrt(2 / 200)) < 0.005);
  });

  it("parameters can be initialised in place (under noGrad inside)", () => {
    const lin = new nn.Linear(3, 2);
    init.zeros(lin.weight);
    assertClose(lin.weight, [[0, 0, 0], [0, 0, 0]]);
    assert.ok(lin.weight.requiresGrad);
  });

  it("Linear and Conv2d default to PyTorch's U(-1/sqrt(fanIn), 1/sqrt(fanIn)); Embedding to N(0, 1)", () => {
    const lin = new nn.Linear(400, 300);
    const w = stats(lin.weight), b = stats(lin.bias!);
    const bound = 1 / 20;
    assert.ok(w.max <= bound && w.min >= -bound && Math.abs(w.std - bound / Math.sqrt(3)) < 0.001, JSON.stringify(w));
    assert.ok(b.max <= bound && b.min >= -bound);
    const conv = stats(new nn.Conv2d(8, 64, 3).weight);
    assert.ok(conv.max <= 1 / Math.sqrt(72) && conv.min >= -1 / Math.sqrt(72));
    const e = stats(new nn.Embedding(100, 100).weight);
    assert.ok(Math.abs(e.std - 1) < 0.02 && Math.abs(e.mean) < 0.03);
  });

  it("the same seed gives the same weights; an explicit generator leaves the default one alone", () => {
    manualSeed(42);
    const a = new nn.Linear(5, 4).weight.values();
    manualSeed(42);
    const b = new nn.Linear(5, 4).weight.values();
    assert.deepEqual(a, b);
    manualSeed(7);
    const g1 = init.normal(zeros([5]), 0, 1, { generator: new Generator(1) }).values();
    const afterOwn = init.normal(zeros([3])).values();
    manualSeed(7);
    const plain = init.normal(zeros([3])).values();
    assert.deepEqual(afterOwn, plain);
    assert.deepEqual(init.normal(zeros([5]), 0, 1, { generator: new Generator(1) }).values(), g1);
  });
});
