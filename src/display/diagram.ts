import { GradlabError } from "../errors";
import { DISPLAY, Displayable, MimeBundle } from "./bundle";
import { BOX_STYLES, BoxStyleName, Direction, LayerLink, LayeredLayout, layeredLayout, svgBundle } from "./layered";
import { svgToPng } from "./vega";

/**
 * Boxes and arrows for concept maps and flow charts, the kind the course's
 * documents draw in Mermaid (`graph TB; A[...] --> B[...]`): laid out in
 * layers like drawGraph's computation graphs, shown as SVG with a PNG
 * beside it, so a diagram appears in JupyterLab, the classic notebook,
 * nbconvert's HTML and on GitHub alike.
 *
 *   diagram({
 *     nodes: { nn: "neural network", dl: "deep learning", bp: "backpropagation" },
 *     edges: ["nn -> dl", "nn -> bp", { from: "bp", to: "nn", label: "updates", dashed: true }],
 *   }, { direction: "TB", title: "000 §2.1" })
 *
 * An edge is a chain string ("a -> b -> c", Mermaid's "-->" also accepted)
 * or an object with a label, a colour or a dashed line. Cycles are fine: an
 * edge that closes a cycle with the edges before it is drawn against the
 * flow, so list the main flow first and the feedback (a backward pass, an
 * update) after it.
 *
 * The PNG is drawn with the fonts this machine has: a label in a script no
 * installed font covers (Chinese on a machine without a CJK font) shows in
 * the SVG, which the browser draws, but not in the PNG.
 */

export interface DiagramNode {
  /** One line, or several ("softmax", "ŷ = softmax(z)"). */
  label: string | readonly string[];
  /** box (the default), input, op, output, const (dashed) or highlight. */
  style?: BoxStyleName;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label?: string;
  dashed?: boolean;
  /** Any SVG colour: "#d9534f", "steelblue". */
  color?: string;
}

export interface DiagramSpec {
  /** Node id -> its label (or label and style). Ids are what edges name. */
  nodes: Record<string, string | readonly string[] | DiagramNode>;
  edges: readonly (string | DiagramEdge)[];
}

export interface DiagramOptions {
  /** "TB" (top to bottom, the default) or "LR" (left to right), as Mermaid's graph TB / graph LR. */
  direction?: Direction;
  title?: string;
}

export class Diagram implements Displayable {
  readonly svg: string;
  readonly text: string;
  /** Where each box and arrow went (tests use it; so can a reader curious about the layout). */
  readonly layout: LayeredLayout;
  readonly ids: readonly string[];

  constructor(spec: DiagramSpec, opts: DiagramOptions = {}) {
    const op = "diagram";
    if (!spec || typeof spec.nodes !== "object" || spec.nodes === null || !Array.isArray(spec.edges)) {
      throw new GradlabError(op, "expected { nodes: { id: label, ... }, edges: [\"a -> b\", ...] }");
    }
    const ids = Object.keys(spec.nodes);
    if (!ids.length) throw new GradlabError(op, "a diagram needs at least one node");
    if (opts.direction !== undefined && opts.direction !== "TB" && opts.direction !== "LR") {
      throw new GradlabError(op, `direction must be "TB" or "LR", got ${JSON.stringify(opts.direction)}`);
    }
    const nodes = ids.map((id) => {
      const v = spec.nodes[id];
      const n: DiagramNode = typeof v === "string" || Array.isArray(v) ? { label: v as string | readonly string[] } : (v as DiagramNode);
      const lines = typeof n.label === "string" ? n.label.split("\n") : [...n.label];
      if (!lines.length || lines.some((l) => typeof l !== "string")) throw new GradlabError(op, `node "${id}" needs a label (a string or an array of lines)`);
      const style = n.style ?? "box";
      if (!(style in BOX_STYLES)) throw new GradlabError(op, `node "${id}" has style ${JSON.stringify(style)}; styles are ${Object.keys(BOX_STYLES).join(", ")}`);
      return { id, lines, style: BOX_STYLES[style] };
    });
    const index = new Map(ids.map((id, i) => [id, i]));
    const known = (id: string, where: string): number => {
      const i = index.get(id);
      if (i === undefined) throw new GradlabError(op, `${where} names "${id}", which is not a node (nodes: ${ids.join(", ")})`);
      return i;
    };
    const links: LayerLink[] = [];
    spec.edges.forEach((e, k) => {
      const where = `edge ${k} (${typeof e === "string" ? JSON.stringify(e) : `${e.from} -> ${e.to}`})`;
      if (typeof e === "string") {
        const chain = e.split(/\s*-{1,2}>\s*/).map((s) => s.trim());
        if (chain.length < 2 || chain.some((s) => !s)) throw new GradlabError(op, `${where}: write an edge as "a -> b" or a chain "a -> b -> c"`);
        for (let j = 0; j + 1 < chain.length; j++) links.push({ from: known(chain[j], where), to: known(chain[j + 1], where) });
      } else {
        links.push({ from: known(e.from, where), to: known(e.to, where), label: e.label, dashed: e.dashed, color: e.color });
      }
    });
    for (const l of links) if (l.from === l.to) throw new GradlabError(op, `an edge from "${ids[l.from]}" to itself cannot be drawn`);
    this.ids = ids;
    this.layout = layeredLayout(nodes.map((n) => ({ lines: n.lines, style: n.style })), links, { direction: opts.direction, title: opts.title });
    this.svg = this.layout.svg;
    const label = (i: number): string => nodes[i].lines.join(" ");
    const text = this.layout.links.map((l) => {
      const orig = links.find((x) => x.from === l.from && x.to === l.to) as LayerLink;
      return `${label(l.from)} → ${label(l.to)}${orig.label ? ` (${orig.label})` : ""}`;
    });
    const alone = ids.map((_, i) => i).filter((i) => !links.some((l) => l.from === i || l.to === i)).map(label);
    this.text = [...(opts.title ? [opts.title] : []), ...text, ...alone].join("\n");
  }

  [DISPLAY](): MimeBundle {
    return svgBundle(this.svg, this.text, { className: "gradlab-diagram", alt: "diagram" });
  }

  toPNG(): Uint8Array {
    return svgToPng(this.svg);
  }

  toString(): string {
    return this.text;
  }
}

/** A concept map or flow chart, ready to display. */
export function diagram(spec: DiagramSpec, opts: DiagramOptions = {}): Diagram {
  return new Diagram(spec, opts);
}
