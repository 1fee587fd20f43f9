/**
 * The source documents' experiments (see shared/seeds/README.md), each a
 * function returning the numbers to report. Full runs are long on the js
 * backend (experiment 1 trains 600,000 images); --quick runs a small slice.
 */
import { mnistCnnSgd, mnistCnnAdam } from "./mnist";
import { classification, binaryClassifier } from "./classification";
import { charLstm } from "./charLstm";

export interface ExperimentContext {
  quick: boolean;
  seed: number;
}

export interface ResultRow {
  metric: string;
  /** What the source document reports, where it reports something. */
  document?: string;
  measured: string;
}

export interface ExperimentResult {
  rows: ResultRow[];
  values: Record<string, unknown>;
}

export interface Experiment {
  title: string;
  source: string;
  run(ctx: ExperimentContext): Promise<ExperimentResult>;
}

export const EXPERIMENTS: Record<string, Experiment> = {
  "mnist-cnn-sgd": mnistCnnSgd,
  "mnist-cnn-adam": mnistCnnAdam,
  classification,
  "binary-classifier": binaryClassifier,
  "char-lstm": charLstm,
};

export const pct = (x: number): string => (100 * x).toFixed(2) + "%";
