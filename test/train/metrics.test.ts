import assert from "node:assert/strict";
import { tensor } from "../../src";
import { ConfusionMatrix, accuracy, f1, metricByName, precision, recall } from "../../src/train";
import { assertThrowsOp } from "../helpers";

describe("train metrics", () => {
  // predictions 1,1,0,0,1,0 against truth 1,0,0,1,1,0: TP=2, FP=1, FN=1, TN=2
  const pred = tensor([1, 1, 0, 0, 1, 0], { dtype: "int32" });
  const truth = tensor([1, 0, 0, 1, 1, 0], { dtype: "int32" });

  it("binary accuracy, precision, recall and f1 from hand counts", () => {
    assert.equal(accuracy(pred, truth), 4 / 6);
    assert.equal(precision(pred, truth), 2 / 3);
    assert.equal(recall(pred, truth), 2 / 3);
    assert.equal(f1(pred, truth), 2 / 3);
  });

  it("thresholds probabilities and takes argmax of class scores", () => {
    assert.equal(accuracy(tensor([0.9, 0.2, 0.6]), tensor([1, 0, 0])), 2 / 3);
    const scores = tensor([[0.1, 2, 0.3], [5, 1, 0], [0, 0, 1]]);
    assert.equal(accuracy(scores, tensor([1, 0, 0], { dtype: "int32" })), 2 / 3);
  });

  it("confusion matrix rows are true classes, columns predictions", () => {
    const cm = ConfusionMatrix.from(tensor([0, 2, 2, 1], { dtype: "int32" }), tensor([0, 2, 1, 1], { dtype: "int32" }), 3);
    assert.deepEqual(cm.counts, [[1, 0, 0], [0, 1, 1], [0, 0, 1]]);
    assert.equal(cm.recall(1), 0.5);
    assert.equal(cm.precision(2), 0.5);
    assert.match(cm.toString(), /true\\pred/);
  });

  it("macro averages are the unweighted mean over classes", () => {
    const p = tensor([0, 0, 1, 2], { dtype: "int32" });
    const t = tensor([0, 1, 1, 2], { dtype: "int32" });
    // recall: class0 1/1, class1 1/2, class2 1/1
    assert.ok(Math.abs(recall(p, t, "macro") - (1 + 0.5 + 1) / 3) < 1e-12);
    assertThrowsOp(() => recall(p, t, "binary"), "recall", "3");
  });

  it("streaming metrics over batches equal the metric over the whole set", () => {
    const m = metricByName("recall");
    m.update(pred.slice(0, 0, 3), truth.slice(0, 0, 3));
    m.update(pred.slice(0, 3), truth.slice(0, 3));
    assert.equal(m.result(), recall(pred, truth));
  });

  it("mismatched lengths name both", () => {
    assertThrowsOp(() => accuracy(pred, tensor([1, 0])), "accuracy", "6 predictions", "[2]");
  });
});
