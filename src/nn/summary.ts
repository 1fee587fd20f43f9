import { noGrad } from "../autograd/mode";
import { DISPLAY, MimeBundle, htmlTable } from "../display/bundle";
import { fail, fmtShape } from "../errors";
import { DType } from "../tensor/dtype";
import { zeros } from "../tensor/creation";
import { Tensor } from "../tensor/tensor";
import { AnyModule, Module } from "./module";

/** One layer of a summary: what ran, what it produced, what it holds. */
export interface SummaryRow {
  /** Dotted name in the model ("features.0"). */
  name: string;
  /** Class name ("Conv2d"). */
  type: string;
  /** Output shape with the batch dimension as -1; several for a layer that returns several tensors. */
  outputShape: number[] | number[][];
  /** Numbers in the parameters this layer holds itself (not those of its sublayers). */
  params: number;
  trainableParams: number;
}

export interface ModelSummary {
  modelName: string;
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** The Keras-style table. */
  text: string;
  toString(): string;
  /** In a notebook: the same table in HTML. */
  [DISPLAY](): MimeBundle;
}

export interface SummaryOptions {
  /** Default float32; int32 for a model that starts with an Embedding. */
  dtype?: DType;
  /** Batch size of the probe input (default 1; the table shows -1). */
  batchSize?: number;
}

type Forward = (...args: unknown[]) => unknown;

/**
 * Keras' model.summary() for a gradlab model: runs one forward pass on zeros
 * of shape [batch, ...inputShape] (in eval mode, without recording a graph)
 * and lists every layer that ran, in the order it ran, with its output
 * shape and parameter count, then the totals.
 *
 * A layer is listed when it has no sublayers, or holds parameters of its
 * own; containers (Sequential, a model class) are not, so nothing is counted
 * twice.
 */
export function summary(model: AnyModule, inputShape: readonly number[], opts: SummaryOptions = {}): ModelSummary {
  if (!(model instanceof Module)) fail("summary", "expects a Module");
  const batch = opts.batchSize ?? 1;
  const names = new Map(model.namedModules().map(([n, m]) => [m, n]));
  const rows: SummaryRow[] = [];
  // a forward defined as an own property (an arrow-function field) is put back as it was
  const patched: [AnyModule, PropertyDescriptor | undefined][] = [];
  const wasTraining = model.modules().map((m) => m.training);
  // record each layer's output by shadowing its forward on the instance for one pass (PyTorch's forward hooks)
  for (const [m, name] of names) {
    const counts = ownParams(m);
    if (m === model || (m.children().length > 0 && counts.total === 0)) continue;
    const own = Object.getOwnPropertyDescriptor(m, "forward");
    const original = (m as unknown as { forward: Forward }).forward;
    Object.defineProperty(m, "forward", {
      configurable: true,
      enumerable: false,
      writable: true,
      value: (...args: unknown[]) => {
        const out = original.apply(m, args);
        rows.push({ name, type: m.constructor.name, outputShape: shapesOf(out, batch), params: counts.total, trainableParams: counts.trainable });
        return out;
      },
    });
    patched.push([m, own]);
  }
  try {
    model.eval();
    const x = zeros([batch, ...inputShape], { dtype: opts.dtype ?? "float32" });
    noGrad(() => (model as unknown as { forward: Forward }).forward(x));
  } finally {
    for (const [m, own] of patched) {
      if (own) Object.defineProperty(m, "forward", own);
      else delete (m as unknown as { forward?: Forward }).forward;
    }
    model.modules().forEach((m, i) => (m.training = wasTraining[i]));
  }
  const totalParams = model.numParameters();
  const trainableParams = model.numParameters(true);
  const modelName = model.constructor.name;
  const text = formatTable(modelName, rows, totalParams, trainableParams);
  const html = () =>
    htmlTable(rows.map((r) => [r.name, r.type, JSON.stringify(r.outputShape).replace(/-1/g, "None").replace(/,/g, ", "), r.params]), {
      header: ["layer", "type", "output shape", "parameters"],
      caption: `${modelName}: ${totalParams.toLocaleString("en-US")} parameters (${trainableParams.toLocaleString("en-US")} trainable)`,
    });
  return {
    modelName, rows, totalParams, trainableParams, nonTrainableParams: totalParams - trainableParams, text,
    toString: () => text,
    [DISPLAY]: () => ({ "text/plain": text, "text/html": html() }),
  };
}

function ownParams(m: AnyModule): { total: number; trainable: number } {
  const kids = new Set(m.children().flatMap((c) => c.parameters()));
  let total = 0, trainable = 0;
  for (const p of m.parameters()) {
    if (kids.has(p)) continue;
    total += p.numel();
    if (p.requiresGrad) trainable += p.numel();
  }
  return { total, trainable };
}

/** Tensor shapes in a layer's output (a tensor, or arrays of them as an LSTM returns), batch dim as -1. */
function shapesOf(out: unknown, batch: number): number[] | number[][] {
  const list: number[][] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) list.push(v.shape.map((d, i) => (i === 0 && d === batch ? -1 : d)));
    else if (Array.isArray(v)) v.forEach(visit);
  };
  visit(out);
  return out instanceof Tensor ? list[0] : list;
}

const num = (n: number): string => n.toLocaleString("en-US");

function formatTable(modelName: string, rows: SummaryRow[], total: number, trainable: number): string {
  const cells = rows.map((r) => [
    `${r.name} (${r.type})`,
    Array.isArray(r.outputShape[0]) ? (r.outputShape as number[][]).map(fmtShape).join(", ") : fmtShape(r.outputShape as number[]),
    num(r.params),
  ]);
  const head = ["Layer (type)", "Output Shape", "Param #"];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 3);
  const line = (c: string[]) => (c[0].padEnd(w[0]) + c[1].padEnd(w[1]) + c[2]).trimEnd();
  const width = w[0] + w[1] + w[2];
  return [
    `Model: "${modelName}"`,
    "_".repeat(width),
    line(head),
    "=".repeat(width),
    ...cells.map(line),
    "=".repeat(width),
    `Total params: ${num(total)}`,
    `Trainable params: ${num(trainable)}`,
    `Non-trainable params: ${num(total - trainable)}`,
    "_".repeat(width),
  ].join("\n");
}
