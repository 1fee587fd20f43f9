import {
  DataLoader, TensorDataset, evaluate, fit, makeClassification, manualSeed, nn, noGrad, optim, recall, accuracy, predict,
} from "../../src";
import type { Tensor } from "../../src";
import { Experiment, pct } from "./common";

/** The first `n` rows for training, the rest held out (the data are already shuffled). */
function holdOut(x: Tensor, y: Tensor, trainFraction: number) {
  const n = Math.round(x.shape[0] * trainFraction);
  return { xTrain: x.slice(0, 0, n), yTrain: y.slice(0, 0, n), xTest: x.slice(0, n), yTest: y.slice(0, n) };
}

/**
 * 003 §4: make_classification(n_samples=200, n_features=20, n_classes=2),
 * Dense(10, relu) - Dense(2, softmax), categorical cross-entropy, Adam,
 * 100 epochs, batch 10, accuracy and recall on held-out data. The document
 * uses X_test without saying how it was split: we hold out 20%.
 */
export const classification: Experiment = {
  title: "make_classification(200, 20), Dense10-Dense2, Adam",
  source: "003 §4",
  async run(ctx) {
    manualSeed(ctx.seed);
    const { x, y } = makeClassification({ nSamples: 200, nFeatures: 20, nClasses: 2, seed: 42 });
    const { xTrain, yTrain, xTest, yTest } = holdOut(x, y, 0.8);
    const model = new nn.Sequential(new nn.Linear(20, 10), new nn.ReLU(), new nn.Linear(10, 2));
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const epochs = ctx.quick ? 10 : 100;
    const history = await fit(model, [xTrain, yTrain], { loss: "crossEntropy", optimizer, epochs, batchSize: 10, metrics: ["accuracy"], seed: ctx.seed, verbose: 0 });
    const out = predict(model, xTest);
    const acc = accuracy(out, yTest);
    const rec = recall(out, yTest);
    return {
      rows: [
        { metric: "held-out accuracy", measured: pct(acc) },
        { metric: "held-out recall (class 1)", measured: pct(rec) },
        { metric: "train accuracy (last epoch)", measured: pct(history.last("accuracy") ?? NaN) },
        { metric: "epochs", document: "100", measured: String(epochs) },
      ],
      values: { heldOutAccuracy: acc, heldOutRecall: rec, trainAccuracy: history.last("accuracy"), epochs, samplesPerSecond: history.samplesPerSecond },
    };
  },
};

function binaryModel(): nn.Sequential {
  return new nn.Sequential(new nn.Linear(8, 10), new nn.ReLU(), new nn.Linear(10, 10), new nn.ReLU(), new nn.Linear(10, 1), new nn.Sigmoid());
}

/**
 * 004 §4: an 8-feature binary classifier Dense(10, relu) - Dense(10, relu) -
 * Dense(1, sigmoid), binary cross-entropy, Adam, 10 epochs, batch 32,
 * written once with fit() (the Keras version) and once as the PyTorch-style
 * loop (zeroGrad / backward / step). With the same seed both see the same
 * initial weights and the same batches, so their losses agree.
 */
export const binaryClassifier: Experiment = {
  title: "8-feature binary classifier, fit() and a PyTorch-style loop",
  source: "004 §4",
  async run(ctx) {
    const { x, y } = makeClassification({ nSamples: ctx.quick ? 320 : 1000, nFeatures: 8, nInformative: 4, nRedundant: 2, seed: 7 });
    const yf = y.float().reshape([-1, 1]);
    const { xTrain, yTrain, xTest, yTest } = holdOut(x, yf, 0.8);
    const epochs = 10;

    // Keras style
    manualSeed(ctx.seed);
    const kerasModel = binaryModel();
    const history = await fit(kerasModel, new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 32, shuffle: true, seed: ctx.seed }), {
      loss: "bce", optimizer: new optim.Adam(kerasModel.parameters()), epochs, metrics: ["accuracy"], verbose: 0,
    });

    // PyTorch style
    manualSeed(ctx.seed);
    const net = binaryModel();
    const criterion = new nn.BCELoss();
    const optimizer = new optim.Adam(net.parameters());
    const loader = new DataLoader(new TensorDataset(xTrain, yTrain), { batchSize: 32, shuffle: true, seed: ctx.seed });
    const loopLosses: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      net.train();
      let sum = 0, n = 0;
      for (const [inputs, labels] of loader) {
        optimizer.zeroGrad();
        const outputs = net.forward(inputs);
        const loss = criterion.forward(outputs, labels);
        loss.backward();
        optimizer.step();
        sum += loss.item() * inputs.shape[0];
        n += inputs.shape[0];
      }
      loopLosses.push(sum / n);
    }
    const fitLosses = history.history.loss;
    const maxDiff = Math.max(...fitLosses.map((l, i) => Math.abs(l - loopLosses[i])));
    const t = evaluate(kerasModel, [xTest, yTest], { loss: "bce", metrics: ["accuracy"] });
    const loopAcc = noGrad(() => accuracy(net.forward(xTest), yTest));
    return {
      rows: [
        { metric: "final training loss, fit()", measured: fitLosses[fitLosses.length - 1].toFixed(6) },
        { metric: "final training loss, PyTorch-style loop", measured: loopLosses[loopLosses.length - 1].toFixed(6) },
        { metric: "largest per-epoch loss difference", measured: maxDiff.toExponential(2) },
        { metric: "held-out accuracy, fit()", measured: pct(t.accuracy) },
        { metric: "held-out accuracy, loop", measured: pct(loopAcc) },
      ],
      values: { fitLosses, loopLosses, maxLossDifference: maxDiff, heldOutAccuracy: t.accuracy, loopHeldOutAccuracy: loopAcc },
    };
  },
};
