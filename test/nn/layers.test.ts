import assert from "node:assert/strict";
import { arange, manualSeed, noGrad, ones, randn, tensor, Tensor } from "../../src";
import * as nn from "../../src/nn";
import { assertClose, assertThrowsOp } from "../helpers";
import { gradcheckModule } from "./util";

const f64 = (shape: number[]) => randn(shape, { dtype: "float64" });

function setParams(m: nn.Module<never, unknown>, values: Record<string, Tensor>): void {
  m.loadStateDict({ ...m.stateDict(), ...values });
}

describe("nn layers", () => {
  beforeEach(() => manualSeed(0));

  describe("Linear", () => {
    it("computes x W^T + b", () => {
      const lin = new nn.Linear(2, 3);
      setParams(lin, { weight: tensor([[1, 2], [3, 4], [5, 6]]), bias: tensor([0.5, -1, 0]) });
      assertClose(lin.forward(tensor([[1, 1], [2, -1]])), [[3.5, 6, 11], [0.5, 1, 4]]);
      // leading dims are kept: [2, 1, 2] -> [2, 1, 3]
      assertClose(lin.forward(tensor([[[1, 1]], [[2, -1]]])), [[[3.5, 6, 11]], [[0.5, 1, 4]]]);
      const nob = new nn.Linear(2, 1, { bias: false });
      assert.equal(nob.bias, null);
      assert.equal(nob.parameters().length, 1);
    });

    it("has the gradients of x W^T + b (gradcheck in float64)", () => {
      const lin = new nn.Linear(3, 2).double();
      gradcheckModule(lin, [f64([4, 3])], (x) => lin.forward(x));
    });

    it("names the layer and both sizes on a wrong input", () => {
      assertThrowsOp(() => new nn.Linear(4, 2).forward(ones([3, 5])), "Linear", "[3,5]", "4 features");
    });
  });

  describe("Conv2d and pooling", () => {
    it("Conv2d cross-correlates and adds the bias", () => {
      const conv = new nn.Conv2d(1, 1, 2);
      setParams(conv, { weight: tensor([[[[1, 0], [0, -1]]]]), bias: tensor([1]) });
      const x = tensor([[[[1, 2, 0], [0, 3, 1], [2, 1, 4]]]]);
      assertClose(conv.forward(x), [[[[-1, 2], [0, 0]]]]);
      assert.deepEqual(conv.weight.shape, [1, 1, 2, 2]);
    });

    it("Conv2d with stride, padding and groups has the right shapes and gradients", () => {
      const conv = new nn.Conv2d(4, 2, [3, 2], { stride: [2, 1], padding: 1, groups: 2 }).double();
      assert.deepEqual(conv.weight.shape, [2, 2, 3, 2]);
      const x = f64([2, 4, 5, 4]);
      assert.deepEqual(conv.forward(x).shape, [2, 2, 3, 5]);
      const small = new nn.Conv2d(2, 2, 2, { padding: 1 }).double();
      gradcheckModule(small, [f64([1, 2, 3, 3])], (x) => small.forward(x));
    });

    it("MaxPool2d and AvgPool2d take the max and the mean of each window", () => {
      const x = arange(16, undefined, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
      assertClose(new nn.MaxPool2d(2).forward(x), [[[[5, 7], [13, 15]]]]);
      assertClose(new nn.AvgPool2d(2).forward(x), [[[[2.5, 4.5], [10.5, 12.5]]]]);
      assertClose(new nn.MaxPool2d(2, { stride: 1 }).forward(x).reshape([-1]), [5, 6, 7, 9, 10, 11, 13, 14, 15]);
      const p = new nn.AvgPool2d(2, { stride: 1, padding: 1 });
      gradcheckModule(p, [f64([1, 2, 3, 3])], (x) => p.forward(x));
      const m = new nn.MaxPool2d(2);
      gradcheckModule(m, [f64([1, 2, 4, 4])], (x) => m.forward(x));
    });

    it("Flatten keeps the batch dim", () => {
      assert.deepEqual(new nn.Flatten().forward(ones([2, 3, 4, 5])).shape, [2, 60]);
      assert.deepEqual(new nn.Flatten(0).forward(ones([2, 3])).shape, [6]);
    });
  });

  describe("activations", () => {
    it("match their formulas", () => {
      const x = tensor([-1, 0, 2]);
      assertClose(new nn.ReLU().forward(x), [0, 0, 2]);
      assertClose(new nn.LeakyReLU(0.1).forward(x), [-0.1, 0, 2]);
      assertClose(new nn.Sigmoid().forward(x), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
      assertClose(new nn.Tanh().forward(x), [Math.tanh(-1), 0, Math.tanh(2)]);
      // GELU(x) = x Phi(x): Phi(-1) = 0.15865525393145707, Phi(2) = 0.9772498680518208
      assertClose(new nn.GELU().forward(x), [-0.15865525393145707, 0, 2 * 0.9772498680518208]);
      assertClose(new nn.Softplus().forward(x), [Math.log1p(Math.exp(-1)), Math.LN2, Math.log1p(Math.exp(2))]);
      assertClose(new nn.Softplus(2).forward(x), [Math.log1p(Math.exp(-2)) / 2, Math.LN2 / 2, Math.log1p(Math.exp(4)) / 2]);
      const z = Math.exp(-1) + 1 + Math.exp(2);
      assertClose(new nn.Softmax().forward(x), [Math.exp(-1) / z, 1 / z, Math.exp(2) / z]);
      assertClose(new nn.LogSoftmax().forward(x), [-1 - Math.log(z), -Math.log(z), 2 - Math.log(z)]);
      assertClose(new nn.Softmax(0).forward(tensor([[1, 1], [1, 3]])).sum(0), [1, 1]);
    });
  });

  describe("Dropout", () => {
    it("zeroes about p of the elements and scales the rest by 1/(1-p) in training; identity in eval", () => {
      const d = new nn.Dropout(0.25);
      const y = d.forward(ones([2000])).values();
      const zeros = y.filter((v) => v === 0).length;
      assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
      assert.ok(Math.abs(zeros / 2000 - 0.25) < 0.04, `${zeros} zeros`);
      d.eval();
      assertClose(d.forward(tensor([1, 2])), [1, 2]);
      assertThrowsOp(() => new nn.Dropout(1.5), "Dropout", "1.5");
    });

    it("the same seed drops the same elements", () => {
      manualSeed(3);
      const a = new nn.Dropout().forward(ones([50])).values();
      manualSeed(3);
      const b = new nn.Dropout().forward(ones([50])).values();
      assert.deepEqual(a, b);
    });
  });

  describe("BatchNorm", () => {
    it("BatchNorm1d normalises with the batch statistics in training and updates running stats", () => {
      const bn = new nn.BatchNorm1d(2, { eps: 0 });
      setParams(bn, { weight: tensor([2, 1]), bias: tensor([0, 1]) });
      const x = tensor([[1, 2], [3, 6]]); // means [2, 4], biased variances [1, 4], unbiased [2, 8]
      assertClose(bn.forward(x), [[-2, 0], [2, 2]]);
      assertClose(bn.runningMean!, [0.2, 0.4]);
      assertClose(bn.runningVar!, [0.9 + 0.2, 0.9 + 0.8]);
      assert.equal(bn.numBatchesTracked, 1);
      bn.eval();
      const y = bn.forward(tensor([[1, 2]]));
      assertClose(y, [[(2 * (1 - 0.2)) / Math.sqrt(1.1), (2 - 0.4) / Math.sqrt(1.7) + 1]]);
      assert.equal(bn.numBatchesTracked, 1, "eval does not update");
    });

    it("momentum null keeps a cumulative average", () => {
      const bn = new nn.BatchNorm1d(1, { momentum: null });
      bn.forward(tensor([[1], [3]]));
      bn.forward(tensor([[5], [9]]));
      assertClose(bn.runningMean!, [(2 + 7) / 2]);
      // the first batch's factor is 1/1, so the initial values drop out: the mean of the unbiased variances 2 and 8
      assertClose(bn.runningVar!, [(2 + 8) / 2]);
    });

    it("BatchNorm2d normalises each channel over batch and space", () => {
      const bn = new nn.BatchNorm2d(3);
      const x = randn([4, 3, 2, 2]).mul(5).add(3);
      const y = bn.forward(x);
      assertClose(y.mean([0, 2, 3]), [0, 0, 0], { atol: 1e-5 });
      assertClose(y.var([0, 2, 3], { unbiased: false }), [1, 1, 1], { atol: 1e-3 });
      assertThrowsOp(() => bn.forward(ones([2, 4, 2, 2])), "BatchNorm2d", "[2,4,2,2]", "C = 3");
      assertThrowsOp(() => new nn.BatchNorm1d(2).forward(ones([1, 2])), "BatchNorm1d", "more than 1 value per channel");
    });

    it("gradients check in training and in eval mode (float64)", () => {
      const bn = new nn.BatchNorm2d(2).double();
      setParams(bn, { weight: tensor([1.5, -0.5], { dtype: "float64" }), bias: tensor([0.1, 0.2], { dtype: "float64" }) });
      gradcheckModule(bn, [f64([3, 2, 2, 1])], (x) => bn.forward(x));
      bn.eval();
      gradcheckModule(bn, [f64([3, 2, 2, 1])], (x) => bn.forward(x));
      const bn1 = new nn.BatchNorm1d(3, { affine: false }).double();
      assert.equal(bn1.parameters().length, 0);
      gradcheckModule(bn1, [f64([4, 3, 2])], (x) => bn1.forward(x));
    });

    it("without running stats, eval mode uses the batch statistics and the state dict has no buffers", () => {
      const bn = new nn.BatchNorm1d(2, { trackRunningStats: false });
      assert.deepEqual(Object.keys(bn.stateDict()), ["weight", "bias"]);
      bn.eval();
      assertClose(bn.forward(tensor([[1, 2], [3, 6]])).abs(), [[1, 1], [1, 1]], { atol: 1e-5 });
    });
  });

  describe("Embedding", () => {
    it("looks up rows of its weight for ids of any shape", () => {
      const e = new nn.Embedding(3, 2);
      setParams(e, { weight: tensor([[1, 2], [3, 4], [5, 6]]) });
      assertClose(e.forward(tensor([[0, 2], [1, 0]], { dtype: "int32" })), [[[1, 2], [5, 6]], [[3, 4], [1, 2]]]);
      assertThrowsOp(() => e.forward(tensor([3], { dtype: "int32" })), "embedding", "3", "0..2");
    });

    it("gradients accumulate per row (gradcheck), and the padding row starts at 0 and gets none", () => {
      const e = new nn.Embedding(4, 3).double();
      const ids = tensor([[0, 2, 2], [3, 0, 1]], { dtype: "int32" });
      gradcheckModule(e, [ids], (i) => e.forward(i).tanh());
      const p = new nn.Embedding(4, 2, { paddingIdx: 1 });
      assertClose(p.weight.select(0, 1), [0, 0]);
      p.forward(tensor([1, 2, 1], { dtype: "int32" })).sum().backward();
      assertClose(p.weight.grad!, [[0, 0], [0, 0], [1, 1], [0, 0]]);
    });
  });

  describe("Sequential models", () => {
    it("an MLP's gradients check against finite differences", () => {
      const mlp = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 2), new nn.Softplus()).double();
      gradcheckModule(mlp, [f64([2, 3])], (x) => mlp.forward(x));
    });

    it("a small CNN's gradients check against finite differences", () => {
      const cnn = new nn.Sequential(new nn.Conv2d(1, 2, 2), new nn.Tanh(), new nn.AvgPool2d(2), new nn.Flatten(), new nn.Linear(8, 2)).double();
      gradcheckModule(cnn, [f64([2, 1, 5, 5])], (x) => cnn.forward(x));
    });
  });

  describe("noGrad", () => {
    it("a forward pass under noGrad records no graph", () => {
      const mlp = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU());
      const y = noGrad(() => mlp.forward(randn([2, 3])));
      assert.equal(y.requiresGrad, false);
    });
  });
});
