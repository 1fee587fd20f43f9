/** What every experiment takes and returns. */
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

export const pct = (x: number): string => (100 * x).toFixed(2) + "%";
