/**
 * gradlab: tensors and reverse-mode automatic differentiation, from scratch.
 *
 *   import { tensor } from "gradlab";
 *   const x = tensor([1, 2, 3], { requiresGrad: true });
 *   x.mul(x).sum().backward();
 *   x.grad;  // tensor([2., 4., 6.])
 */
export { Tensor } from "./tensor/tensor";
export type { TensorOptions, RandomOptions, NestedArray } from "./tensor/tensor";
export type { DType } from "./tensor/dtype";
export { tidy, keep, dispose } from "./backend";
/** Threads of the js backend: results are the same for any count; GRADLAB_THREADS sets the default. */
export { setNumThreads, getNumThreads } from "./backend/js/parallel";
export type { BackendInfo, MemoryInfo } from "./backend";
export {
  tensor, zeros, ones, full, eye, arange, linspace, rand, randn, randint,
  zerosLike, onesLike, fullLike, randLike, randnLike,
} from "./tensor/creation";
export { Generator, manualSeed, defaultGenerator } from "./tensor/random";
export { setPrintOptions, printOptions } from "./tensor/print";
export { GradlabError } from "./errors";

export { noGrad, enableGrad, detectAnomaly, isGradEnabled } from "./autograd/mode";
export { gradcheck } from "./autograd/gradcheck";
export type { GradcheckResult, GradcheckOptions } from "./autograd/gradcheck";
import { grad } from "./autograd/grad";
import { defineOp } from "./autograd/custom";
export type { CustomOp, CustomOpSpec, CustomContext } from "./autograd/custom";
/** autograd.grad (torch.autograd.grad) and autograd.defineOp, a new op with its own backward (torch.autograd.Function). */
export const autograd = { grad, defineOp };

export {
  add, sub, mul, div, pow, neg, exp, log, sqrt, abs, sign, sin, cos, erf, clamp, where,
  maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, logicalNot, isfinite,
} from "./ops/elementwise";
export { relu, leakyRelu, sigmoid, tanh, gelu, softplus, softmax, logSoftmax, logsumexp } from "./ops/activation";
export { sum, mean, max, min, argmax, argmin, variance as var, std } from "./ops/reduce";
export { matmul } from "./ops/linalg";
export {
  reshape, permute, transpose, expand, squeeze, unsqueeze, flatten, cat, stack, split, chunk, slice, select, pad,
} from "./ops/shape";
export { gather, scatterAdd, indexSelect, indexAdd, index, embedding, oneHot } from "./ops/indexing";
export { conv2d, maxPool2d, avgPool2d } from "./ops/conv";
export { dropout } from "./ops/random";

/** Layers, losses, init, save/load: nn.Linear, nn.functional.crossEntropy, nn.save(model, path). */
export * as nn from "./nn";
/** Optimizers and schedules: optim.SGD, optim.Adam, optim.StepLR, optim.clipGradNorm. */
export * as optim from "./optim";
export {
  fit, evaluate, predict, lastHistory, History, EarlyStopping, ModelCheckpoint, LearningRateScheduler, LambdaCallback, ProgressBar,
  accuracy, precision, recall, f1, ConfusionMatrix,
} from "./train";
export type { FitOptions, EvaluateOptions, FitData, Callback, Logs, Metric, MetricName } from "./train";

import * as backendRegistry from "./backend";
// registers the "tfjs" backend; TensorFlow.js itself loads only when it is first used
import "./backend/tfjs";
/**
 * Backend selection. `await backend.use("tfjs")` loads the fast path and
 * returns backend.info(); `backend.use("js")` switches at once.
 * GRADLAB_BACKEND=tfjs is honoured by `await backend.ready()`.
 */
export const backend = {
  use: (name: string) => backendRegistry.switchTo(name),
  ready: backendRegistry.ready,
  info: backendRegistry.info,
  memory: backendRegistry.memory,
  active: () => backendRegistry.active(),
  available: backendRegistry.available,
};

/** Models that a chapter and an experiment share: models.RNNModel, models.trainCharModel (001 §4.2). */
export * as models from "./models";

import * as data from "./data";
/** Data sets and loading: data.DataLoader, data.mnist.load(), data.makeClassification(...). */
export { data };
export {
  mnist, fashionMnist, shakespeare, DataLoader, TensorDataset, Subset, randomSplit,
  makeClassification, makeMoons, makeSpirals, CharVocab, SequenceDataset, charCorpus, readIdx, LabelledImages,
} from "./data";
export type { Dataset, DataLoaderOptions, CharCorpus, Classification, IdxData } from "./data";

/** Rich display in notebooks: plots, live progress, computation graphs, and the display() hook. */
export {
  display, updateDisplay, clearOutput, html, markdown, DisplayHandle, progress, Progress, Interrupted,
  plot, setPlotDefaults, Plot, ImageGrid, drawGraph, diagram, Diagram, DISPLAY, displayable, htmlTable, isDisplayable,
} from "./display";
export type {
  MimeBundle, Displayable, PlotOptions, LineOptions, ScatterOptions, HeatmapOptions, ContourOptions,
  HistogramOptions, ImagesOptions, ProgressOptions, GraphOptions, DiagramSpec, DiagramNode, DiagramEdge, DiagramOptions,
} from "./display";

/** Graded exercises: `const { test, check, expect } = grading;` (see solutions/ and `gradlab grade`). */
export { grading } from "./grade";
export type { CheckReport, TestResult, CloseOptions } from "./grade";
