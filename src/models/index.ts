/**
 * Models of the source documents that more than one place trains (a
 * chapter and an experiment), so both run the same code.
 */
export { RNNModel, charLoss, perplexity, sample, trainCharModel, charLstmSettings } from "./charRnn";
export type { SampleOptions, CharTrainingOptions, CharTrainingRun } from "./charRnn";
