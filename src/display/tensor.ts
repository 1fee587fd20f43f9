import type { Tensor } from "../tensor/tensor";
import type { TypedArray } from "../tensor/dtype";
import { formatTensor, numberFormatter } from "../tensor/print";
import { Cell, MimeBundle, escapeHtml, htmlTable, pngImgTag } from "./bundle";
import { finiteRange, heatmapPng, imageGridPng } from "./image";

/** Above this many entries along a dim, tables show the first and last few. */
const TABLE_LIMIT = 16;
const TABLE_EDGE = 6;
/** Slices shown for tensors of 3 or more dims (that are not image batches). */
const MAX_SLICES = 4;
const MAX_IMAGES = 32;

/**
 * A tensor in a notebook: `text/plain` is its printed form; `text/html` has a
 * header (shape, dtype, requiresGrad, gradFn, grad), a table cut to its edges,
 * a heatmap beside a matrix, an image grid for [N, 1|3, H, W], and the grad
 * folded underneath.
 */
export function tensorBundle(t: Tensor): MimeBundle {
  return { "text/plain": formatTensor(t), "text/html": tensorHtml(t) };
}

export function tensorHtml(t: Tensor): string {
  const v = t.values();
  const shape = t.shape;
  const head: string[] = [`<b>Tensor</b> [${shape.join(", ")}]`, t.dtype];
  if (t.gradFn) head.push(`gradFn=${escapeHtml(t.gradFn.op.name)}`);
  else if (t.requiresGrad) head.push("requiresGrad");
  if (t.requiresGrad || t.grad) head.push(t.grad ? `grad [${t.grad.shape.join(", ")}]` : "grad: none");
  if (t.backend.name !== "js") head.push(escapeHtml(t.backend.name));
  const parts = [
    `<div class="gradlab-tensor" style="font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace">`,
    `<div style="color:#444;margin-bottom:3px">${head.join(" <span style=\"color:#aaa\">·</span> ")}</div>`,
    body(t, v, shape),
  ];
  const stats = statsLine(t.dtype, v);
  if (stats) parts.push(`<div style="color:#777;margin-top:2px">${stats}</div>`);
  if (t.grad) {
    const g = t.grad;
    parts.push(
      `<details style="margin-top:4px"><summary style="cursor:pointer;color:#444">grad [${g.shape.join(", ")}]</summary>`,
      body(g, g.values(), g.shape),
      "</details>",
    );
  }
  parts.push("</div>");
  return parts.join("");
}

function body(t: Tensor, v: TypedArray, shape: readonly number[]): string {
  if (v.length === 0) return `<div style="color:#777">(empty)</div>`;
  const fmt = formatterFor(t.dtype, v);
  if (shape.length === 0) return `<div style="font-size:14px">${escapeHtml(fmt(v[0]).trim())}</div>`;
  if (shape.length === 1) return htmlTable([pick(shape[0]).map((i) => cell(v, i, fmt))], { header: pick(shape[0]).map(idxCell), className: "gradlab-table" });
  if (shape.length === 4 && (shape[1] === 1 || shape[1] === 3) && t.dtype !== "bool") return imageGrid(v, shape);
  if (shape.length === 2) {
    const table = matrixTable(v, 0, shape[0], shape[1], fmt);
    if (shape[0] * shape[1] < 4) return table;
    const hm = heatmapPng(v, shape[0], shape[1]);
    const img = pngImgTag(hm.png, { width: hm.width, height: hm.height, alt: "heatmap", pixelated: true });
    const legend = `<div style="color:#777">${hm.map}: ${escapeHtml(fmt(hm.range.min).trim())} … ${escapeHtml(fmt(hm.range.max).trim())}</div>`;
    return (
      `<div style="display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap">${table}` +
      `<div class="gradlab-heatmap">${img}${legend}</div></div>`
    );
  }
  // 3 or more dims: the first few [..., :, :] slices, each a matrix.
  const rows = shape[shape.length - 2], cols = shape[shape.length - 1];
  const lead = shape.slice(0, -2);
  const nSlices = lead.reduce((a, b) => a * b, 1);
  const out: string[] = [];
  for (let s = 0; s < Math.min(nSlices, MAX_SLICES); s++) {
    const idx: number[] = [];
    for (let k = lead.length - 1, r = s; k >= 0; k--) {
      idx.unshift(r % lead[k]);
      r = Math.floor(r / lead[k]);
    }
    out.push(`<div style="color:#555;margin-top:4px">[${idx.join(", ")}, :, :]</div>`, matrixTable(v, s * rows * cols, rows, cols, fmt));
  }
  if (nSlices > MAX_SLICES) out.push(`<div style="color:#777">… ${nSlices - MAX_SLICES} more slices</div>`);
  return out.join("");
}

function formatterFor(dtype: string, v: TypedArray): (x: number) => string {
  // Format from a sample of the values, as print does for large tensors: same digits, less work.
  const step = Math.max(1, Math.floor(v.length / 2000));
  const sample: number[] = [];
  for (let i = 0; i < v.length; i += step) sample.push(v[i]);
  return numberFormatter(dtype, sample);
}

/** The indices shown along a dim of size n: all, or the edges with -1 marking the gap. */
function pick(n: number): number[] {
  if (n <= TABLE_LIMIT) return [...Array(n).keys()];
  return [...Array(TABLE_EDGE).keys(), -1, ...Array.from({ length: TABLE_EDGE }, (_, i) => n - TABLE_EDGE + i)];
}

function idxCell(i: number): Cell {
  return i < 0 ? "…" : { html: `<span style="color:#999">${i}</span>`, align: "right" };
}

function cell(v: TypedArray, i: number, fmt: (x: number) => string): Cell {
  return i < 0 ? "…" : fmt(v[i]).trim();
}

function matrixTable(v: TypedArray, off: number, rows: number, cols: number, fmt: (x: number) => string): string {
  const rs = pick(rows), cs = pick(cols);
  const body = rs.map((r) => cs.map((c) => (r < 0 ? (c < 0 ? "⋱" : "⋮") : cell(v, c < 0 ? -1 : off + r * cols + c, fmt))));
  return htmlTable(body, { header: cs.map(idxCell), rowHeader: rs.map(idxCell), className: "gradlab-table" });
}

function imageGrid(v: TypedArray, shape: readonly number[]): string {
  const n = shape[0];
  const shown = Math.min(n, MAX_IMAGES);
  const per = shape[1] * shape[2] * shape[3];
  const grid = imageGridPng(v.subarray(0, shown * per), [shown, shape[1], shape[2], shape[3]]);
  const more = n > shown ? `<div style="color:#777">… ${n - shown} more images</div>` : "";
  return `<div class="gradlab-images">${pngImgTag(grid.png, { width: grid.width, height: grid.height, alt: "images", pixelated: true })}</div>${more}`;
}

function statsLine(dtype: string, v: TypedArray): string {
  if (dtype === "bool" || v.length < 2) return "";
  const { min, max } = finiteRange(v);
  let sum = 0, n = 0, nan = 0, inf = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else {
      sum += x;
      n++;
    }
  }
  const g = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
  let s = `min ${g(min)} · max ${g(max)} · mean ${n ? g(sum / n) : "nan"}`;
  if (nan) s += ` · <b style="color:#c00">${nan} NaN</b>`;
  if (inf) s += ` · <b style="color:#c00">${inf} Inf</b>`;
  return s;
}
