/**
 * The `nn` namespace: Module and Parameter, the layers, the losses (as
 * functions in `functional` and as modules), initialisers (`init`),
 * `summary`, and `save` / `load` in the safetensors format.
 */
export { Module } from "./module";
export type { AnyModule, StateDict, LoadStateDictOptions, LoadStateDictResult } from "./module";
export { Parameter } from "./parameter";
export { Linear, Flatten, Identity } from "./linear";
export type { LinearOptions } from "./linear";
export { Conv2d, MaxPool2d, AvgPool2d } from "./conv";
export type { Conv2dLayerOptions, Pool2dLayerOptions } from "./conv";
export { ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softplus, Softmax, LogSoftmax, Dropout } from "./activation";
export { BatchNorm1d, BatchNorm2d } from "./normalization";
export type { BatchNormOptions } from "./normalization";
export { Embedding } from "./embedding";
export type { EmbeddingOptions } from "./embedding";
export { RNN, LSTM, GRU } from "./rnn";
export type { RNNOptions, SimpleRNNOptions } from "./rnn";
export { Sequential } from "./container";
export type { TensorModule } from "./container";
export { MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss } from "./loss";
export { summary } from "./summary";
export type { ModelSummary, SummaryRow, SummaryOptions } from "./summary";
export { save, load, loadWithMetadata, serialize, deserialize } from "./serialization";
export type { Safetensors, SaveOptions } from "./serialization";
import * as init from "./init";
import * as functional from "./functional";
export { init, functional };
