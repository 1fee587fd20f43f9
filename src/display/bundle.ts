import { inspect } from "node:util";

/**
 * The display protocol shared by gradlab and any kernel that speaks it: an
 * object with a `[Symbol.for("Jupyter.display")]()` method returns a MIME
 * bundle (Deno's Jupyter kernel convention). gradlab's kernel (kernel-ext/)
 * and Deno both call it on a cell's last value and send the whole bundle as
 * one output. `Symbol.for` makes the key the same across copies of gradlab.
 */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/**
 * MIME type -> data. Text types are strings; images are base64 strings;
 * `application/*+json` types are plain JSON objects. `text/plain` is always
 * there, so every frontend (and a terminal) shows something.
 */
export interface MimeBundle {
  "text/plain": string;
  [mime: string]: unknown;
}

/** Anything that can show itself richly in a notebook. A Promise is awaited by the kernel. */
export interface Displayable {
  [DISPLAY](): MimeBundle | Promise<MimeBundle>;
}

export function isDisplayable(v: unknown): v is Displayable {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as Displayable)[DISPLAY] === "function";
}

/** What a value looks like in a terminal: its own toString-like inspect, else Node's inspect. */
export function plainText(v: unknown): string {
  return typeof v === "string" ? v : inspect(v, { depth: 4, maxArrayLength: 100, breakLength: 100 });
}

/** The bundle for any value: its own when it is displayable, else `text/plain` from inspect. */
export function bundleOf(v: unknown): MimeBundle | Promise<MimeBundle> {
  if (isDisplayable(v)) return v[DISPLAY]();
  return { "text/plain": inspect(v, { depth: 4, maxArrayLength: 100, breakLength: 100 }) };
}

/**
 * Makes a displayable from a bundle-building function: the generic way for a
 * module (a model summary, a training history, a confusion matrix) to show
 * itself without knowing about kernels.
 *
 *   class History { [DISPLAY]() { return historyBundle(this); } }
 *   // or, for a one-off value:
 *   displayable(() => ({ "text/plain": "...", "text/html": htmlTable(...) }))
 */
export function displayable(build: () => MimeBundle | Promise<MimeBundle>, text?: () => string): Displayable & { toString(): string } {
  return {
    [DISPLAY]: build,
    toString: text ?? (() => {
      const b = build();
      return b instanceof Promise ? "[displayable]" : b["text/plain"];
    }),
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** A cell of an HTML table: text (escaped) or trusted HTML. */
export type Cell = string | number | { html: string; align?: "left" | "right" | "center"; title?: string };

export interface TableOptions {
  header?: readonly Cell[];
  /** Header cells down the left side, one per row. */
  rowHeader?: readonly Cell[];
  caption?: string;
  /** A class on the <table>, for tests and custom CSS. */
  className?: string;
}

// Inline styles, because JupyterLab, the classic notebook, nbconvert and
// GitHub each treat <style> elements differently; style attributes survive all.
const TABLE_STYLE = "border-collapse:collapse;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:2px 0";
const TD_STYLE = "padding:1px 8px;border-bottom:1px solid #eee;white-space:nowrap";
const TH_STYLE = "padding:1px 8px;border-bottom:1px solid #ccc;color:#555;font-weight:600;background:#fafafa;white-space:nowrap";

function cellHtml(c: Cell, tag: "td" | "th"): string {
  const base = tag === "th" ? TH_STYLE : TD_STYLE;
  if (typeof c === "number") return `<${tag} style="${base};text-align:right">${escapeHtml(String(c))}</${tag}>`;
  if (typeof c === "string") {
    const numeric = /^[\s+-]?(\d|\.\d|inf|nan)/.test(c) || c === "…" || c === "⋮";
    return `<${tag} style="${base};text-align:${numeric ? "right" : "left"}">${escapeHtml(c)}</${tag}>`;
  }
  const title = c.title ? ` title="${escapeHtml(c.title)}"` : "";
  return `<${tag} style="${base};text-align:${c.align ?? "left"}"${title}>${c.html}</${tag}>`;
}

/**
 * An HTML table styled the same everywhere in gradlab (tensor tables, model
 * summaries, metric tables). Values are escaped; pass `{ html }` for markup.
 */
export function htmlTable(rows: readonly (readonly Cell[])[], opts: TableOptions = {}): string {
  const cls = opts.className ? ` class="${escapeHtml(opts.className)}"` : "";
  const parts = [`<table${cls} style="${TABLE_STYLE}">`];
  if (opts.caption) parts.push(`<caption style="text-align:left;color:#555;font:12px sans-serif;padding-bottom:2px">${escapeHtml(opts.caption)}</caption>`);
  if (opts.header) {
    const corner = opts.rowHeader ? cellHtml("", "th") : "";
    parts.push(`<thead><tr>${corner}${opts.header.map((h) => cellHtml(h, "th")).join("")}</tr></thead>`);
  }
  parts.push("<tbody>");
  rows.forEach((row, i) => {
    const rh = opts.rowHeader ? cellHtml(opts.rowHeader[i] ?? "", "th") : "";
    parts.push(`<tr>${rh}${row.map((c) => cellHtml(c, "td")).join("")}</tr>`);
  });
  parts.push("</tbody></table>");
  return parts.join("");
}

/** An <img> of PNG bytes, inline, so it survives nbconvert and needs no server. */
export function pngImgTag(png: Uint8Array, opts: { width?: number; height?: number; alt?: string; pixelated?: boolean } = {}): string {
  const size = (opts.width ? ` width="${opts.width}"` : "") + (opts.height ? ` height="${opts.height}"` : "");
  const style = opts.pixelated ? ` style="image-rendering:pixelated"` : "";
  return `<img src="data:image/png;base64,${toBase64(png)}"${size}${style} alt="${escapeHtml(opts.alt ?? "")}">`;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
