/**
 * The source documents' experiments (see shared/seeds/README.md), each a
 * function returning the numbers to report. Full runs are long on the js
 * backend (experiment 1 trains 600,000 images); --quick runs a small slice.
 */
import { mnistCnnSgd, mnistCnnAdam } from "./mnist";
import { classification, binaryClassifier } from "./classification";
import { charLstm } from "./charLstm";
import type { Experiment } from "./common";
export type { Experiment, ExperimentContext, ExperimentResult, ResultRow } from "./common";

export const EXPERIMENTS: Record<string, Experiment> = {
  "mnist-cnn-sgd": mnistCnnSgd,
  "mnist-cnn-adam": mnistCnnAdam,
  classification,
  "binary-classifier": binaryClassifier,
  "char-lstm": charLstm,
};

