import { MimeBundle, escapeHtml, toBase64 } from "./bundle";
import { svgToPng } from "./vega";

/**
 * Boxes and arrows drawn in layers (the Sugiyama method, as dagre and
 * Graphviz's dot do it, kept small): break cycles, give each box a rank,
 * route long arrows through invisible points in the ranks they cross, order
 * each rank to reduce crossings (barycentres), then place boxes near the
 * boxes they connect to. Shared by drawGraph (computation graphs) and
 * diagram (concept maps), so both look alike and render everywhere.
 *
 * Text is monospace, so a label's width is known without measuring fonts
 * (East Asian wide characters count twice).
 */

export type Direction = "TB" | "LR";

/** How a box looks: the colours, a dashed border, a bold first line. */
export interface BoxStyle {
  fill: string;
  stroke: string;
  dashed?: boolean;
  boldFirst?: boolean;
}

export const BOX_STYLES = {
  box: { fill: "#f4f4f4", stroke: "#7a7a7a" },
  input: { fill: "#dbe9ff", stroke: "#3b78e7" },
  op: { fill: "#fff7e0", stroke: "#c9a227", boldFirst: true },
  output: { fill: "#d9f2d9", stroke: "#2e8b3d", boldFirst: true },
  const: { fill: "#eeeeee", stroke: "#999999", dashed: true },
  highlight: { fill: "#ffe3e3", stroke: "#d9534f", boldFirst: true },
} satisfies Record<string, BoxStyle>;
export type BoxStyleName = keyof typeof BOX_STYLES;

export interface LayerBox {
  lines: readonly string[];
  style: BoxStyle;
}

export interface LayerLink {
  from: number;
  to: number;
  label?: string;
  dashed?: boolean;
  color?: string;
}

export interface LayeredOptions {
  direction?: Direction;
  /**
   * "sources" (the default): a box sits one rank after the furthest box that
   * points to it, so everything without inputs starts at the top. "sinks":
   * one rank before the nearest box it points to, so an input sits next to
   * its first use (what a computation graph wants).
   */
  rankBy?: "sources" | "sinks";
  /** A line above the drawing. */
  title?: string;
  titleColor?: string;
}

/** Where everything went: for tests and for callers that draw more on top. */
export interface LayeredLayout {
  svg: string;
  width: number;
  height: number;
  /** Per box: its top-left corner, size and rank. */
  boxes: { x: number; y: number; w: number; h: number; rank: number }[];
  /** Per link (after removing duplicates): whether it points against the ranks (it closes a cycle). */
  links: { from: number; to: number; reversed: boolean }[];
  /** Crossings between links, counted between neighbouring ranks. */
  crossings: number;
}

const CHAR_W = 7.2, LINE_H = 15, PAD_X = 10, PAD_Y = 6, MARGIN = 10;
const FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** The drawn width of a line of monospace text at 12px. */
export function textWidth(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6);
    n += wide ? 2 : 1;
  }
  return n * CHAR_W;
}

interface Item {
  /** Index into the boxes, or -1 for a point a long link passes through. */
  box: number;
  rank: number;
  breadth: number;
  thickness: number;
  /** Centre along the breadth axis. */
  pos: number;
  preds: Item[];
  succs: Item[];
}

export function layeredLayout(boxes: readonly LayerBox[], links: readonly LayerLink[], opts: LayeredOptions = {}): LayeredLayout {
  const dir = opts.direction ?? "TB";
  const n = boxes.length;
  for (const l of links) {
    if (!(l.from >= 0 && l.from < n && l.to >= 0 && l.to < n)) throw new Error(`layeredLayout: link ${l.from} -> ${l.to} names a box that does not exist (${n} boxes)`);
    if (l.from === l.to) throw new Error(`layeredLayout: a link from box ${l.from} to itself cannot be drawn`);
  }
  // The same arrow twice says nothing more: draw it once.
  const seen = new Set<string>();
  const uniq = links.filter((l) => {
    const k = `${l.from}>${l.to}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  // 1. Cycles: links are taken in the order given, and one that would close a
  // cycle with those before it is laid out reversed. So the main flow, listed
  // first, points down the ranks, and feedback listed after it points back
  // (a depth-first search would instead reverse whichever link it met last).
  const accepted: number[][] = Array.from({ length: n }, () => []);
  const reaches = (from: number, to: number): boolean => {
    const seenBox = new Uint8Array(n);
    const stack = [from];
    seenBox[from] = 1;
    while (stack.length) {
      const u = stack.pop() as number;
      if (u === to) return true;
      for (const v of accepted[u]) if (!seenBox[v]) { seenBox[v] = 1; stack.push(v); }
    }
    return false;
  };
  const reversed = uniq.map((l) => {
    const back = reaches(l.to, l.from);
    if (back) accepted[l.to].push(l.from);
    else accepted[l.from].push(l.to);
    return back;
  });
  const dag = uniq.map((l, i) => (reversed[i] ? { u: l.to, v: l.from } : { u: l.from, v: l.to }));

  // 2. Ranks, by longest paths (the DAG's topological order first).
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pred: number[][] = Array.from({ length: n }, () => []);
  for (const { u, v } of dag) {
    succ[u].push(v);
    pred[v].push(u);
  }
  const indeg = pred.map((p) => p.length);
  const topo: number[] = [];
  for (let u = 0; u < n; u++) if (indeg[u] === 0) topo.push(u);
  for (let k = 0; k < topo.length; k++) for (const v of succ[topo[k]]) if (--indeg[v] === 0) topo.push(v);
  const rank = new Array<number>(n).fill(0);
  if (opts.rankBy === "sinks") {
    const height = new Array<number>(n).fill(0);
    for (let k = topo.length - 1; k >= 0; k--) for (const v of succ[topo[k]]) height[topo[k]] = Math.max(height[topo[k]], height[v] + 1);
    const top = Math.max(0, ...height);
    for (let u = 0; u < n; u++) rank[u] = top - height[u];
  } else {
    for (const u of topo) for (const v of succ[u]) rank[v] = Math.max(rank[v], rank[u] + 1);
  }
  const nRanks = n ? Math.max(...rank) + 1 : 0;

  // 3. Items: the boxes, and a point per rank crossed by a long link.
  const size = boxes.map((b) => {
    const w = Math.max(...b.lines.map(textWidth), CHAR_W) + 2 * PAD_X;
    const h = Math.max(1, b.lines.length) * LINE_H + 2 * PAD_Y;
    return dir === "TB" ? { breadth: w, thickness: h } : { breadth: h, thickness: w };
  });
  const items: Item[] = boxes.map((_, i) => ({ box: i, rank: rank[i], ...size[i], pos: 0, preds: [], succs: [] }));
  const chains: Item[][] = dag.map(({ u, v }) => {
    const chain = [items[u]];
    for (let r = rank[u] + 1; r < rank[v]; r++) {
      const d: Item = { box: -1, rank: r, breadth: 8, thickness: 0, pos: 0, preds: [], succs: [] };
      items.push(d);
      chain.push(d);
    }
    chain.push(items[v]);
    for (let k = 0; k + 1 < chain.length; k++) {
      chain[k].succs.push(chain[k + 1]);
      chain[k + 1].preds.push(chain[k]);
    }
    return chain;
  });
  const layers: Item[][] = Array.from({ length: nRanks }, () => []);
  for (const it of items) layers[it.rank].push(it);

  // 4. Order within ranks: barycentre sweeps down and up, keeping the best.
  const index = new Map<Item, number>();
  const reindex = (): void => layers.forEach((l) => l.forEach((it, k) => index.set(it, k)));
  const countCrossings = (): number => {
    let c = 0;
    for (let r = 0; r + 1 < nRanks; r++) {
      const es: [number, number][] = [];
      for (const it of layers[r]) for (const s of it.succs) es.push([index.get(it) as number, index.get(s) as number]);
      for (let a = 0; a < es.length; a++) for (let b = a + 1; b < es.length; b++) {
        if ((es[a][0] - es[b][0]) * (es[a][1] - es[b][1]) < 0) c++;
      }
    }
    return c;
  };
  reindex();
  let best = layers.map((l) => [...l]);
  let bestCrossings = countCrossings();
  for (let sweep = 0; sweep < 8 && bestCrossings > 0; sweep++) {
    const down = sweep % 2 === 0;
    for (let k = 1; k < nRanks; k++) {
      const r = down ? k : nRanks - 1 - k;
      const near = (it: Item): Item[] => (down ? it.preds : it.succs);
      const bary = new Map<Item, number>();
      for (const it of layers[r]) {
        const ns = near(it);
        bary.set(it, ns.length ? ns.reduce((s, x) => s + (index.get(x) as number), 0) / ns.length : (index.get(it) as number));
      }
      layers[r].sort((a, b) => (bary.get(a) as number) - (bary.get(b) as number) || (index.get(a) as number) - (index.get(b) as number));
      layers[r].forEach((it, j) => index.set(it, j));
    }
    const c = countCrossings();
    if (c < bestCrossings) {
      bestCrossings = c;
      best = layers.map((l) => [...l]);
    }
  }
  best.forEach((l, r) => (layers[r] = l));
  reindex();

  // 5. Positions along each rank: near the mean of the neighbours, apart by
  // a gap. Pushing right from the wishes and pushing left from them both keep
  // the gaps; so does their mean, which does not drift to one side.
  const GAP = dir === "TB" ? 18 : 12;
  const gapBetween = (a: Item, b: Item): number => (a.box < 0 && b.box < 0 ? 6 : a.box < 0 || b.box < 0 ? 10 : GAP);
  const settle = (row: Item[], want: number[]): void => {
    const m = row.length;
    if (!m) return;
    const L = new Array<number>(m), R = new Array<number>(m);
    for (let k = 0; k < m; k++) L[k] = k ? Math.max(want[k], L[k - 1] + (row[k - 1].breadth + row[k].breadth) / 2 + gapBetween(row[k - 1], row[k])) : want[k];
    for (let k = m - 1; k >= 0; k--) R[k] = k < m - 1 ? Math.min(want[k], R[k + 1] - (row[k + 1].breadth + row[k].breadth) / 2 - gapBetween(row[k], row[k + 1])) : want[k];
    for (let k = 0; k < m; k++) row[k].pos = (L[k] + R[k]) / 2;
  };
  for (const row of layers) settle(row, row.map(() => 0));
  for (let sweep = 0; sweep < 8; sweep++) {
    const down = sweep % 2 === 0;
    for (let k = 0; k < nRanks; k++) {
      const row = layers[down ? k : nRanks - 1 - k];
      settle(row, row.map((it) => {
        const ns = down ? it.preds : it.succs;
        return ns.length ? ns.reduce((s, x) => s + x.pos, 0) / ns.length : it.pos;
      }));
    }
  }

  // 6. Coordinates: ranks one after another along the rank axis.
  const titleH = opts.title ? 22 : 0;
  const labelW = (label: string): number => textWidth(label) * (11 / 12) + 6;
  const widest = Math.max(0, ...uniq.map((l) => (l.label ? labelW(l.label) : 0)));
  // Room for the labels on the arrows: their height across a TB gap, their width along an LR one.
  const RANK_GAP = dir === "TB" ? 34 + (widest ? 14 : 0) : Math.max(46, widest ? widest + 28 : 0);
  const thick = layers.map((l) => Math.max(0, ...l.map((it) => it.thickness)));
  const rankStart: number[] = [];
  let acc = 0;
  for (let r = 0; r < nRanks; r++) {
    rankStart.push(acc);
    acc += thick[r] + RANK_GAP;
  }
  const lo = Math.min(0, ...items.map((it) => it.pos - it.breadth / 2));
  const hi = Math.max(0, ...items.map((it) => it.pos + it.breadth / 2));
  const breadthTotal = hi - lo;
  const rankTotal = Math.max(0, acc - RANK_GAP);
  // Rank axis and breadth axis to x and y; every item's box is centred in its rank.
  const place = (it: Item): { x: number; y: number; w: number; h: number } => {
    const b0 = it.pos - it.breadth / 2 - lo + MARGIN;
    const r0 = rankStart[it.rank] + (thick[it.rank] - it.thickness) / 2 + MARGIN;
    return dir === "TB"
      ? { x: b0, y: r0 + titleH, w: it.breadth, h: it.thickness }
      : { x: r0, y: b0 + titleH, w: it.thickness, h: it.breadth };
  };
  const title = opts.title ? (textWidth(opts.title) * 13) / 12 + 2 * MARGIN : 0;
  let width = Math.max(title, (dir === "TB" ? breadthTotal : rankTotal) + 2 * MARGIN);
  let height = (dir === "TB" ? rankTotal : breadthTotal) + 2 * MARGIN + titleH;
  const placed = boxes.map((_, i) => place(items[i]));

  // 7. Arrows: through the points of their chain, bending along the rank axis.
  type P = { x: number; y: number; straight?: boolean };
  const along = (a: P, b: P): string => {
    if (b.straight) return ` L${b.x.toFixed(1)},${b.y.toFixed(1)}`;
    if (dir === "TB") {
      const m = (a.y + b.y) / 2;
      return ` C${a.x.toFixed(1)},${m.toFixed(1)} ${b.x.toFixed(1)},${m.toFixed(1)} ${b.x.toFixed(1)},${b.y.toFixed(1)}`;
    }
    const m = (a.x + b.x) / 2;
    return ` C${m.toFixed(1)},${a.y.toFixed(1)} ${m.toFixed(1)},${b.y.toFixed(1)} ${b.x.toFixed(1)},${b.y.toFixed(1)}`;
  };
  const colors = [...new Set(uniq.map((l) => l.color ?? "#666"))];
  const routes: P[][] = uniq.map((l, i) => {
    const pts: P[] = [];
    chains[i].forEach((it, k) => {
      const p = place(it);
      const cx = p.x + p.w / 2, cy = p.y + p.h / 2;
      if (it.box >= 0) {
        if (k === 0) pts.push(dir === "TB" ? { x: cx, y: p.y + p.h } : { x: p.x + p.w, y: cy });
        else pts.push(dir === "TB" ? { x: cx, y: p.y - 1 } : { x: p.x - 1, y: cy });
        return;
      }
      // A point of a long link spans its whole rank, so the arrow passes the boxes beside it straight.
      const r0 = rankStart[it.rank] + MARGIN, r1 = r0 + thick[it.rank];
      if (dir === "TB") pts.push({ x: cx, y: r0 + titleH }, { x: cx, y: r1 + titleH, straight: true });
      else pts.push({ x: r0, y: cy }, { x: r1, y: cy, straight: true });
    });
    if (reversed[i]) {
      // Drawn from its real source: the same points the other way round, leaving
      // and entering the boxes by their other sides. (A straight piece is flagged
      // on its second point; reversed, that is the point after the flag.)
      pts.reverse();
      for (let k = pts.length - 2; k >= 0; k--) if (pts[k].straight) { pts[k].straight = false; pts[k + 1].straight = true; }
      const a = placed[l.from], b = placed[l.to];
      if (dir === "TB") {
        pts[0].y = a.y;
        pts[pts.length - 1].y = b.y + b.h + 1;
      } else {
        pts[0].x = a.x;
        pts[pts.length - 1].x = b.x + b.w + 1;
      }
    }
    return pts;
  });
  // Arrows sharing a side of a box spread along it, in the order of where they come from.
  const sides = new Map<string, { p: P; toward: number }[]>();
  uniq.forEach((l, i) => {
    const pts = routes[i];
    const ends: [number, P, P][] = [[l.from, pts[0], pts[1]], [l.to, pts[pts.length - 1], pts[pts.length - 2]]];
    for (const [box, p, next] of ends) {
      const b = placed[box];
      const before = dir === "TB" ? p.y < b.y + b.h / 2 : p.x < b.x + b.w / 2;
      const key = `${box}:${before ? "top" : "bottom"}`;
      sides.set(key, [...(sides.get(key) ?? []), { p, toward: dir === "TB" ? next.x : next.y }]);
    }
  });
  for (const [key, ports] of sides) {
    if (ports.length < 2) continue;
    const b = placed[Number(key.split(":")[0])];
    const span = dir === "TB" ? b.w : b.h;
    const step = Math.min(16, (0.7 * span) / (ports.length - 1));
    ports.sort((a, c) => a.toward - c.toward);
    ports.forEach((q, j) => {
      const off = (j - (ports.length - 1) / 2) * step;
      if (dir === "TB") q.p.x += off;
      else q.p.y += off;
    });
  }
  // Labels sit on the middle of their arrows; one sticking out of the picture widens it.
  const tags = uniq.map((l, i) => {
    if (!l.label) return null;
    const pts = routes[i];
    const a = pts[Math.floor((pts.length - 1) / 2)], c = pts[Math.ceil((pts.length - 1) / 2)];
    const mid = pts.length > 2 ? { x: (a.x + c.x) / 2, y: (a.y + c.y) / 2 } : { x: (pts[0].x + pts[1].x) / 2, y: (pts[0].y + pts[1].y) / 2 };
    return { ...mid, w: labelW(l.label) };
  });
  const tagged = tags.filter((t): t is { x: number; y: number; w: number } => t !== null);
  const dx = Math.max(0, ...tagged.map((t) => MARGIN - (t.x - t.w / 2)));
  const dy = Math.max(0, ...tagged.map((t) => MARGIN - (t.y - 8)));
  width = Math.ceil(Math.max(width + dx, ...tagged.map((t) => t.x + dx + t.w / 2 + MARGIN)));
  height = Math.ceil(Math.max(height + dy, ...tagged.map((t) => t.y + dy + 8 + MARGIN)));
  if (dx || dy) {
    for (const p of placed) { p.x += dx; p.y += dy; }
    for (const pts of routes) for (const q of pts) { q.x += dx; q.y += dy; }
    for (const t of tagged) { t.x += dx; t.y += dy; }
  }
  const arrows: string[] = [];
  const labels: string[] = [];
  uniq.forEach((l, i) => {
    const pts = routes[i];
    let d = `M${pts[0].x.toFixed(1)},${pts[0].y.toFixed(1)}`;
    for (let k = 1; k < pts.length; k++) d += along(pts[k - 1], pts[k]);
    const color = l.color ?? "#666";
    const dash = l.dashed ? ` stroke-dasharray="5 4"` : "";
    arrows.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.3"${dash} marker-end="url(#arrow${colors.indexOf(color)})"/>`);
    const mid = tags[i];
    if (l.label && mid) {
      labels.push(`<rect x="${(mid.x - mid.w / 2).toFixed(1)}" y="${(mid.y - 8).toFixed(1)}" width="${mid.w.toFixed(1)}" height="15" fill="white" fill-opacity="0.9"/>`);
      labels.push(`<text x="${mid.x.toFixed(1)}" y="${(mid.y + 3.5).toFixed(1)}" text-anchor="middle" font-size="11" fill="${color === "#666" ? "#444" : color}">${escapeHtml(l.label)}</text>`);
    }
  });

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    `<defs>${colors.map((c, k) => `<marker id="arrow${k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${c}"/></marker>`).join("")}</defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${MARGIN + dx}" y="${MARGIN + dy + 11}" font-size="13" font-weight="bold" fill="${opts.titleColor ?? "#222"}">${escapeHtml(opts.title)}</text>`);
  parts.push(...arrows);
  boxes.forEach((b, i) => {
    const p = placed[i];
    const dash = b.style.dashed ? ` stroke-dasharray="4 3"` : "";
    parts.push(`<g class="node"><rect x="${p.x.toFixed(1)}" y="${p.y.toFixed(1)}" width="${p.w.toFixed(1)}" height="${p.h.toFixed(1)}" rx="5" fill="${b.style.fill}" stroke="${b.style.stroke}" stroke-width="1.3"${dash}/>`);
    const textH = b.lines.length * LINE_H;
    const y0 = p.y + (p.h - textH) / 2;
    b.lines.forEach((line, k) => {
      const weight = k === 0 && b.style.boldFirst ? ` font-weight="bold"` : "";
      parts.push(`<text x="${(p.x + p.w / 2).toFixed(1)}" y="${(y0 + (k + 1) * LINE_H - 3.5).toFixed(1)}" text-anchor="middle"${weight}>${escapeHtml(line)}</text>`);
    });
    parts.push(`</g>`);
  });
  parts.push(...labels, `</svg>`);
  return {
    svg: parts.join(""),
    width,
    height,
    boxes: placed.map((p, i) => ({ ...p, rank: rank[i] })),
    links: uniq.map((l, i) => ({ from: l.from, to: l.to, reversed: reversed[i] })),
    crossings: bestCrossings,
  };
}

/**
 * The bundle of a drawing: the SVG, an HTML <img> of it (nbconvert's HTML
 * cleaner destroys inline SVG, but keeps an image), a PNG for frontends
 * that show only images or only safe types (GitHub, an untrusted notebook),
 * and a text form for terminals.
 */
export function svgBundle(svg: string, text: string, opts: { className: string; alt: string }): MimeBundle {
  const b64 = Buffer.from(svg, "utf8").toString("base64");
  return {
    "text/plain": text,
    "image/svg+xml": svg,
    "image/png": toBase64(svgToPng(svg)),
    "text/html": `<div class="${escapeHtml(opts.className)}"><img src="data:image/svg+xml;base64,${b64}" alt="${escapeHtml(opts.alt)}"></div>`,
  };
}
