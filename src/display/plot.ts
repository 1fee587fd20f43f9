import type { Tensor } from "../tensor/tensor";
import { DISPLAY, Displayable, MimeBundle, escapeHtml, pngImgTag, toBase64 } from "./bundle";
import { finiteRange, imageGridPng, imageRange, pickColorMap } from "./image";
import { PLOTLY_MIME, PlotlyFigure, plotlyHtml } from "./plotly";
import { Json, JsonObject, VEGA_LITE_MIME, VEGA_LITE_SCHEMA, svgToPng, vegaLiteToSvg } from "./vega";

/**
 * Plots for notebooks: line, scatter, heatmap, contour, histogram, bar and
 * image grids. Each returns a Plot, shown when it is a cell's last value or
 * passed to display(). Two engines:
 * - "vega-lite" (default): the Vega-Lite v5 spec (JupyterLab and VS Code draw
 *   it) plus a PNG drawn in Node (the classic notebook, nbconvert, GitHub);
 * - "plotly": the Plotly figure (JupyterLab with jupyterlab-plotly, VS Code)
 *   plus offline HTML with a local plotly.js (everything that runs scripts).
 * Both carry a `text/plain` summary for terminals.
 */

export type Engine = "vega-lite" | "plotly";
/** 1-D numbers: an array, a typed array, or a tensor (flattened). */
export type Values = ArrayLike<number> | Tensor;
/** A matrix: a 2-D tensor or rows of numbers. */
export type Matrix = Tensor | readonly (readonly number[])[];

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  engine?: Engine;
}

export const plotDefaults: { engine: Engine; width: number; height: number } = { engine: "vega-lite", width: 360, height: 240 };

/** Changes the engine or size every later plot uses unless it says otherwise. */
export function setPlotDefaults(opts: Partial<typeof plotDefaults>): void {
  Object.assign(plotDefaults, opts);
}

export class Plot implements Displayable {
  private rendered?: { svg: string; png: Uint8Array };

  constructor(
    /** "line", "scatter", ...: what was drawn. */
    readonly kind: string,
    readonly engine: Engine,
    /** The Vega-Lite spec or the Plotly figure, as JSON. */
    readonly spec: JsonObject,
    /** The terminal's view of the plot. */
    readonly text: string,
    readonly width: number,
    readonly height: number,
  ) {}

  [DISPLAY](): MimeBundle {
    if (this.engine === "plotly") {
      return {
        [PLOTLY_MIME]: this.spec,
        "text/html": plotlyHtml(this.spec as unknown as PlotlyFigure, { width: this.width, height: this.height }),
        "text/plain": this.text,
      };
    }
    return { [VEGA_LITE_MIME]: this.spec, "image/png": toBase64(this.toPNG()), "text/plain": this.text };
  }

  /** The plot as SVG (Vega-Lite plots; Plotly draws only in a browser). */
  toSVG(): string {
    return this.render().svg;
  }

  toPNG(): Uint8Array {
    return this.render().png;
  }

  /** A standalone HTML page (for saving a plot to a file). */
  toHTML(): string {
    const body = this.engine === "plotly"
      ? plotlyHtml(this.spec as unknown as PlotlyFigure, { width: this.width, height: this.height, standalone: true })
      : pngImgTag(this.toPNG(), { alt: this.kind });
    return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(this.kind)}</title></head><body>${body}</body></html>`;
  }

  toString(): string {
    return this.text;
  }

  private render(): { svg: string; png: Uint8Array } {
    if (this.engine !== "vega-lite") throw new Error(`${this.kind}: a plotly plot draws only in a browser; use engine "vega-lite" for SVG or PNG`);
    if (!this.rendered) {
      const svg = vegaLiteToSvg(this.spec);
      this.rendered = { svg, png: svgToPng(svg) };
    }
    return this.rendered;
  }
}

// --- inputs -------------------------------------------------------------------------------------

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && typeof (x as Tensor).values === "function" && Array.isArray((x as Tensor).shape);
}

function nums(v: Values): ArrayLike<number> {
  return isTensor(v) ? v.values() : v;
}

function matrix(z: Matrix, what: string): { v: Float64Array; rows: number; cols: number } {
  if (isTensor(z)) {
    if (z.ndim !== 2) throw new Error(`${what}: expected a 2-D tensor, got shape [${z.shape.join(", ")}]`);
    return { v: Float64Array.from(z.values()), rows: z.shape[0], cols: z.shape[1] };
  }
  const rows = z.length, cols = rows ? z[0].length : 0;
  const v = new Float64Array(rows * cols);
  z.forEach((row, r) => {
    if (row.length !== cols) throw new Error(`${what}: row ${r} has ${row.length} values, row 0 has ${cols}`);
    for (let c = 0; c < cols; c++) v[r * cols + c] = row[c];
  });
  return { v, rows, cols };
}

/** JSON has no NaN or Infinity: they become null, which both engines treat as a gap. */
function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function seriesOf(ys: Values | Record<string, Values>): { name: string; y: ArrayLike<number> }[] {
  if (isTensor(ys) || isArrayLike(ys)) return [{ name: "y", y: nums(ys) }];
  return Object.entries(ys).map(([name, y]) => ({ name, y: nums(y) }));
}

function isArrayLike(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}

function size(opts: PlotOptions): { width: number; height: number } {
  return { width: opts.width ?? plotDefaults.width, height: opts.height ?? plotDefaults.height };
}

function engineOf(opts: PlotOptions): Engine {
  return opts.engine ?? plotDefaults.engine;
}

// --- text summaries ---------------------------------------------------------------------------------

const SPARKS = "▁▂▃▄▅▆▇█";

function sparkline(v: ArrayLike<number>, width = 40): string {
  const n = v.length;
  if (!n) return "";
  const { min, max } = finiteRange(v);
  const out: string[] = [];
  const m = Math.min(n, width);
  for (let i = 0; i < m; i++) {
    const x = v[Math.floor((i * n) / m)];
    out.push(Number.isFinite(x) ? SPARKS[max > min ? Math.round(((x - min) / (max - min)) * 7) : 3] : " ");
  }
  return out.join("");
}

function g(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number.isInteger(x) ? String(x) : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}

function titled(opts: PlotOptions, kind: string, rest: string): string {
  return `${opts.title ? opts.title + " — " : ""}${kind}${rest}`;
}

// --- shared spec pieces --------------------------------------------------------------------------

function vlBase(opts: PlotOptions, extra: JsonObject): JsonObject {
  const { width, height } = size(opts);
  const spec: JsonObject = { $schema: VEGA_LITE_SCHEMA, width, height, ...extra };
  if (opts.title) spec.title = opts.title;
  return spec;
}

function axisTitle(t: string | undefined): string | null {
  return t ?? null;
}

function plotlyLayout(opts: PlotOptions, extra: JsonObject = {}): JsonObject {
  const { width, height } = size(opts);
  const layout: JsonObject = {
    width, height,
    margin: { l: 55, r: 20, t: opts.title ? 55 : 25, b: 45 },
    xaxis: { title: { text: opts.xLabel ?? "" } },
    yaxis: { title: { text: opts.yLabel ?? "" } },
    ...extra,
  };
  if (opts.title) layout.title = { text: opts.title };
  return layout;
}

function plotlyPlot(kind: string, data: JsonObject[], layout: JsonObject, text: string, opts: PlotOptions): Plot {
  const { width, height } = size(opts);
  return new Plot(kind, "plotly", { data, layout }, text, width, height);
}

function vlPlot(kind: string, spec: JsonObject, text: string, opts: PlotOptions): Plot {
  const { width, height } = size(opts);
  return new Plot(kind, "vega-lite", spec, text, typeof spec.width === "number" ? spec.width : width, typeof spec.height === "number" ? spec.height : height);
}

// --- line ------------------------------------------------------------------------------------------

export interface LineOptions extends PlotOptions {
  /** x values shared by every series (default 0, 1, 2, ...). */
  x?: Values;
  logY?: boolean;
  /** Draw a dot at each point (default: when a series has at most 30). */
  points?: boolean;
}

/**
 * Lines: one series, or several by name.
 *   plot.line(losses)
 *   plot.line({ train: trainLoss, val: valLoss }, { x: epochs, yLabel: "loss", logY: true })
 */
export function line(ys: Values | Record<string, Values>, opts: LineOptions = {}): Plot {
  const series = seriesOf(ys);
  const xs = opts.x ? nums(opts.x) : undefined;
  const xAt = (i: number): number => (xs ? xs[i] : i);
  const longest = Math.max(0, ...series.map((s) => s.y.length));
  const points = opts.points ?? longest <= 30;
  const text = titled(opts, "line plot", ":\n" + series.map((s) => {
    const { min, max } = finiteRange(s.y);
    const n = s.y.length;
    return `  ${s.name}: ${n} points${n ? `, ${g(s.y[0])} → ${g(s.y[n - 1])}, min ${g(min)}, max ${g(max)}  ${sparkline(s.y)}` : ""}`;
  }).join("\n"));
  if (engineOf(opts) === "plotly") {
    const data = series.map((s) => ({
      type: "scatter", mode: points ? "lines+markers" : "lines", name: s.name,
      x: Array.from({ length: s.y.length }, (_, i) => num(xAt(i))), y: Array.from(s.y, num),
    }));
    const layout = plotlyLayout(opts, { showlegend: series.length > 1 });
    if (opts.logY) (layout.yaxis as JsonObject).type = "log";
    return plotlyPlot("line", data, layout, text, opts);
  }
  const values: Json[] = [];
  for (const s of series) for (let i = 0; i < s.y.length; i++) values.push({ x: num(xAt(i)), y: num(s.y[i]), series: s.name });
  const encoding: JsonObject = {
    x: { field: "x", type: "quantitative", title: axisTitle(opts.xLabel), scale: { zero: false } },
    y: { field: "y", type: "quantitative", title: axisTitle(opts.yLabel), scale: opts.logY ? { type: "log" } : { zero: false } },
  };
  if (series.length > 1) encoding.color = { field: "series", type: "nominal", title: null, sort: series.map((s) => s.name) };
  const spec = vlBase(opts, { data: { values }, mark: { type: "line", point: points, clip: true }, encoding });
  return vlPlot("line", spec, text, opts);
}

// --- scatter ----------------------------------------------------------------------------------------

export interface ScatterOptions extends PlotOptions {
  /** A class or group per point: points are coloured by it, with a legend. */
  labels?: Values | readonly (string | number)[];
  /** Marker area in px² (vega-lite) / diameter derived from it (plotly). */
  size?: number;
}

/** Points (x[i], y[i]), optionally coloured by label: `plot.scatter(X.select(1, 0), X.select(1, 1), { labels: y })`. */
export function scatter(x: Values, y: Values, opts: ScatterOptions = {}): Plot {
  const xv = nums(x), yv = nums(y);
  if (xv.length !== yv.length) throw new Error(`scatter: x has ${xv.length} values, y has ${yv.length}`);
  const labels = labelsOf(opts.labels);
  if (labels && labels.length !== xv.length) throw new Error(`scatter: ${labels.length} labels for ${xv.length} points`);
  const groups = labels ? [...new Set(labels)].sort(naturalCompare) : [];
  const xr = finiteRange(xv), yr = finiteRange(yv);
  const text = titled(opts, "scatter plot", `: ${xv.length} points, x in [${g(xr.min)}, ${g(xr.max)}], y in [${g(yr.min)}, ${g(yr.max)}]` +
    (labels ? `, ${groups.length} labels (${groups.slice(0, 10).join(", ")}${groups.length > 10 ? ", …" : ""})` : ""));
  const area = opts.size ?? (xv.length > 2000 ? 8 : 30);
  if (engineOf(opts) === "plotly") {
    const trace = (name: string | undefined, idx: number[]): JsonObject => ({
      type: "scatter", mode: "markers", ...(name !== undefined ? { name } : {}),
      x: idx.map((i) => num(xv[i])), y: idx.map((i) => num(yv[i])), marker: { size: Math.max(2, Math.round(Math.sqrt(area))) },
    });
    const all = Array.from({ length: xv.length }, (_, i) => i);
    const data = labels ? groups.map((gname) => trace(gname, all.filter((i) => labels[i] === gname))) : [trace(undefined, all)];
    return plotlyPlot("scatter", data, plotlyLayout(opts, { showlegend: !!labels }), text, opts);
  }
  const values: Json[] = Array.from({ length: xv.length }, (_, i): Json => (labels ? { x: num(xv[i]), y: num(yv[i]), label: labels[i] } : { x: num(xv[i]), y: num(yv[i]) }));
  const encoding: JsonObject = {
    x: { field: "x", type: "quantitative", title: axisTitle(opts.xLabel), scale: { zero: false } },
    y: { field: "y", type: "quantitative", title: axisTitle(opts.yLabel), scale: { zero: false } },
  };
  if (labels) encoding.color = { field: "label", type: "nominal", title: null, sort: groups };
  const spec = vlBase(opts, { data: { values }, mark: { type: "point", filled: true, size: area, opacity: 0.75 }, encoding });
  return vlPlot("scatter", spec, text, opts);
}

function naturalCompare(a: string, b: string): number {
  const na = Number(a), nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

// --- heatmap -------------------------------------------------------------------------------------------

export interface HeatmapOptions extends PlotOptions {
  xLabels?: readonly (string | number)[];
  yLabels?: readonly (string | number)[];
  /** Write each value in its cell (e.g. a confusion matrix). */
  annotate?: boolean;
  /** Digits after the point when annotating (default: 0 for whole numbers, else 2). */
  digits?: number;
}

/** Above this many rows or columns a heatmap is sampled down (the spec stays small). */
const HEATMAP_MAX_SIDE = 100;

/** A matrix as coloured cells; row 0 at the top. Diverging colours when values have both signs. */
export function heatmap(z: Matrix, opts: HeatmapOptions = {}): Plot {
  const m = matrix(z, "heatmap");
  const rStep = Math.ceil(m.rows / HEATMAP_MAX_SIDE), cStep = Math.ceil(m.cols / HEATMAP_MAX_SIDE);
  const rows = Math.ceil(m.rows / rStep), cols = Math.ceil(m.cols / cStep);
  const at = (r: number, c: number): number => m.v[r * rStep * m.cols + c * cStep];
  const xl = Array.from({ length: cols }, (_, c) => String(opts.xLabels?.[c * cStep] ?? c * cStep));
  const yl = Array.from({ length: rows }, (_, r) => String(opts.yLabels?.[r * rStep] ?? r * rStep));
  const range = finiteRange(m.v);
  const diverging = pickColorMap(range.min, range.max) === "rdbu";
  const allInts = Array.from(m.v).every((x) => Number.isInteger(x));
  const digits = opts.digits ?? (allInts ? 0 : 2);
  const sampled = rStep > 1 || cStep > 1 ? ` (every ${rStep}th row, ${cStep}th column shown)` : "";
  let text = titled(opts, "heatmap", ` ${m.rows}x${m.cols}${sampled}, values in [${g(range.min)}, ${g(range.max)}]`);
  if (opts.annotate && m.rows <= 20 && m.cols <= 20) {
    const w = Math.max(...Array.from(m.v, (x) => x.toFixed(digits).length), ...xl.map((s) => s.length));
    const lw = Math.max(...yl.map((s) => s.length));
    text += "\n" + " ".repeat(lw) + " " + xl.map((s) => s.padStart(w)).join(" ");
    for (let r = 0; r < rows; r++) text += "\n" + yl[r].padStart(lw) + " " + Array.from({ length: cols }, (_, c) => at(r, c).toFixed(digits).padStart(w)).join(" ");
  }
  const cell = Math.max(4, Math.min(40, Math.floor(Math.min(opts.width ?? 400, 400) / Math.max(rows, cols))));
  const sized: PlotOptions = { ...opts, width: opts.width ?? cols * cell, height: opts.height ?? rows * cell };
  if (engineOf(opts) === "plotly") {
    const trace: JsonObject = {
      type: "heatmap", x: xl, y: yl,
      z: Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => num(at(r, c)))),
      colorscale: diverging ? "RdBu" : "Viridis", ...(diverging ? { zmid: 0 } : {}),
    };
    if (opts.annotate) trace.texttemplate = `%{z:.${digits}f}`;
    const layout = plotlyLayout(sized, { yaxis: { title: { text: opts.yLabel ?? "" }, autorange: "reversed", type: "category" }, xaxis: { title: { text: opts.xLabel ?? "" }, type: "category" } });
    layout.width = (sized.width ?? 0) + 140;
    layout.height = (sized.height ?? 0) + 90;
    return plotlyPlot("heatmap", [trace], layout, text, { ...sized, width: layout.width as number, height: layout.height as number });
  }
  const values: Json[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values.push({ row: yl[r], col: xl[c], v: num(at(r, c)) });
  const color: JsonObject = {
    field: "v", type: "quantitative", title: null,
    scale: diverging ? { scheme: "redblue", domainMid: 0, reverse: true } : { scheme: "viridis" },
  };
  const encoding: JsonObject = {
    x: { field: "col", type: "ordinal", sort: xl, title: axisTitle(opts.xLabel), axis: { labelAngle: 0, labelOverlap: true } },
    y: { field: "row", type: "ordinal", sort: yl, title: axisTitle(opts.yLabel), axis: { labelOverlap: true } },
  };
  let spec: JsonObject;
  if (opts.annotate) {
    // Light text on the dark end of the colour scale, dark text elsewhere.
    const absMax = Math.max(Math.abs(range.min), Math.abs(range.max));
    const test = diverging ? `abs(datum.v) > ${0.6 * absMax}` : `datum.v < ${range.min + 0.45 * (range.max - range.min)}`;
    spec = vlBase(sized, {
      data: { values }, encoding,
      layer: [
        { mark: "rect", encoding: { color } },
        {
          mark: { type: "text", fontSize: 11 },
          encoding: { text: { field: "v", type: "quantitative", format: `.${digits}f` }, color: { condition: { test, value: "white" }, value: "black" } },
        },
      ],
    });
  } else {
    spec = vlBase(sized, { data: { values }, mark: "rect", encoding: { ...encoding, color } });
  }
  return vlPlot("heatmap", spec, text, sized);
}

// --- contour ------------------------------------------------------------------------------------------------

export interface ContourOptions extends PlotOptions {
  /** x range of the grid's columns (required for a function; default 0 .. cols-1). */
  x?: readonly [number, number];
  /** y range of the grid's rows, row 0 at the bottom (required for a function; default 0 .. rows-1). */
  y?: readonly [number, number];
  /** Grid points a side when sampling a function (default 50). */
  resolution?: number;
  /** Number of contour levels, evenly spaced between the smallest and largest value (default 10), or the levels themselves. */
  levels?: number | readonly number[];
  /** Paths drawn on top, e.g. an optimizer's trajectory: { sgd: { x: [...], y: [...] } }. */
  paths?: Record<string, { x: Values; y: Values }>;
  /** Points drawn on top, coloured by label: e.g. a classifier's training data over its decision surface. */
  points?: { x: Values; y: Values; labels?: Values | readonly (string | number)[] };
}

/**
 * Level lines of a surface, over its heatmap: a matrix z[row][col], or a
 * function f(x, y) sampled on a grid.
 *   plot.contour((x, y) => x * x + 10 * y * y, { x: [-2, 2], y: [-1, 1], paths: { sgd: path } })
 *   plot.contour(probabilityAt, { x: [-2, 3], y: [-1, 2], levels: 1, points: { x: X.select(1, 0), y: X.select(1, 1), labels: y } })
 * The spec's numbers are rounded to a fraction of the grid spacing (and of
 * the value range), which keeps it a fraction of the size and changes nothing
 * that can be seen.
 */
export function contour(z: Matrix | ((x: number, y: number) => number), opts: ContourOptions = {}): Plot {
  let m: { v: Float64Array; rows: number; cols: number };
  if (typeof z === "function") {
    if (!opts.x || !opts.y) throw new Error("contour: a function needs the ranges { x: [min, max], y: [min, max] }");
    const n = opts.resolution ?? 50;
    m = { v: new Float64Array(n * n), rows: n, cols: n };
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) m.v[r * n + c] = z(lerp(opts.x, c / (n - 1)), lerp(opts.y, r / (n - 1)));
  } else m = matrix(z, "contour");
  const xr = opts.x ?? [0, m.cols - 1], yr = opts.y ?? [0, m.rows - 1];
  const xs = Array.from({ length: m.cols }, (_, c) => lerp(xr, m.cols > 1 ? c / (m.cols - 1) : 0));
  const ys = Array.from({ length: m.rows }, (_, r) => lerp(yr, m.rows > 1 ? r / (m.rows - 1) : 0));
  const range = finiteRange(m.v);
  const given = typeof opts.levels === "object" ? [...opts.levels] : undefined;
  const count = given ? given.length : (opts.levels as number | undefined) ?? 10;
  const levels: number[] = given ?? Array.from({ length: count }, (_, i) => range.min + ((i + 1) * (range.max - range.min)) / (count + 1));
  const nLevels = levels.length;
  const paths = Object.entries(opts.paths ?? {}).map(([name, p]) => ({ name, x: nums(p.x), y: nums(p.y) }));
  const points = opts.points && { x: nums(opts.points.x), y: nums(opts.points.y), labels: labelsOf(opts.points.labels) };
  if (points && points.x.length !== points.y.length) throw new Error(`contour: points have ${points.x.length} x values and ${points.y.length} y values`);
  if (points?.labels && points.labels.length !== points.x.length) throw new Error(`contour: ${points.labels.length} labels for ${points.x.length} points`);
  const groups = points?.labels ? [...new Set(points.labels)].sort(naturalCompare) : [];
  const text = titled(opts, "contour plot", ` ${m.rows}x${m.cols} over x in [${g(xr[0])}, ${g(xr[1])}], y in [${g(yr[0])}, ${g(yr[1])}], values in [${g(range.min)}, ${g(range.max)}]` +
    paths.map((p) => `\n  ${p.name}: ${p.x.length} points, ends at (${g(p.x[p.x.length - 1])}, ${g(p.y[p.y.length - 1])})`).join("") +
    (points ? `\n  ${points.x.length} points${groups.length ? `, ${groups.length} labels (${groups.slice(0, 10).join(", ")}${groups.length > 10 ? ", …" : ""})` : ""}` : ""));
  const diverging = pickColorMap(range.min, range.max) === "rdbu";
  if (engineOf(opts) === "plotly") {
    const data: JsonObject[] = [{
      type: "contour", x: xs, y: ys, ncontours: nLevels, colorscale: diverging ? "RdBu" : "Viridis",
      // plotly draws evenly spaced levels only: given levels become their range in even steps
      ...(given && nLevels > 0
        ? { autocontour: false, contours: { start: Math.min(...levels), end: Math.max(...levels), size: nLevels > 1 ? (Math.max(...levels) - Math.min(...levels)) / (nLevels - 1) : 1 } }
        : {}),
      z: Array.from({ length: m.rows }, (_, r) => Array.from(m.v.subarray(r * m.cols, (r + 1) * m.cols), num)),
    }];
    for (const p of paths) data.push({ type: "scatter", mode: "lines+markers", name: p.name, x: Array.from(p.x, num), y: Array.from(p.y, num), marker: { size: 4 } });
    if (points) {
      const all = Array.from({ length: points.x.length }, (_, i) => i);
      for (const [name, idx] of points.labels ? groups.map((gn) => [gn, all.filter((i) => points.labels![i] === gn)] as const) : [["points", all] as const]) {
        data.push({ type: "scatter", mode: "markers", name, x: idx.map((i) => num(points.x[i])), y: idx.map((i) => num(points.y[i])), marker: { size: 6, line: { width: 0.5, color: "#222" } } });
      }
    }
    return plotlyPlot("contour", data, plotlyLayout(opts, { showlegend: paths.length > 0 || !!points?.labels }), text, opts);
  }
  // Cells centred on the grid points, then the level lines as segments from marching squares.
  const dx = m.cols > 1 ? (xs[1] - xs[0]) / 2 : 0.5, dy = m.rows > 1 ? (ys[1] - ys[0]) / 2 : 0.5;
  // A thousandth of a cell (or of the value range) is far below a pixel: full float64 digits would triple the spec.
  const rx = rounder(dx / 500), ry = rounder(dy / 500), rv = rounder((range.max - range.min) / 5000);
  // The grid goes in as its values alone, row by row; Vega computes each cell's corners from its
  // position, which keeps the spec a tenth of the size of one object with four corners per cell.
  // Each cell overlaps its neighbours a little: abutting rects leave hairline seams once antialiased.
  const cells = Array.from(m.v, (v) => (Number.isFinite(v) ? rv(v) : null));
  const cellTransform: Json[] = [
    { window: [{ op: "row_number", as: "k" }] },
    { calculate: `(datum.k - 1) % ${m.cols}`, as: "c" },
    { calculate: `floor((datum.k - 1) / ${m.cols})`, as: "r" },
    { calculate: `${rx(xs[0] - dx)} + datum.c * ${rx(2 * dx)}`, as: "x" },
    { calculate: `datum.x + ${rx(2.6 * dx)}`, as: "x2" },
    { calculate: `${ry(ys[0] - dy)} + datum.r * ${ry(2 * dy)}`, as: "y" },
    { calculate: `datum.y + ${ry(2.6 * dy)}`, as: "y2" },
  ];
  const segments: Json[] = [];
  for (const level of levels) for (const s of marchingSquares(m.v, m.rows, m.cols, level)) {
    segments.push({ x: rx(lerpIdx(xs, s[0])), y: ry(lerpIdx(ys, s[1])), x2: rx(lerpIdx(xs, s[2])), y2: ry(lerpIdx(ys, s[3])) });
  }
  const q = (field: string, title?: string | null, domain?: readonly [number, number]): JsonObject => {
    const enc: JsonObject = { field, type: "quantitative" };
    if (title !== undefined) enc.title = title;
    if (domain) enc.scale = { domain: [domain[0] - (field === "x" ? dx : dy), domain[1] + (field === "x" ? dx : dy)], nice: false, zero: false };
    enc.axis = { grid: false };
    return enc;
  };
  const layer: Json[] = [
    {
      data: { values: cells }, transform: cellTransform, mark: { type: "rect", clip: true },
      encoding: {
        x: q("x", axisTitle(opts.xLabel), xr), x2: { field: "x2" }, y: q("y", axisTitle(opts.yLabel), yr), y2: { field: "y2" },
        // a list of plain numbers is read as objects { data: value }
        color: { field: "data", type: "quantitative", title: null, scale: diverging ? { scheme: "redblue", domainMid: 0, reverse: true } : { scheme: "viridis" } },
      },
    },
    {
      data: { values: segments }, mark: { type: "rule", color: "#222", strokeWidth: 0.8, opacity: 0.6 },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, x2: { field: "x2" }, y2: { field: "y2" } },
    },
  ];
  if (paths.length) {
    const pv: Json[] = [];
    const px = (v: number) => (Number.isFinite(v) ? rx(v) : null), py = (v: number) => (Number.isFinite(v) ? ry(v) : null);
    for (const p of paths) for (let i = 0; i < p.x.length; i++) pv.push({ x: px(p.x[i]), y: py(p.y[i]), i, path: p.name });
    layer.push({
      data: { values: pv }, mark: { type: "line", point: { filled: true, size: 16 }, strokeWidth: 1.5, clip: true },
      encoding: {
        x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, order: { field: "i", type: "quantitative" },
        // bright colours that stand out on viridis and on white (the legend's background)
        color: { field: "path", type: "nominal", title: null, scale: { range: ["#ff4136", "#7fdbff", "#ff851b", "#f012be", "#01ff70"] } },
      },
    });
  }
  if (points) {
    const pv: Json[] = Array.from({ length: points.x.length }, (_, i): Json =>
      points.labels ? { x: num(points.x[i]), y: num(points.y[i]), label: points.labels[i] } : { x: num(points.x[i]), y: num(points.y[i]) });
    const encoding: JsonObject = { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } };
    if (points.labels) {
      // labels by shape, in white with a dark outline: they show on every colour of the surface
      encoding.shape = { field: "label", type: "nominal", title: null, sort: groups };
    }
    layer.push({
      data: { values: pv },
      mark: { type: "point", filled: true, size: 45, fill: "#fff", stroke: "#222", strokeWidth: 0.9, opacity: 0.95, clip: true },
      encoding,
    });
  }
  const spec = vlBase(opts, { layer, resolve: { scale: { color: "independent" } } });
  return vlPlot("contour", spec, text, opts);
}

/** Rounds to the decimal digit of `step` (at least whole numbers), so JSON holds few digits. */
function rounder(step: number): (x: number) => number {
  const digits = step > 0 && Number.isFinite(step) ? Math.min(15, Math.max(0, Math.ceil(-Math.log10(step)))) : 15;
  return (x) => Number(x.toFixed(digits));
}

function labelsOf(labels: Values | readonly (string | number)[] | undefined): string[] | undefined {
  if (labels === undefined) return undefined;
  return Array.from(isTensor(labels) ? labels.values() : (labels as ArrayLike<string | number>), String);
}

function lerp(r: readonly [number, number], t: number): number {
  return r[0] + (r[1] - r[0]) * t;
}

/** Position along a grid axis at fractional index f. */
function lerpIdx(axis: readonly number[], f: number): number {
  const i = Math.min(axis.length - 2, Math.max(0, Math.floor(f)));
  return axis.length < 2 ? axis[0] : axis[i] + (axis[i + 1] - axis[i]) * (f - i);
}

/**
 * The segments where a grid crosses `level`, in fractional (col, row)
 * coordinates: [c0, r0, c1, r1]. Each square's corners above the level pick
 * one of 16 cases; crossings are placed by linear interpolation on the edges.
 */
export function marchingSquares(v: ArrayLike<number>, rows: number, cols: number, level: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const a = v[r * cols + c], b = v[r * cols + c + 1], cc = v[(r + 1) * cols + c + 1], d = v[(r + 1) * cols + c];
      if (![a, b, cc, d].every(Number.isFinite)) continue;
      const idx = (a > level ? 1 : 0) | (b > level ? 2 : 0) | (cc > level ? 4 : 0) | (d > level ? 8 : 0);
      if (idx === 0 || idx === 15) continue;
      const t = (p: number, q: number): number => (q === p ? 0.5 : (level - p) / (q - p));
      // Edge crossing points: bottom (a-b), right (b-c), top (d-c), left (a-d), with row r at "bottom".
      const B: [number, number] = [c + t(a, b), r], R: [number, number] = [c + 1, r + t(b, cc)];
      const T: [number, number] = [c + t(d, cc), r + 1], L: [number, number] = [c, r + t(a, d)];
      const seg = (p: [number, number], q: [number, number]) => out.push([p[0], p[1], q[0], q[1]]);
      switch (idx) {
        case 1: case 14: seg(L, B); break;
        case 2: case 13: seg(B, R); break;
        case 3: case 12: seg(L, R); break;
        case 4: case 11: seg(R, T); break;
        case 6: case 9: seg(B, T); break;
        case 7: case 8: seg(L, T); break;
        case 5: case 10: {
          // Saddle: the centre's value decides which corners connect.
          const centre = (a + b + cc + d) / 4 > level;
          if ((idx === 5) === centre) { seg(L, T); seg(B, R); } else { seg(L, B); seg(R, T); }
          break;
        }
      }
    }
  }
  return out;
}

// --- histogram ------------------------------------------------------------------------------------------------

export interface HistogramOptions extends PlotOptions {
  /** Number of equal-width bins (default: about √n, 5 to 50). */
  bins?: number;
}

/** Counts of values in equal bins; several named series share the bins and overlap. */
export function histogram(data: Values | Record<string, Values>, opts: HistogramOptions = {}): Plot {
  const series = seriesOf(data);
  const all: number[] = [];
  for (const s of series) for (let i = 0; i < s.y.length; i++) if (Number.isFinite(s.y[i])) all.push(s.y[i]);
  const { min, max } = finiteRange(all);
  const nBins = Math.max(1, Math.round(opts.bins ?? Math.min(50, Math.max(5, Math.ceil(Math.sqrt(all.length / series.length))))));
  const width = max > min ? (max - min) / nBins : 1;
  const lo = max > min ? min : min - 0.5;
  const counts = series.map((s) => {
    const h = new Array<number>(nBins).fill(0);
    for (let i = 0; i < s.y.length; i++) {
      const x = s.y[i];
      if (Number.isFinite(x)) h[Math.min(nBins - 1, Math.floor((x - lo) / width))]++;
    }
    return h;
  });
  const text = titled(opts, "histogram", `: ${nBins} bins over [${g(lo)}, ${g(lo + nBins * width)}]` + series.map((s, k) => {
    let sum = 0, sq = 0, n = 0;
    for (let i = 0; i < s.y.length; i++) if (Number.isFinite(s.y[i])) { sum += s.y[i]; sq += s.y[i] * s.y[i]; n++; }
    const mean = n ? sum / n : NaN;
    return `\n  ${s.name}: n=${n}, mean ${g(mean)}, std ${g(Math.sqrt(Math.max(0, sq / n - mean * mean)))}  ${sparkline(counts[k])}`;
  }).join(""));
  const edges = Array.from({ length: nBins }, (_, b) => lo + b * width);
  if (engineOf(opts) === "plotly") {
    const data = series.map((s, k) => ({
      type: "bar", name: s.name, x: edges.map((e) => e + width / 2), y: counts[k], width: Array(nBins).fill(width), opacity: series.length > 1 ? 0.6 : 1,
    }));
    return plotlyPlot("histogram", data, plotlyLayout({ ...opts, yLabel: opts.yLabel ?? "count" }, { barmode: "overlay", bargap: 0.02, showlegend: series.length > 1 }), text, opts);
  }
  const values: Json[] = [];
  series.forEach((s, k) => edges.forEach((e, b) => values.push({ lo: e, hi: e + width, count: counts[k][b], series: s.name })));
  const encoding: JsonObject = {
    x: { field: "lo", type: "quantitative", title: axisTitle(opts.xLabel), scale: { zero: false, nice: false, domain: [lo, lo + nBins * width] } },
    x2: { field: "hi" },
    y: { field: "count", type: "quantitative", title: opts.yLabel ?? "count", stack: null },
  };
  if (series.length > 1) encoding.color = { field: "series", type: "nominal", title: null, sort: series.map((s) => s.name) };
  const spec = vlBase(opts, { data: { values }, mark: { type: "bar", opacity: series.length > 1 ? 0.55 : 1, binSpacing: 0 }, encoding });
  return vlPlot("histogram", spec, text, opts);
}

// --- bar ----------------------------------------------------------------------------------------------------------

/** Bars by label: `plot.bar({ sgd: 0.91, adam: 0.97 })` or `plot.bar(["a", "b"], [1, 2])`. */
export function bar(data: Record<string, number>, opts?: PlotOptions): Plot;
export function bar(labels: readonly (string | number)[], values: Values, opts?: PlotOptions): Plot;
export function bar(a: Record<string, number> | readonly (string | number)[], b?: Values | PlotOptions, c?: PlotOptions): Plot {
  let labels: string[], vals: number[], opts: PlotOptions;
  if (Array.isArray(a)) {
    labels = (a as readonly (string | number)[]).map(String);
    vals = Array.from(nums(b as Values));
    opts = c ?? {};
  } else {
    labels = Object.keys(a);
    vals = Object.values(a as Record<string, number>);
    opts = (b as PlotOptions | undefined) ?? {};
  }
  if (labels.length !== vals.length) throw new Error(`bar: ${labels.length} labels for ${vals.length} values`);
  const { max } = finiteRange(vals.map(Math.abs));
  const lw = Math.max(0, ...labels.map((l) => l.length));
  const text = titled(opts, "bar chart", ":\n" + labels.map((l, i) => `  ${l.padEnd(lw)} ${"█".repeat(max > 0 ? Math.round((Math.abs(vals[i]) / max) * 30) : 0)} ${g(vals[i])}`).join("\n"));
  if (engineOf(opts) === "plotly") {
    return plotlyPlot("bar", [{ type: "bar", x: labels, y: vals.map(num) }], plotlyLayout(opts, { xaxis: { type: "category", title: { text: opts.xLabel ?? "" } } }), text, opts);
  }
  const values: Json[] = labels.map((l, i) => ({ label: l, value: num(vals[i]) }));
  const spec = vlBase(opts, {
    data: { values }, mark: "bar",
    encoding: {
      x: { field: "label", type: "nominal", sort: labels, title: axisTitle(opts.xLabel), axis: { labelAngle: labels.some((l) => l.length > 6) ? -40 : 0 } },
      y: { field: "value", type: "quantitative", title: axisTitle(opts.yLabel) },
    },
  });
  return vlPlot("bar", spec, text, opts);
}

// --- images ------------------------------------------------------------------------------------------------------------

export interface ImagesOptions {
  /** A caption under each image (class names, predictions). */
  labels?: readonly (string | number)[] | Tensor;
  /** Images per row (default 8). */
  cols?: number;
  /** Draw each image at least this many pixels tall. */
  minSide?: number;
  /** At most this many images are drawn (default 64). */
  max?: number;
  title?: string;
}

/** A grid of images from a tensor [N, H, W], [N, 1, H, W] or [N, 3, H, W]: a PNG, and HTML with captions. */
export class ImageGrid implements Displayable {
  /** All images in one PNG (what static frontends show). */
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly count: number;
  private readonly labels?: string[];
  private readonly pngs: { png: Uint8Array; width: number; height: number }[] = [];

  constructor(images: Tensor, readonly opts: ImagesOptions = {}) {
    let shape = images.shape;
    if (shape.length === 3) shape = [shape[0], 1, shape[1], shape[2]];
    if (shape.length === 2) shape = [1, 1, shape[0], shape[1]];
    if (shape.length !== 4 || (shape[1] !== 1 && shape[1] !== 3)) {
      throw new Error(`images: expected [N, H, W] or [N, 1|3, H, W], got [${images.shape.join(", ")}]`);
    }
    const n = Math.min(shape[0], opts.max ?? 64);
    const per = shape[1] * shape[2] * shape[3];
    const v = images.values().subarray(0, n * per);
    const one = [1, shape[1], shape[2], shape[3]];
    const range = imageRange(v);
    const grid = imageGridPng(v, [n, shape[1], shape[2], shape[3]], { cols: opts.cols, minSide: opts.minSide, range });
    this.png = grid.png;
    this.width = grid.width;
    this.height = grid.height;
    this.count = n;
    if (opts.labels) {
      this.labels = Array.from(isTensor(opts.labels) ? opts.labels.values() : opts.labels, String).slice(0, n);
      // With captions the grid is HTML, one small PNG per image, all scaled alike.
      for (let k = 0; k < n; k++) this.pngs.push(imageGridPng(v.subarray(k * per, (k + 1) * per), one, { minSide: opts.minSide, range }));
    }
  }

  [DISPLAY](): MimeBundle {
    return { "text/plain": this.toString(), "text/html": this.html(), "image/png": toBase64(this.png) };
  }

  html(): string {
    const title = this.opts.title ? `<div style="font:600 13px sans-serif;margin-bottom:4px">${escapeHtml(this.opts.title)}</div>` : "";
    if (!this.labels) return `<div class="gradlab-images">${title}${pngImgTag(this.png, { width: this.width, height: this.height, alt: "images", pixelated: true })}</div>`;
    const cols = Math.max(1, Math.min(this.count, this.opts.cols ?? 8));
    const figs = this.labels.map((label, k) => {
      const p = this.pngs[k];
      return `<figure style="margin:0;text-align:center">${pngImgTag(p.png, { width: p.width, height: p.height, alt: label, pixelated: true })}` +
        `<figcaption style="font:11px sans-serif;color:#333">${escapeHtml(label)}</figcaption></figure>`;
    });
    return `<div class="gradlab-images">${title}<div style="display:grid;grid-template-columns:repeat(${cols},max-content);gap:4px">${figs.join("")}</div></div>`;
  }

  toString(): string {
    return `${this.opts.title ? this.opts.title + " — " : ""}${this.count} images` + (this.labels ? `: ${this.labels.slice(0, 20).join(", ")}${this.labels.length > 20 ? ", …" : ""}` : "");
  }
}

export function images(t: Tensor, opts: ImagesOptions = {}): ImageGrid {
  return new ImageGrid(t, opts);
}
