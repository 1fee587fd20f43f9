import assert from "node:assert/strict";
import fc from "fast-check";
import { DISPLAY, diagram, drawGraph, randn } from "../../src";
import { decodePng } from "../../src/display/image";
import { BOX_STYLES, layeredLayout } from "../../src/display/layered";

/** Boxes and arrows (layered.ts), as diagram() and drawGraph() draw them. */
describe("display: diagrams", () => {
  const box = (label: string) => ({ lines: [label], style: BOX_STYLES.box });

  it("draws a chain top to bottom, with SVG, an <img>, a PNG of the same size, and a text form", () => {
    const d = diagram({ nodes: { a: "input layer", b: "hidden layer", c: { label: "output layer", style: "output" } }, edges: ["a -> b --> c"] }, { title: "layers" });
    const [a, b, c] = d.layout.boxes;
    assert.deepEqual([a.rank, b.rank, c.rank], [0, 1, 2]);
    assert.ok(a.y + a.h < b.y && b.y + b.h < c.y, "each layer below the one before");
    assert.equal(d.layout.crossings, 0);
    assert.equal(d.text, "layers\ninput layer → hidden layer\nhidden layer → output layer");
    const bundle = d[DISPLAY]();
    assert.match(String(bundle["image/svg+xml"]), /^<svg [^>]*>.*>hidden layer<.*<\/svg>$/);
    assert.match(String(bundle["text/html"]), /^<div class="gradlab-diagram"><img src="data:image\/svg\+xml;base64,/);
    const png = decodePng(Buffer.from(String(bundle["image/png"]), "base64"));
    assert.deepEqual([png.width, png.height], [d.layout.width, d.layout.height]);
    let ink = 0;
    for (let i = 0; i < png.rgba.length; i += 4) if (png.rgba[i] < 200 || png.rgba[i + 1] < 200 || png.rgba[i + 2] < 200) ink++;
    assert.ok(ink / (png.width * png.height) > 0.02, `the PNG shows boxes and text (${ink} dark pixels)`);
  });

  it("left to right puts the ranks along x", () => {
    const d = diagram({ nodes: { a: "a", b: "b", c: "c" }, edges: ["a -> b -> c"] }, { direction: "LR" });
    const [a, b, c] = d.layout.boxes;
    assert.ok(a.x + a.w < b.x && b.x + b.w < c.x);
    assert.ok(Math.abs(a.y - c.y) < 1e-9, "one row");
  });

  it("orders each rank to undo crossings", () => {
    // Given in the order c, d below a, b, the arrows a -> d and b -> c cross; swapped, they do not.
    const l = layeredLayout([box("a"), box("b"), box("c"), box("d")], [{ from: 0, to: 3 }, { from: 1, to: 2 }]);
    assert.equal(l.crossings, 0);
    assert.ok(l.boxes[3].x < l.boxes[2].x, "d moved left of c, under a");
  });

  it("draws a cycle with exactly the arrow that closes it against the flow", () => {
    const d = diagram({ nodes: { f: "forward", l: "loss", g: "gradients" }, edges: ["f -> l -> g", { from: "g", to: "f", label: "update", dashed: true }] });
    assert.deepEqual(d.layout.links.map((k) => k.reversed), [false, false, true]);
    assert.match(d.svg, /stroke-dasharray="5 4"/);
    assert.match(d.svg, />update</);
    assert.equal(d.text.split("\n")[2], "gradients → forward (update)");
  });

  it("keeps the flow listed first and reverses the feedback listed after it", () => {
    // A forward pass and its backward pass over the same boxes: every backward arrow points back up.
    const d = diagram({
      nodes: { w: "w", x: "x", b: "b", u: "u = w·x", z: "z = u + b" },
      edges: ["w -> u", "x -> u", "u -> z", "b -> z", "z -> u", "z -> b", "u -> w", "u -> x"],
    });
    assert.deepEqual(d.layout.links.map((k) => k.reversed), [false, false, false, false, true, true, true, true]);
    const r = d.layout.boxes.map((p) => p.rank);
    assert.ok(r[0] < r[3] && r[1] < r[3] && r[3] < r[4] && r[2] < r[4]);
  });

  it("keeps arrow labels inside the picture", () => {
    const d = diagram({ nodes: { a: "a", b: "b" }, edges: [{ from: "a", to: "b", label: "a label much wider than either box" }] });
    const rect = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="15"/.exec(d.svg) as RegExpExecArray;
    assert.ok(Number(rect[1]) >= 0 && Number(rect[1]) + Number(rect[2]) <= d.layout.width, `label at ${rect[1]}+${rect[2]} in width ${d.layout.width}`);
  });

  it("routes a long arrow beside the boxes of the ranks it crosses", () => {
    // a -> c skips b's rank; its straight piece through that rank must not cross b, nor any box.
    const d = diagram({ nodes: { a: "a wide box at the top", b: "a wide box in the middle", c: "c" }, edges: ["a -> b -> c", "a -> c"] });
    const straight = [...d.svg.matchAll(/ L([\d.]+),([\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
    assert.ok(straight.length >= 1, "the long arrow has a straight piece");
    const b = d.layout.boxes[1];
    for (const p of straight) assert.ok(p.x < b.x || p.x > b.x + b.w, `x ${p.x} is beside b [${b.x}, ${b.x + b.w}]`);
  });

  it("on random graphs: boxes never overlap, and arrows point down the ranks unless they close a cycle", () => {
    const graph = fc.integer({ min: 1, max: 9 }).chain((n) =>
      fc.record({ n: fc.constant(n), edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 16 }) }));
    fc.assert(fc.property(graph, fc.constantFrom("TB" as const, "LR" as const), ({ n, edges }, direction) => {
      const links = edges.filter(([u, v]) => u !== v).map(([from, to]) => ({ from, to }));
      const labels = Array.from({ length: n }, (_, i) => "node " + "x".repeat(i % 4) + i);
      const l = layeredLayout(labels.map(box), links, { direction });
      for (let i = 0; i < n; i++) {
        const p = l.boxes[i];
        assert.ok(p.x >= 0 && p.y >= 0 && p.x + p.w <= l.width + 1e-6 && p.y + p.h <= l.height + 1e-6, "inside the picture");
        for (let j = i + 1; j < n; j++) {
          const q = l.boxes[j];
          const apart = p.x + p.w <= q.x || q.x + q.w <= p.x || p.y + p.h <= q.y || q.y + q.h <= p.y;
          assert.ok(apart, `boxes ${i} and ${j} overlap`);
        }
      }
      // The arrows laid out forwards form no cycle (their ranks increase); the reversed ones each close one.
      for (const k of l.links) {
        const [ru, rv] = [l.boxes[k.from].rank, l.boxes[k.to].rank];
        assert.ok(k.reversed ? ru > rv : ru < rv, `link ${k.from} -> ${k.to}, ranks ${ru} -> ${rv}, reversed ${k.reversed}`);
      }
    }), { numRuns: 150, seed: 7 });
  });

  it("names what is wrong with a bad diagram", () => {
    assert.throws(() => diagram({ nodes: { a: "a", b: "b" }, edges: ["a -> z"] }), /diagram: edge 0 \("a -> z"\) names "z", which is not a node \(nodes: a, b\)/);
    assert.throws(() => diagram({ nodes: { a: "a" }, edges: ["a -> a"] }), /diagram: an edge from "a" to itself cannot be drawn/);
    assert.throws(() => diagram({ nodes: { a: "a", b: "b" }, edges: ["a ->"] }), /write an edge as "a -> b"/);
    assert.throws(() => diagram({ nodes: {}, edges: [] }), /at least one node/);
    assert.throws(() => diagram({ nodes: { a: { label: "a", style: "bold" as never } }, edges: [] }), /node "a" has style "bold"; styles are box, input/);
    assert.throws(() => diagram({ nodes: { a: "a" }, edges: [] }, { direction: "BT" as never }), /direction must be "TB" or "LR"/);
  });

  it("a computation graph shares the layout and carries a PNG too", () => {
    const w = randn([3, 2], { requiresGrad: true });
    const x = randn([4, 3]);
    const g = drawGraph(x.matmul(w).tanh().sum(), { names: { w, x } });
    const b = g[DISPLAY]();
    const png = decodePng(Buffer.from(String(b["image/png"]), "base64"));
    const size = /width="(\d+)" height="(\d+)"/.exec(g.svg) as RegExpExecArray;
    assert.deepEqual([png.width, png.height], [Number(size[1]), Number(size[2])]);
    // inputs on top, the result at the bottom
    const y = (label: string) => Number(new RegExp(`y="([\\d.]+)"[^>]*>${label}<`).exec(g.svg)?.[1]);
    assert.ok(y("w") < y("matmul") && y("matmul") < y("tanh") && y("tanh") < y("sum"));
  });
});
