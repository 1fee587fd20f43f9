import type { Tensor } from "../tensor/tensor";
import { DISPLAY, Displayable, MimeBundle, escapeHtml } from "./bundle";

/**
 * The computation graph behind a tensor, drawn as SVG: one box per tensor,
 * an op's name and output shape for computed tensors, the shape for leaves
 * (blue when they require grad, grey for constants), arrows from inputs to
 * the op that used them, the inputs at the top and the result at the bottom.
 *
 * The bundle carries `image/svg+xml` and, because nbconvert's HTML drops
 * inline SVG, `text/html` with the same SVG as an <img>, plus a text tree.
 */

export interface GraphOptions {
  /** Names for leaves (and any tensor): drawGraph(loss, { names: { w, b, x } }). */
  names?: Record<string, Tensor>;
  /** Nodes drawn at most; a larger graph shows the part nearest the output. */
  maxNodes?: number;
}

interface GNode {
  t: Tensor;
  id: number;
  lines: string[];
  kind: "op" | "param" | "const" | "output";
  inputs: GNode[];
  depth: number;
  x: number;
  y: number;
  w: number;
}

const CHAR_W = 7.2, LINE_H = 15, PAD_X = 10, PAD_Y = 6, ROW_GAP = 34, COL_GAP = 18;

export class GraphView implements Displayable {
  readonly nodes: number;
  readonly truncated: boolean;
  readonly svg: string;
  readonly text: string;

  constructor(root: Tensor, opts: GraphOptions = {}) {
    const names = new Map<Tensor, string>();
    for (const [k, v] of Object.entries(opts.names ?? {})) names.set(v, k);
    const max = opts.maxNodes ?? 150;
    const byTensor = new Map<Tensor, GNode>();
    const order: GNode[] = [];
    // Breadth-first from the output, so a cut keeps the nodes nearest it.
    const queue: Tensor[] = [root];
    let truncated = false;
    while (queue.length) {
      const t = queue.shift() as Tensor;
      if (byTensor.has(t)) continue;
      if (order.length >= max) {
        truncated = true;
        break;
      }
      const name = names.get(t);
      const shape = `[${t.shape.join(", ")}]`;
      let node: GNode;
      if (t.gradFn) {
        node = { t, id: order.length, lines: [t.gradFn.op.name, name ? `${name} ${shape}` : shape], kind: t === root ? "output" : "op", inputs: [], depth: 0, x: 0, y: 0, w: 0 };
        queue.push(...t.gradFn.inputs);
      } else {
        const kind = t.requiresGrad ? "param" : "const";
        node = { t, id: order.length, lines: [name ?? (t.requiresGrad ? "leaf" : "constant"), t.dtype === "float32" ? shape : `${shape} ${t.dtype}`], kind: t === root ? "output" : kind, inputs: [], depth: 0, x: 0, y: 0, w: 0 };
      }
      byTensor.set(t, node);
      order.push(node);
    }
    for (const n of order) n.inputs = (n.t.gradFn?.inputs ?? []).map((i) => byTensor.get(i)).filter((x): x is GNode => x !== undefined);
    this.nodes = order.length;
    this.truncated = truncated;
    this.svg = layoutSvg(order, truncated);
    this.text = textTree(order[0], truncated);
  }

  [DISPLAY](): MimeBundle {
    const b64 = Buffer.from(this.svg, "utf8").toString("base64");
    return {
      "text/plain": this.text,
      "image/svg+xml": this.svg,
      "text/html": `<div class="gradlab-graph"><img src="data:image/svg+xml;base64,${b64}" alt="computation graph"></div>`,
    };
  }

  toString(): string {
    return this.text;
  }
}

/** The graph that computed `t`, ready to display: `drawGraph(loss, { names: { w, b } })`. */
export function drawGraph(t: Tensor, opts: GraphOptions = {}): GraphView {
  return new GraphView(t, opts);
}

function layoutSvg(order: GNode[], truncated: boolean): string {
  // Depth = longest path to the output, so every arrow points down.
  for (const n of order) n.depth = 0;
  let changed = true;
  for (let pass = 0; changed && pass < order.length + 1; pass++) {
    changed = false;
    for (const n of order) for (const i of n.inputs) if (i.depth < n.depth + 1) { i.depth = n.depth + 1; changed = true; }
  }
  const maxDepth = Math.max(0, ...order.map((n) => n.depth));
  const layers: GNode[][] = Array.from({ length: maxDepth + 1 }, () => []);
  for (const n of order) layers[maxDepth - n.depth].push(n);
  for (const n of order) n.w = Math.max(...n.lines.map((l) => l.length)) * CHAR_W + 2 * PAD_X;
  const boxH = 2 * LINE_H + 2 * PAD_Y;
  // Place the bottom row, then each row above under the mean x of the nodes it feeds (barycentre).
  const consumers = new Map<GNode, GNode[]>();
  for (const n of order) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const place = (row: GNode[], y: number): void => {
    let x = 0;
    for (const n of row) {
      n.x = x;
      n.y = y;
      x += n.w + COL_GAP;
    }
  };
  place(layers[maxDepth], maxDepth * (boxH + ROW_GAP));
  for (let li = maxDepth - 1; li >= 0; li--) {
    const row = layers[li];
    const want = (n: GNode): number => {
      const cs = consumers.get(n) ?? [];
      return cs.length ? cs.reduce((s, c) => s + c.x + c.w / 2, 0) / cs.length : 0;
    };
    row.sort((a, b) => want(a) - want(b));
    // Keep order, push right to avoid overlaps, starting each box at its wish.
    let minX = -Infinity;
    for (const n of row) {
      n.x = Math.max(want(n) - n.w / 2, minX);
      n.y = li * (boxH + ROW_GAP);
      minX = n.x + n.w + COL_GAP;
    }
  }
  const minX = Math.min(...order.map((n) => n.x));
  for (const n of order) n.x -= minX - 10;
  const width = Math.max(...order.map((n) => n.x + n.w)) + 10;
  const height = (maxDepth + 1) * (boxH + ROW_GAP) - ROW_GAP + 20 + (truncated ? 18 : 0);
  const fill = { op: "#fff7e0", output: "#d9f2d9", param: "#dbe9ff", const: "#eeeeee" };
  const stroke = { op: "#c9a227", output: "#2e8b3d", param: "#3b78e7", const: "#999999" };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width.toFixed(0)}" height="${height.toFixed(0)}" viewBox="0 0 ${width.toFixed(0)} ${height.toFixed(0)}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#666"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  const top = truncated ? 28 : 10;
  for (const n of order) {
    for (const i of n.inputs) {
      const x1 = i.x + i.w / 2, y1 = top + i.y + boxH, x2 = n.x + n.w / 2, y2 = top + n.y;
      const my = (y1 + y2) / 2;
      parts.push(`<path d="M${x1.toFixed(1)},${y1.toFixed(1)} C${x1.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${(y2 - 1).toFixed(1)}" fill="none" stroke="#666" stroke-width="1.2" marker-end="url(#arrow)"/>`);
    }
  }
  for (const n of order) {
    const y = top + n.y;
    const dash = n.kind === "const" ? ` stroke-dasharray="4 3"` : "";
    parts.push(`<g class="node ${n.kind}"><rect x="${n.x.toFixed(1)}" y="${y}" width="${n.w.toFixed(1)}" height="${boxH}" rx="5" fill="${fill[n.kind]}" stroke="${stroke[n.kind]}" stroke-width="1.3"${dash}/>`);
    n.lines.forEach((l, k) => {
      const weight = k === 0 && (n.kind === "op" || n.kind === "output") ? ` font-weight="bold"` : "";
      parts.push(`<text x="${(n.x + n.w / 2).toFixed(1)}" y="${y + PAD_Y + (k + 1) * LINE_H - 3}" text-anchor="middle"${weight}>${escapeHtml(l)}</text>`);
    });
    parts.push(`</g>`);
  }
  if (truncated) parts.push(`<text x="10" y="16" fill="#a00">graph cut at ${order.length} nodes (nearest the output)</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

function textTree(root: GNode, truncated: boolean): string {
  const lines: string[] = [];
  const seen = new Set<GNode>();
  const label = (n: GNode): string => n.lines.join(" ");
  const walk = (n: GNode, prefix: string, last: boolean, isRoot: boolean): void => {
    const branch = isRoot ? "" : last ? "└─ " : "├─ ";
    if (seen.has(n) && n.inputs.length) {
      lines.push(prefix + branch + label(n) + " (shown above)");
      return;
    }
    seen.add(n);
    lines.push(prefix + branch + label(n));
    const next = isRoot ? "" : prefix + (last ? "   " : "│  ");
    n.inputs.forEach((i, k) => walk(i, next, k === n.inputs.length - 1, false));
  };
  walk(root, "", true, true);
  if (truncated) lines.push("… (graph cut)");
  return lines.join("\n");
}
