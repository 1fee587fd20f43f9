/**
 * The `optim` namespace: optimizers, learning-rate schedules, gradient
 * clipping and weight penalties.
 */
export { Optimizer } from "./optimizer";
export type { BaseOptions, ParamGroup, ParamGroupSpec, ParamState, OptimizerStateDict, OptionValue } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDOptions } from "./sgd";
export { Adagrad } from "./adagrad";
export type { AdagradOptions } from "./adagrad";
export { RMSprop } from "./rmsprop";
export type { RMSpropOptions } from "./rmsprop";
export { Adam, AdamW } from "./adam";
export type { AdamOptions } from "./adam";
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau } from "./scheduler";
export type { HasParamGroups, ReduceLROnPlateauOptions } from "./scheduler";
export { clipGradNorm, clipGradValue } from "./clip";
export type { ClipGradNormOptions } from "./clip";
export { l1Penalty, l2Penalty } from "./regularizers";
