import type { Tensor } from "../tensor/tensor";
import { DISPLAY, Displayable, MimeBundle } from "./bundle";
import { BOX_STYLES, layeredLayout, svgBundle } from "./layered";

/**
 * The computation graph behind a tensor, drawn as SVG: one box per tensor,
 * an op's name and output shape for computed tensors, the shape for leaves
 * (blue when they require grad, grey for constants), arrows from inputs to
 * the op that used them, the inputs at the top and the result at the bottom.
 *
 * Laid out by layered.ts, as diagram() is; the bundle carries the SVG, an
 * HTML <img> of it (nbconvert's HTML drops inline SVG), a PNG (GitHub, an
 * untrusted notebook) and a text tree.
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
}

const KIND_STYLE = { op: BOX_STYLES.op, output: BOX_STYLES.output, param: BOX_STYLES.input, const: BOX_STYLES.const };

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
        node = { t, id: order.length, lines: [t.gradFn.op.name, name ? `${name} ${shape}` : shape], kind: t === root ? "output" : "op", inputs: [] };
        queue.push(...t.gradFn.inputs);
      } else {
        const kind = t.requiresGrad ? "param" : "const";
        node = { t, id: order.length, lines: [name ?? (t.requiresGrad ? "leaf" : "constant"), t.dtype === "float32" ? shape : `${shape} ${t.dtype}`], kind: t === root ? "output" : kind, inputs: [] };
      }
      byTensor.set(t, node);
      order.push(node);
    }
    for (const n of order) n.inputs = (n.t.gradFn?.inputs ?? []).map((i) => byTensor.get(i)).filter((x): x is GNode => x !== undefined);
    this.nodes = order.length;
    this.truncated = truncated;
    // Inputs at the top, the result at the bottom, each leaf next to its first use.
    const links = order.flatMap((n) => n.inputs.map((i) => ({ from: i.id, to: n.id })));
    this.svg = layeredLayout(order.map((n) => ({ lines: n.lines, style: KIND_STYLE[n.kind] })), links, {
      rankBy: "sinks",
      ...(truncated ? { title: `graph cut at ${order.length} nodes (nearest the output)`, titleColor: "#a00" } : {}),
    }).svg;
    this.text = textTree(order[0], truncated);
  }

  [DISPLAY](): MimeBundle {
    return svgBundle(this.svg, this.text, { className: "gradlab-graph", alt: "computation graph" });
  }

  toString(): string {
    return this.text;
  }
}

/** The graph that computed `t`, ready to display: `drawGraph(loss, { names: { w, b } })`. */
export function drawGraph(t: Tensor, opts: GraphOptions = {}): GraphView {
  return new GraphView(t, opts);
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
