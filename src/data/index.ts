/**
 * Data: datasets and batching, the IDX reader, the image sets (MNIST,
 * Fashion-MNIST), synthetic sets and a text corpus. Every random thing takes
 * a seed, so a chapter gives the same numbers on every run.
 */
export { TensorDataset, Subset, DataLoader, randomSplit } from "./dataset";
export type { Dataset, DataLoaderOptions } from "./dataset";
export { readIdx } from "./idx";
export type { IdxData, IdxType, IdxArray } from "./idx";
export { LabelledImages } from "./images";
export type { ImageLoadOptions, Split } from "./images";
import * as mnist from "./mnist";
import * as fashionMnist from "./fashionMnist";
export { mnist, fashionMnist };
export { makeClassification, makeMoons, makeSpirals } from "./synthetic";
export type { Classification, MakeClassificationOptions, MakeMoonsOptions, MakeSpiralsOptions } from "./synthetic";
export { CharVocab, SequenceDataset, charCorpus, shakespeare } from "./text";
export type { CharCorpus } from "./text";
