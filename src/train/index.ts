export { fit, evaluate, predict, lastHistory } from "./fit";
export { LiveProgress, historyPlot } from "./live";
export type { FitOptions, EvaluateOptions, FitData, TensorPair, BatchSource, LossFn, LossName, OptimizerLike } from "./fit";
export { History } from "./history";
export {
  EarlyStopping, ModelCheckpoint, LearningRateScheduler, LambdaCallback, ProgressBar, snapshot,
} from "./callbacks";
export type { Callback, Logs, TrainState, TrainableModel, EarlyStoppingOptions, CheckpointOptions, Schedule } from "./callbacks";
export { accuracy, precision, recall, f1, ConfusionMatrix, metricByName, predictedLabels } from "./metrics";
export type { Metric, MetricName, Average } from "./metrics";
