import assert from "node:assert/strict";
import { Tensor } from "../../src";
import * as nn from "../../src/nn";

describe("nn.summary", () => {
  it("lists each layer's output shape and parameter count, Keras style", () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(36, 10),
    );
    const s = nn.summary(model, [1, 8, 8]);
    assert.deepEqual(s.rows.map((r) => [r.name, r.type, r.outputShape, r.params]), [
      ["0", "Conv2d", [-1, 4, 6, 6], 40],
      ["1", "ReLU", [-1, 4, 6, 6], 0],
      ["2", "MaxPool2d", [-1, 4, 3, 3], 0],
      ["3", "Flatten", [-1, 36], 0],
      ["4", "Linear", [-1, 10], 370],
    ]);
    assert.equal(s.totalParams, 410);
    assert.equal(s.trainableParams, 410);
    assert.equal(s.nonTrainableParams, 0);
    const lines = s.text.split("\n");
    assert.equal(lines[0], 'Model: "Sequential"');
    assert.match(lines[2], /^Layer \(type\)\s+Output Shape\s+Param #$/);
    assert.match(lines[4], /^0 \(Conv2d\)\s+\[-1,4,6,6\]\s+40$/);
    assert.ok(s.text.includes("Total params: 410\nTrainable params: 410\nNon-trainable params: 0"));
    assert.equal(String(s), s.text);
  });

  it("nested modules: leaves listed by dotted name in call order, tuple outputs, frozen params, modes restored", () => {
    class Net extends nn.Module {
      embed = new nn.Embedding(50, 8);
      rnn = new nn.LSTM(8, 16, { batchFirst: true });
      head = new nn.Sequential(new nn.Dropout(0.5), new nn.Linear(16, 50));
      forward(x: Tensor): Tensor {
        const [out] = this.rnn.forward(this.embed.forward(x));
        return this.head.forward(out);
      }
    }
    const net = new Net();
    net.embed.requiresGrad_(false);
    const s = nn.summary(net, [7], { dtype: "int32", batchSize: 2 });
    assert.deepEqual(s.rows.map((r) => r.name), ["embed", "rnn", "head.0", "head.1"]);
    assert.deepEqual(s.rows[1].outputShape, [[-1, 7, 16], [1, 2, 16], [1, 2, 16]]);
    assert.equal(s.rows[1].params, 4 * 16 * (8 + 16 + 2));
    assert.equal(s.nonTrainableParams, 400);
    assert.equal(s.totalParams, 400 + 4 * 16 * 26 + 16 * 50 + 50);
    assert.ok(s.text.includes("Non-trainable params: 400"));
    assert.ok(net.training && net.head.at(0).training, "training mode restored");
    assert.ok(!Object.prototype.hasOwnProperty.call(net.rnn, "forward"), "the recording wrapper is removed");
    assert.deepEqual(Object.keys(net.stateDict()).length, 1 + 4 + 2);
  });

  it("a layer whose forward is an arrow-function field keeps it", () => {
    class Double extends nn.Module {
      forward = (x: Tensor): Tensor => x.mul(2);
    }
    const d = new Double();
    const model = new nn.Sequential(new nn.Linear(2, 2), d);
    const f = d.forward;
    assert.deepEqual(nn.summary(model, [2]).rows.map((r) => r.type), ["Linear", "Double"]);
    assert.equal(d.forward, f);
  });
});
