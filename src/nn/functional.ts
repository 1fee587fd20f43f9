/**
 * nn.functional: the stateless building blocks layers are made of, with
 * PyTorch's names. Everything here is an op (or a composition of ops), so it
 * is differentiable.
 */
export { relu, leakyRelu, sigmoid, tanh, gelu, softplus, softmax, logSoftmax, logsumexp } from "../ops/activation";
export { conv2d, maxPool2d, avgPool2d } from "../ops/conv";
export type { Conv2dOptions, Pool2dOptions } from "../ops/conv";
export { dropout } from "../ops/random";
export { embedding, oneHot } from "../ops/indexing";
export { pad } from "../ops/shape";
export { linear } from "./linear";
export { mseLoss, l1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, nllLoss } from "./loss";
export type { Reduction, LossOptions, BCEOptions, BCEWithLogitsOptions, NLLOptions, CrossEntropyOptions } from "./loss";
