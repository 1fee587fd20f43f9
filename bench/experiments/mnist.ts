import { manualSeed, mnist, nn, optim, fit, evaluate } from "../../src";
import { Experiment, ExperimentContext, pct } from "./common";

/** Loads MNIST (a slice of it in quick mode), pixels scaled to [0, 1] as the documents' x / 255.0. */
function loadMnist(ctx: ExperimentContext) {
  const train = mnist.load({ split: "train", limit: ctx.quick ? 1024 : undefined });
  const test = mnist.load({ split: "test", limit: ctx.quick ? 256 : undefined });
  return { train, test };
}

/**
 * 000 §5.2: Conv32(3x3, relu) - MaxPool 2 - Conv64(3x3, relu) - MaxPool 2 -
 * Flatten - Dense128 (relu) - Dense10; SGD lr 0.01 momentum 0.9; batch 64;
 * 10 epochs. Keras' softmax + sparse categorical cross-entropy is written
 * here as logits + crossEntropy, which is the same loss computed stably.
 * 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5: 64 * 5 * 5 = 1600 features.
 */
export function experiment1Model(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 5 * 5, 128), new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** 002 §5.2: Conv32(3x3, relu) - MaxPool 2 - Flatten - Dense128 (relu) - Dense10: 32 * 13 * 13 = 5408 features. */
export function experiment2Model(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 13 * 13, 128), new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

export const mnistCnnSgd: Experiment = {
  title: "MNIST CNN, SGD with momentum",
  source: "000 §5.2-5.4",
  async run(ctx) {
    manualSeed(ctx.seed);
    const { train, test } = loadMnist(ctx);
    const model = experiment1Model();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const epochs = ctx.quick ? 1 : 10;
    const history = await fit(model, [train.images, train.labels], {
      loss: "crossEntropy", optimizer, epochs, batchSize: 64, metrics: ["accuracy"], seed: ctx.seed,
    });
    const t = evaluate(model, [test.images, test.labels], { loss: "crossEntropy", metrics: ["accuracy"] });
    return {
      rows: [
        { metric: "test accuracy", document: "0.9830", measured: t.accuracy.toFixed(4) },
        { metric: "train accuracy (last epoch)", measured: (history.last("accuracy") ?? NaN).toFixed(4) },
        { metric: "epochs x training images", document: "10 x 60,000", measured: `${epochs} x ${train.length.toLocaleString("en-US")}` },
        { metric: "training samples/s", measured: Math.round(history.samplesPerSecond).toLocaleString("en-US") },
        { metric: "training time", measured: `${history.seconds.toFixed(0)} s` },
      ],
      values: {
        testAccuracy: t.accuracy, testLoss: t.loss, trainAccuracy: history.last("accuracy"),
        epochs, trainImages: train.length, samplesPerSecond: history.samplesPerSecond, trainSeconds: history.seconds,
        history: history.history,
      },
    };
  },
};

export const mnistCnnAdam: Experiment = {
  title: "MNIST CNN, Adam, validation split 0.2",
  source: "002 §5.2-5.4",
  async run(ctx) {
    manualSeed(ctx.seed);
    const { train, test } = loadMnist(ctx);
    const model = experiment2Model();
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const epochs = ctx.quick ? 1 : 10;
    const history = await fit(model, [train.images, train.labels], {
      loss: "crossEntropy", optimizer, epochs, batchSize: 128, validationSplit: 0.2, metrics: ["accuracy"], seed: ctx.seed,
    });
    const t = evaluate(model, [test.images, test.labels], { loss: "crossEntropy", metrics: ["accuracy"] });
    // 002's 99.84% is the Keras progress bar's running *training* accuracy, not a test figure
    return {
      rows: [
        { metric: "train accuracy (last epoch, as 002 reports)", document: "99.84%", measured: pct(history.last("accuracy") ?? NaN) },
        { metric: "validation accuracy (last epoch)", measured: pct(history.last("valAccuracy") ?? NaN) },
        { metric: "test accuracy", measured: pct(t.accuracy) },
        { metric: "training samples/s", measured: Math.round(history.samplesPerSecond).toLocaleString("en-US") },
        { metric: "training time", measured: `${history.seconds.toFixed(0)} s` },
      ],
      values: {
        trainAccuracy: history.last("accuracy"), valAccuracy: history.last("valAccuracy"), testAccuracy: t.accuracy,
        epochs, samplesPerSecond: history.samplesPerSecond, trainSeconds: history.seconds, history: history.history,
      },
    };
  },
};
