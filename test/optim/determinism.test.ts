import assert from "node:assert/strict";
import { manualSeed, randint, randn } from "../../src";
import * as backends from "../../src/backend";
import * as nn from "../../src/nn";
import * as optim from "../../src/optim";

/** A whole small training run from one seed: init, data, dropout, SGD with momentum. */
function lossCurve(seed: number): number[] {
  manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(6, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
  const x = randn([32, 6]);
  const y = randint(0, 3, [32]);
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return losses;
}

describe("reproducibility", () => {
  let previous: string;
  before(() => {
    previous = backends.active().name;
    backends.use("js");
  });
  after(() => {
    backends.use(previous);
  });

  it("the same seed gives a bit-identical loss curve on the js backend", () => {
    const a = lossCurve(123);
    const b = lossCurve(123);
    assert.deepEqual(a, b);
    assert.ok(a[24] < a[0], `the model learns: ${a[0]} -> ${a[24]}`);
    assert.notDeepEqual(lossCurve(124), a, "another seed gives another run");
  });
});
