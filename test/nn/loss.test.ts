import assert from "node:assert/strict";
import { gradcheck, randn, tensor, Tensor } from "../../src";
import * as backends from "../../src/backend";
import * as nn from "../../src/nn";
import { assertClose, assertThrowsOp, forEachBackend } from "../helpers";

const F = nn.functional;
const int = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });
const f64 = (shape: number[]) => randn(shape, { dtype: "float64" });
const d64 = (v: number[] | number[][]) => tensor(v, { dtype: "float64" });
/**
 * Gradient check in float64, which runs on the js backend (tfjs computes in
 * float32): inputs and the function's constants are made there.
 */
function check(fn: (...xs: Tensor[]) => Tensor, inputs: () => Tensor[]): void {
  const previous = backends.active().name;
  backends.use("js");
  try {
    const r = gradcheck(fn, inputs());
    for (const rep of r.inputs) assert.ok(rep.maxRelError < 1e-6, JSON.stringify(rep));
  } finally {
    backends.use(previous);
  }
}
// log(e + e^2 + e^3) - 3: the cross entropy of logits [1, 2, 3] for class 2
const CE123 = Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3;

forEachBackend("losses", () => {
  it("mseLoss and l1Loss, with each reduction", () => {
    const x = tensor([1, 2, 3]), y = tensor([1, 1, 1]);
    assertClose(F.mseLoss(x, y), 5 / 3);
    assertClose(F.mseLoss(x, y, { reduction: "sum" }), 5);
    assertClose(F.mseLoss(x, y, { reduction: "none" }), [0, 1, 4]);
    assertClose(F.l1Loss(x, y), 1);
    assertClose(F.l1Loss(x, y, { reduction: "none" }), [0, 1, 2]);
    assertClose(new nn.MSELoss({ reduction: "sum" }).forward(x, y), 5);
    assertClose(new nn.L1Loss().forward(x, y), 1);
    check((a, b) => F.mseLoss(a, b), () => [f64([3, 2]), f64([3, 2])]);
    check((a) => F.l1Loss(a, d64([[0.5, -3], [1, 2]])), () => [d64([[0.1, 0.2], [-0.3, 1.5]])]);
  });

  it("shape mismatches name both shapes (no silent [N,1] x [N] broadcast)", () => {
    assertThrowsOp(() => F.mseLoss(randn([4, 1]), randn([4])), "mseLoss", "[4,1]", "[4]", "squeeze");
    assertThrowsOp(() => F.binaryCrossEntropy(randn([3]).sigmoid(), randn([4])), "binaryCrossEntropy", "[3]", "[4]");
    assertThrowsOp(() => F.mseLoss(tensor([1]), tensor([1]), { reduction: "avg" as never }), "mseLoss", '"avg"');
  });

  it("binaryCrossEntropy: known values, log clamped at -100, probabilities checked", () => {
    assertClose(F.binaryCrossEntropy(tensor([0.8, 0.3]), tensor([1, 0])), (-Math.log(0.8) - Math.log(0.7)) / 2);
    // p = 0 for a positive: the log is clamped, so the loss is 100 and the gradient finite (PyTorch's behaviour)
    const p = tensor([0, 1, 0.5], { requiresGrad: true });
    const l = F.binaryCrossEntropy(p, tensor([1, 0, 1]), { reduction: "none" });
    assertClose(l, [100, 100, Math.LN2]);
    l.sum().backward();
    assert.ok([...p.grad!.values()].every(Number.isFinite), `grad ${p.grad!.values()}`);
    assertThrowsOp(() => F.binaryCrossEntropy(tensor([1.5]), tensor([1])), "binaryCrossEntropy", "1.5", "[0, 1]");
    assertClose(F.binaryCrossEntropy(tensor([0.8, 0.3]), tensor([1, 0]), { weight: tensor([2, 0]) }), -Math.log(0.8));
    assertClose(new nn.BCELoss({ reduction: "sum" }).forward(tensor([0.5]), tensor([0])), Math.LN2);
    check((q) => F.binaryCrossEntropy(q, d64([1, 0, 0.3])), () => [d64([0.2, 0.6, 0.9])]);
  });

  it("binaryCrossEntropyWithLogits: known values, stable at huge logits, equal to BCE of the sigmoid", () => {
    const sp = (v: number) => Math.log1p(Math.exp(v));
    assertClose(F.binaryCrossEntropyWithLogits(tensor([2, -1]), tensor([1, 0])), (sp(-2) + sp(1) - 1) / 2);
    assertClose(F.binaryCrossEntropyWithLogits(tensor([1000, -1000, 1000]), tensor([0, 1, 1]), { reduction: "none" }), [1000, 1000, 0]);
    const x = tensor([0.3, -2, 4]), y = tensor([1, 0, 0.25]);
    assertClose(F.binaryCrossEntropyWithLogits(x, y), F.binaryCrossEntropy(x.sigmoid(), y), { rtol: 1e-5 });
    // posWeight multiplies the positive term: 3 * softplus(-0.5)
    assertClose(F.binaryCrossEntropyWithLogits(tensor([0.5]), tensor([1]), { posWeight: tensor([3]) }), 3 * sp(-0.5));
    assertClose(new nn.BCEWithLogitsLoss().forward(tensor([0]), tensor([1])), Math.LN2);
    check((a) => F.binaryCrossEntropyWithLogits(a, d64([1, 0, 0.5]), { posWeight: d64([2]) }), () => [f64([3])]);
    // d/dx = sigmoid(x) - y
    const z = tensor([0.7, -0.2], { requiresGrad: true });
    F.binaryCrossEntropyWithLogits(z, tensor([1, 0]), { reduction: "sum" }).backward();
    assertClose(z.grad!, [1 / (1 + Math.exp(-0.7)) - 1, 1 / (1 + Math.exp(0.2))]);
  });

  it("crossEntropy of logits with class indices: known values and gradient softmax - onehot", () => {
    assertClose(F.crossEntropy(tensor([[1, 2, 3]]), int([2])), CE123);
    assertClose(F.crossEntropy(tensor([[1, 2, 3], [0, 0, 0]]), int([2, 1]), { reduction: "none" }), [CE123, Math.log(3)]);
    assertClose(F.crossEntropy(tensor([[1, 2, 3], [0, 0, 0]]), int([2, 1]), { reduction: "sum" }), CE123 + Math.log(3));
    // unbatched [C] with a 0-d target
    assertClose(F.crossEntropy(tensor([1, 2, 3]), tensor(2, { dtype: "int32" })), CE123);
    // stable for huge logits (a naive log(softmax) gives inf)
    assertClose(F.crossEntropy(tensor([[1000, 0]]), int([1])), 1000);
    const x = tensor([[1, 2, 3], [0, 0, 0]], { requiresGrad: true });
    F.crossEntropy(x, int([2, 0])).backward();
    const e = [Math.E, Math.E ** 2, Math.E ** 3].map((v) => v / (Math.E + Math.E ** 2 + Math.E ** 3));
    assertClose(x.grad!, [[e[0] / 2, e[1] / 2, (e[2] - 1) / 2], [(1 / 3 - 1) / 2, 1 / 6, 1 / 6]]);
    assertClose(new nn.CrossEntropyLoss().forward(tensor([[0, 0]]), int([1])), Math.LN2);
  });

  it("crossEntropy over [N, C, d] (per position), with ignoreIndex and label smoothing", () => {
    // N=1, C=3, d=2: position 0 has logits [1,2,3] (target 2), position 1 [0,0,0] (target 0)
    const x = tensor([[[1, 0], [2, 0], [3, 0]]]);
    assertClose(F.crossEntropy(x, int([[2, 0]]), { reduction: "none" }), [[CE123, Math.log(3)]]);
    // ignored targets add nothing and are not counted in the mean
    assertClose(F.crossEntropy(x, int([[2, -100]])), CE123);
    assertClose(F.crossEntropy(tensor([[1, 2, 3], [5, 1, 1]]), int([2, 0]), { ignoreIndex: 0 }), CE123);
    assertClose(F.crossEntropy(x, int([[2, -100]]), { reduction: "none" }), [[CE123, 0]]);
    // label smoothing 0.1: 0.9 * nll + 0.1 * mean over classes of -log p
    const meanNeg = CE123 + 1; // -log p = CE123 + (3 - x_c), averaged over x = 1, 2, 3
    assertClose(F.crossEntropy(tensor([[1, 2, 3]]), int([2]), { labelSmoothing: 0.1 }), 0.9 * CE123 + 0.1 * meanNeg);
    check((a) => F.crossEntropy(a, int([[2, 0, -100], [1, 1, 0]]), { labelSmoothing: 0.2 }), () => [f64([2, 3, 3])]);
  });

  it("crossEntropy with probability targets", () => {
    assertClose(F.crossEntropy(tensor([[1, 2, 3]]), tensor([[0, 0.5, 0.5]])), 0.5 * (CE123 + 1) + 0.5 * CE123);
    assertClose(F.crossEntropy(tensor([[1, 2, 3]]), tensor([[0, 0, 1]])), CE123);
    // smoothing mixes the target with the uniform distribution
    assertClose(F.crossEntropy(tensor([[1, 2, 3]]), tensor([[0, 0, 1]]), { labelSmoothing: 0.1 }), F.crossEntropy(tensor([[1, 2, 3]]), int([2]), { labelSmoothing: 0.1 }));
    check((a, t) => F.crossEntropy(a, t.softmax(-1)), () => [f64([2, 4]), f64([2, 4])]);
  });

  it("nllLoss picks the negative log-probability of each target", () => {
    const logp = tensor([[-1, -2], [-0.5, -3]]);
    assertClose(F.nllLoss(logp, int([1, 0])), 1.25);
    assertClose(F.nllLoss(logp, int([1, 0]), { reduction: "none" }), [2, 0.5]);
    assertClose(new nn.NLLLoss({ ignoreIndex: 1 }).forward(logp, int([1, 0])), 0.5);
    // logSoftmax + nll = crossEntropy
    const x = randn([4, 5]), y = int([0, 4, 2, 2]);
    assertClose(F.nllLoss(x.logSoftmax(1), y), F.crossEntropy(x, y));
  });

  it("a label out of range names the label and the number of classes; batch sizes must agree", () => {
    assertThrowsOp(() => F.crossEntropy(randn([2, 3]), int([0, 3])), "crossEntropy", "label 3", "3 classes", "0..2");
    assertThrowsOp(() => F.crossEntropy(randn([2, 3]), int([-1, 0])), "crossEntropy", "label -1", "3 classes");
    assertThrowsOp(() => F.nllLoss(randn([2, 3]), int([5, 0])), "nllLoss", "label 5", "3 classes");
    assertThrowsOp(() => F.crossEntropy(randn([4, 3]), int([0, 1, 2, 0, 1])), "crossEntropy", "[4,3]", "[5]", "batch sizes differ");
    assertThrowsOp(() => F.crossEntropy(randn([4, 3]), tensor([0, 1, 2, 0])), "crossEntropy", "[4,3]", "[4]");
    assertThrowsOp(() => F.crossEntropy(randn([2, 3]), int([0, 1]), { labelSmoothing: 2 }), "crossEntropy", "labelSmoothing");
  });
});
