import type { Tensor } from "./tensor";

/** Print options, as in torch.set_printoptions. */
export const printOptions = {
  /** Digits after the decimal point. */
  precision: 4,
  /** Above this many elements, print only the edges of each dimension. */
  threshold: 1000,
  /** How many items to show at each edge when summarising. */
  edgeItems: 3,
  /** Characters per line before rows wrap. */
  lineWidth: 80,
};

export function setPrintOptions(opts: Partial<typeof printOptions>): void {
  Object.assign(printOptions, opts);
}

/**
 * The printed form, like PyTorch's:
 *   tensor([[ 1.0000, -2.5000],
 *           [ 3.0000,  4.0000]], requiresGrad=true)
 * Large tensors show the first and last few items of each dimension with
 * "..." between.
 */
export function formatTensor(t: Tensor): string {
  const v = t.values();
  const shape = t.shape;
  const summarize = v.length > printOptions.threshold;
  const fmt = numberFormatter(t.dtype, shownValues(v, shape, summarize));
  const prefix = "tensor(";
  const body = formatDims(v, shape, 0, 0, fmt, summarize, prefix.length + 1);
  const extras: string[] = [];
  if (v.length === 0 && shape.length !== 1) extras.push(`size=[${shape.join(", ")}]`);
  // as PyTorch leaves out the dtypes it infers by default (float32, int64, bool), we leave
  // out ours: float32, int32 (what arange and argmax make) and bool
  if (t.dtype === "float64") extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=${t.gradFn.op.name}`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return prefix + body + extras.map((e) => ", " + e).join("") + ")";
}

function shownValues(v: ArrayLike<number>, shape: readonly number[], summarize: boolean): number[] {
  if (!summarize) return Array.from(v);
  const out: number[] = [];
  const walk = (dim: number, off: number): void => {
    if (dim === shape.length) {
      out.push(v[off]);
      return;
    }
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (const i of edgeIndices(shape[dim], summarize)) if (i >= 0) walk(dim + 1, off + i * stride);
  };
  walk(0, 0);
  return out;
}

/** The indices shown along a dim: all, or the edges with -1 marking the "...". */
function edgeIndices(n: number, summarize: boolean): number[] {
  const e = printOptions.edgeItems;
  if (!summarize || n <= 2 * e) return [...Array(n).keys()];
  return [...Array(e).keys(), -1, ...Array.from({ length: e }, (_, i) => n - e + i)];
}

/** How the numbers of one tensor are written; the HTML table (display/tensor.ts) uses it too, so both agree. */
export function numberFormatter(dtype: string, shown: number[]): (x: number) => string {
  if (dtype === "bool") return (x) => (x ? "true" : "false").padStart(5);
  if (dtype === "int32") {
    const w = Math.max(1, ...shown.map((x) => String(x).length));
    return (x) => String(x).padStart(w);
  }
  const finite = shown.filter((x) => Number.isFinite(x));
  const absMax = Math.max(0, ...finite.map(Math.abs));
  const nonzero = finite.filter((x) => x !== 0).map(Math.abs);
  const absMin = nonzero.length ? Math.min(...nonzero) : 0;
  const allInts = finite.every((x) => Number.isInteger(x));
  const p = printOptions.precision;
  // PyTorch's choice: whole numbers as "3.", unless they span more than 1e3 or exceed 1e8
  const wide = absMax > 1e8 || (absMin > 0 && absMax / absMin > 1e3);
  let f: (x: number) => string;
  if (allInts && !wide) f = (x) => fixNonFinite(x, x.toFixed(0) + ".");
  else if (wide || (absMin > 0 && absMin < 1e-4)) f = (x) => fixNonFinite(x, sci(x, p));
  else f = (x) => fixNonFinite(x, x.toFixed(p));
  const w = Math.max(...shown.map((x) => f(x).length), 1);
  return (x) => f(x).padStart(w);
}

/** Python's "{:.4e}": at least two exponent digits (1.0000e-05, not JavaScript's 1.0000e-5). */
function sci(x: number, p: number): string {
  return x.toExponential(p).replace(/e([+-])(\d)$/, "e$10$2");
}

function fixNonFinite(x: number, s: string): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return s;
}

function formatDims(
  v: ArrayLike<number>, shape: readonly number[], dim: number, off: number,
  fmt: (x: number) => string, summarize: boolean, indent: number,
): string {
  if (shape.length === 0) return fmt(v[0]).trim();
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const idx = edgeIndices(shape[dim], summarize);
  if (dim === shape.length - 1) {
    const items = idx.map((i) => (i < 0 ? " ..." : fmt(v[off + i])));
    // wrap long rows as PyTorch does: a fixed number of items per line, from the item width
    const width = shape[dim] > 0 ? fmt(v[off]).length : 1;
    const perLine = Math.max(1, Math.floor((printOptions.lineWidth - (indent - 1)) / (width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
    return "[" + lines.join(",\n" + " ".repeat(indent)) + "]";
  }
  const sep = ",\n".padEnd(2 + shape.length - dim - 2, "\n") + " ".repeat(indent);
  const parts = idx.map((i) => (i < 0 ? "..." : formatDims(v, shape, dim + 1, off + i * stride, fmt, summarize, indent + 1)));
  return "[" + parts.join(sep) + "]";
}
