import { fail, fmtShape } from "../errors";
import { Tensor } from "../tensor/tensor";
import { DISPLAY, MimeBundle } from "../display/bundle";
import { heatmap } from "../display/plot";

/**
 * Classification metrics on predictions and integer targets. `output` may be
 * class scores [N, C] (argmax is taken), probabilities or logits [N] / [N, 1]
 * for a binary problem (thresholded), or already predicted labels [N] int32.
 */
export function predictedLabels(output: Tensor, threshold = 0.5): Int32Array {
  if (output.dtype === "int32") return output.values() as Int32Array;
  if (output.ndim === 2 && output.shape[1] > 1) return output.argmax(1).values() as Int32Array;
  const v = output.values();
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] > threshold ? 1 : 0;
  return out;
}

function labelsOf(op: string, target: Tensor, n: number): Int32Array {
  const v = target.values();
  if (v.length !== n) fail(op, `${n} predictions but ${v.length} targets (target shape ${fmtShape(target.shape)})`);
  return Int32Array.from(v, (x) => Math.round(x));
}

export function accuracy(output: Tensor, target: Tensor, threshold = 0.5): number {
  const p = predictedLabels(output, threshold);
  const t = labelsOf("accuracy", target, p.length);
  let hit = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hit++;
  return p.length ? hit / p.length : NaN;
}

/**
 * counts[t][p]: how many samples of true class t were predicted as p.
 * Rows are true classes, columns predictions (scikit-learn's convention).
 */
export class ConfusionMatrix {
  constructor(readonly counts: number[][], readonly classNames?: readonly string[]) {}

  static from(output: Tensor, target: Tensor, numClasses?: number, opts: { threshold?: number; classNames?: readonly string[] } = {}): ConfusionMatrix {
    const p = predictedLabels(output, opts.threshold);
    const t = labelsOf("confusionMatrix", target, p.length);
    const k = numClasses ?? Math.max(2, ...Array.from(p, (x) => x + 1), ...Array.from(t, (x) => x + 1));
    const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < p.length; i++) {
      if (t[i] < 0 || t[i] >= k || p[i] < 0 || p[i] >= k) fail("confusionMatrix", `label ${t[i] < 0 || t[i] >= k ? t[i] : p[i]} is out of range for ${k} classes`);
      counts[t[i]][p[i]]++;
    }
    return new ConfusionMatrix(counts, opts.classNames);
  }

  get numClasses(): number {
    return this.counts.length;
  }
  get total(): number {
    return this.counts.flat().reduce((a, b) => a + b, 0);
  }
  accuracy(): number {
    return this.counts.reduce((s, row, i) => s + row[i], 0) / this.total;
  }
  /** Of the samples predicted as class c, the fraction that are c. */
  precision(c: number): number {
    const predicted = this.counts.reduce((s, row) => s + row[c], 0);
    return predicted ? this.counts[c][c] / predicted : 0;
  }
  /** Of the samples of class c, the fraction predicted as c. */
  recall(c: number): number {
    const actual = this.counts[c].reduce((a, b) => a + b, 0);
    return actual ? this.counts[c][c] / actual : 0;
  }
  f1(c: number): number {
    const p = this.precision(c), r = this.recall(c);
    return p + r ? (2 * p * r) / (p + r) : 0;
  }
  /** In a notebook: a heatmap with the counts written in the cells, true classes down, predictions across. */
  [DISPLAY](): MimeBundle {
    const names = this.classNames ?? this.counts.map((_, i) => String(i));
    const plot = heatmap(this.counts, { xLabels: names, yLabels: names, annotate: true, xLabel: "predicted", yLabel: "true", title: `confusion matrix (accuracy ${(100 * this.accuracy()).toFixed(2)}%)` });
    return { ...plot[DISPLAY](), "text/plain": this.toString() };
  }

  toString(): string {
    const names = this.classNames ?? this.counts.map((_, i) => String(i));
    const w = Math.max(...names.map((n) => n.length), ...this.counts.flat().map((c) => String(c).length), 4);
    const head = "true\\pred".padEnd(w + 1) + names.map((n) => n.padStart(w)).join(" ");
    return [head, ...this.counts.map((row, i) => names[i].padEnd(w + 1) + row.map((c) => String(c).padStart(w)).join(" "))].join("\n");
  }
}

export type Average = "binary" | "macro";

/** Binary: for the positive class 1. Macro: the unweighted mean over classes. */
function averaged(op: string, output: Tensor, target: Tensor, average: Average, f: (cm: ConfusionMatrix, c: number) => number): number {
  const cm = ConfusionMatrix.from(output, target);
  if (average === "binary") {
    if (cm.numClasses > 2) fail(op, `average "binary" needs 2 classes, found ${cm.numClasses}; use average: "macro"`);
    return f(cm, 1);
  }
  let s = 0;
  for (let c = 0; c < cm.numClasses; c++) s += f(cm, c);
  return s / cm.numClasses;
}

export const precision = (output: Tensor, target: Tensor, average: Average = "binary"): number =>
  averaged("precision", output, target, average, (cm, c) => cm.precision(c));
export const recall = (output: Tensor, target: Tensor, average: Average = "binary"): number =>
  averaged("recall", output, target, average, (cm, c) => cm.recall(c));
export const f1 = (output: Tensor, target: Tensor, average: Average = "binary"): number =>
  averaged("f1", output, target, average, (cm, c) => cm.f1(c));

/**
 * A metric accumulated over batches: fit() and evaluate() feed it each
 * batch's outputs and report the value over the whole epoch (not an average
 * of per-batch values, which would be wrong for precision and recall).
 */
export interface Metric {
  readonly name: string;
  reset(): void;
  update(output: Tensor, target: Tensor): void;
  result(): number;
}

class ConfusionMetric implements Metric {
  private counts: number[][] = [];
  constructor(
    readonly name: string,
    private readonly compute: (cm: ConfusionMatrix) => number,
    private readonly threshold = 0.5,
  ) {}
  reset(): void {
    this.counts = [];
  }
  update(output: Tensor, target: Tensor): void {
    const p = predictedLabels(output, this.threshold);
    const t = labelsOf(this.name, target, p.length);
    for (let i = 0; i < p.length; i++) {
      if (p[i] < 0 || t[i] < 0) fail(this.name, `negative class label ${Math.min(p[i], t[i])}`);
      this.grow(Math.max(p[i], t[i], 1) + 1);
      this.counts[t[i]][p[i]]++;
    }
  }
  /** The matrix grows as larger labels appear, so no class count is needed up front. */
  private grow(k: number): void {
    if (k <= this.counts.length) return;
    for (const row of this.counts) while (row.length < k) row.push(0);
    while (this.counts.length < k) this.counts.push(new Array<number>(k).fill(0));
  }
  result(): number {
    return this.counts.length ? this.compute(new ConfusionMatrix(this.counts)) : NaN;
  }
}

export type MetricName = "accuracy" | "precision" | "recall" | "f1" | "macroPrecision" | "macroRecall" | "macroF1";

/** Metrics by name, as fit({metrics: ["accuracy", "recall"]}) takes them. */
export function metricByName(name: MetricName, threshold = 0.5): Metric {
  const macro = (f: (cm: ConfusionMatrix, c: number) => number) => (cm: ConfusionMatrix) => {
    let s = 0;
    for (let c = 0; c < cm.numClasses; c++) s += f(cm, c);
    return s / cm.numClasses;
  };
  switch (name) {
    case "accuracy": return new ConfusionMetric(name, (cm) => cm.accuracy(), threshold);
    case "precision": return new ConfusionMetric(name, (cm) => cm.precision(1), threshold);
    case "recall": return new ConfusionMetric(name, (cm) => cm.recall(1), threshold);
    case "f1": return new ConfusionMetric(name, (cm) => cm.f1(1), threshold);
    case "macroPrecision": return new ConfusionMetric(name, macro((cm, c) => cm.precision(c)), threshold);
    case "macroRecall": return new ConfusionMetric(name, macro((cm, c) => cm.recall(c)), threshold);
    case "macroF1": return new ConfusionMetric(name, macro((cm, c) => cm.f1(c)), threshold);
    default: return fail("metrics", `unknown metric "${String(name)}"; known: accuracy, precision, recall, f1, macroPrecision, macroRecall, macroF1`);
  }
}
