import assert from "node:assert/strict";
import { DISPLAY, MimeBundle, bundleOf, displayable, htmlTable, isDisplayable } from "../../src/display/bundle";
import { display, updateDisplay } from "../../src/display/display";
import { drawGraph } from "../../src/display/graph";
import { installKernelHook, KernelHook, SendOptions } from "../../src/display/hook";
import { decodePng, encodePng, heatmapPng, imageGridPng } from "../../src/display/image";
import { PLOTLY_MIME } from "../../src/display/plotly";
import { bar, contour, heatmap, histogram, images, line, marchingSquares, scatter } from "../../src/display/plot";
import { Interrupted, progress } from "../../src/display/progress";
import { tensorBundle } from "../../src/display/tensor";
import { VEGA_LITE_MIME, vegaLiteToSvg, vegaLiteToSvgAsync } from "../../src/display/vega";
import { arange, randn, tensor } from "../../src/tensor/creation";
import { inkOf } from "./screenshots";

/** A stand-in kernel on globalThis: records what library code sends. */
class FakeKernel implements KernelHook {
  sent: { bundle: MimeBundle; opts: SendOptions }[] = [];
  tracked: Promise<unknown>[] = [];
  interrupts = 0;
  readonly session = "test-session";
  send(bundle: MimeBundle, opts: SendOptions = {}): void {
    this.sent.push({ bundle, opts });
  }
  clearOutput(): void {}
  track(p: Promise<unknown>): void {
    this.tracked.push(p);
  }
}

function withKernel<T>(body: (k: FakeKernel) => T): T {
  const k = new FakeKernel();
  installKernelHook(k);
  try {
    return body(k);
  } finally {
    installKernelHook(undefined);
  }
}

function pixel(png: Uint8Array, x: number, y: number): [number, number, number] {
  const { width, rgba } = decodePng(png);
  const i = (y * width + x) * 4;
  return [rgba[i], rgba[i + 1], rgba[i + 2]];
}

describe("display: bundles and HTML", () => {
  it("a displayable's bundle is its own; anything else gets text/plain from inspect", () => {
    const d = displayable(() => ({ "text/plain": "t", "text/html": "<b>t</b>" }));
    assert.ok(isDisplayable(d));
    assert.deepEqual(bundleOf(d), { "text/plain": "t", "text/html": "<b>t</b>" });
    assert.deepEqual(bundleOf({ a: 1 }), { "text/plain": "{ a: 1 }" });
    assert.equal(isDisplayable(null), false);
  });

  it("htmlTable escapes text, keeps { html } cells, and aligns numbers right", () => {
    const t = htmlTable([["<x>", 1.5, { html: "<i>y</i>" }]], { header: ["a", "b", "c"] });
    assert.match(t, /&lt;x&gt;/);
    assert.match(t, /<i>y<\/i>/);
    assert.match(t, /text-align:right">1\.5</);
  });
});

describe("display: PNG pictures", () => {
  it("encodePng and decodePng round-trip RGBA pixels", () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 40]);
    const back = decodePng(encodePng(rgba, 2, 2));
    assert.equal(back.width, 2);
    assert.deepEqual(Array.from(back.rgba), Array.from(rgba));
  });

  it("a heatmap with both signs is diverging: negative blue, positive red", () => {
    const hm = heatmapPng([-1, 1], 1, 2);
    assert.equal(hm.map, "rdbu");
    const [r0, , b0] = pixel(hm.png, 0, 0);
    const [r1, , b1] = pixel(hm.png, hm.width - 1, 0);
    assert.ok(b0 > r0, "negative is blue");
    assert.ok(r1 > b1, "positive is red");
  });

  it("an image grid lays out N images, scaled up, values in [0, 1] as grey levels", () => {
    const v = new Float32Array(3 * 4 * 4).fill(1);
    v[0] = 0; // first pixel of the first image black
    const g = imageGridPng(v, [3, 1, 4, 4], { cols: 2, minSide: 8, gap: 2 });
    assert.equal(g.scale, 2);
    assert.deepEqual([g.width, g.height], [2 * 8 + 2, 2 * 8 + 2]);
    assert.deepEqual(pixel(g.png, 0, 0), [0, 0, 0]);
    assert.deepEqual(pixel(g.png, 3, 0), [255, 255, 255]);
  });
});

describe("display: tensors", () => {
  it("text/plain is the printed tensor; text/html has shape, dtype, requiresGrad and grad", () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    let b = tensorBundle(x);
    assert.equal(b["text/plain"], x.toString());
    const html = b["text/html"] as string;
    assert.match(html, /<b>Tensor<\/b> \[2, 2\]/);
    assert.match(html, /float32/);
    assert.match(html, /requiresGrad/);
    assert.match(html, /grad: none/);
    x.mul(x).sum().backward();
    b = tensorBundle(x);
    assert.match(b["text/html"] as string, /<details[^>]*><summary[^>]*>grad \[2, 2\]<\/summary>.*>8\.<\/td>/s);
    assert.deepEqual(Object.keys(x[DISPLAY]()), ["text/plain", "text/html"]);
  });

  it("a large matrix shows its edges in the table and all of it in the heatmap", () => {
    const html = tensorBundle(arange(0, 1600).reshape(40, 40))["text/html"] as string;
    const firstRow = /<tbody><tr>(.*?)<\/tr>/s.exec(html)?.[1] ?? "";
    assert.equal((firstRow.match(/<td/g) ?? []).length, 13, "6 + … + 6 columns");
    assert.match(firstRow, />39<\/td>/);
    assert.match(html, />⋮</);
    assert.match(html, /class="gradlab-heatmap"><img src="data:image\/png;base64,[^"]+" width="200" height="200"/);
  });

  it("[N, 1|3, H, W] shows an image grid; other 3-D and 4-D tensors show their first slices", () => {
    assert.match(tensorBundle(randn([4, 3, 5, 5]))["text/html"] as string, /class="gradlab-images"/);
    const html = tensorBundle(randn([6, 2, 3]))["text/html"] as string;
    assert.match(html, /\[0, :, :\]/);
    assert.match(html, /\[3, :, :\]/);
    assert.match(html, /… 2 more slices/);
  });

  it("scalars and int tensors", () => {
    assert.match(tensorBundle(tensor(3.5))["text/html"] as string, />3\.5000</);
    assert.match(tensorBundle(tensor([1, 2], { dtype: "int32" }))["text/html"] as string, /int32/);
  });
});

describe("display: plots", function () {
  this.timeout(30_000);

  it("the synchronous SVG equals vega's own asynchronous toSVG()", async () => {
    const spec = line([3, 1, 2], { title: "t" }).spec;
    // Clip-path ids come from a counter in vega's renderer; everything else must match.
    const norm = (svg: string) => svg.replace(/clip\d+/g, "clip");
    const [sync, async] = [vegaLiteToSvg(spec), await vegaLiteToSvgAsync(spec)];
    assert.ok(sync.length > 1000);
    assert.ok(norm(sync) === norm(async), "the synchronous SVG differs from toSVG()'s");
  });

  it("a vega-lite plot sends its spec, a PNG with ink, and a text summary", () => {
    const p = line({ train: [1, 0.5, 0.25], val: [1.2, 0.8, 0.7] }, { title: "loss", xLabel: "epoch" });
    const b = p[DISPLAY]();
    assert.deepEqual(Object.keys(b).sort(), ["image/png", "text/plain", VEGA_LITE_MIME].sort());
    const spec = b[VEGA_LITE_MIME] as { encoding: { color: { field: string } }; data: { values: unknown[] } };
    assert.equal(spec.encoding.color.field, "series");
    assert.equal(spec.data.values.length, 6);
    const png = Buffer.from(b["image/png"] as string, "base64");
    const { ink, colors } = inkOf(png);
    assert.ok(ink > 0.02 && colors > 10, `ink ${ink}, ${colors} colours`);
    assert.match(b["text/plain"], /^loss — line plot:\n {2}train: 3 points, 1 → 0\.2500/);
    const svg = p.toSVG();
    assert.ok(svg.startsWith("<svg") && svg.includes(">loss</text>") && svg.includes(">epoch</text>"), "title and axis title drawn");
  });

  it("every kind draws with vega-lite", () => {
    const plots = [
      scatter([1, 2, 3], [3, 1, 2], { labels: [0, 1, 1] }),
      heatmap([[1, 2], [3, 4]], { annotate: true, xLabels: ["a", "b"] }),
      contour((x, y) => x * x + y * y, { x: [-1, 1], y: [-1, 1], resolution: 12, paths: { p: { x: [0.5, 0], y: [0.5, 0] } } }),
      histogram(randn([200])),
      bar({ a: 1, b: -2 }),
    ];
    for (const p of plots) {
      const svg = p.toSVG();
      assert.match(svg, /^<svg/, p.kind);
      assert.ok(inkOf(p.toPNG()).ink > 0.02, p.kind);
    }
  });

  it("a plotly plot sends its figure and offline HTML, plotly.js inlined once per kernel session", () => {
    withKernel(() => {
      const first = scatter([1, 2], [3, 4], { engine: "plotly" })[DISPLAY]();
      const second = line([1, 2, 3], { engine: "plotly" })[DISPLAY]();
      assert.deepEqual((first[PLOTLY_MIME] as { data: { mode: string }[] }).data[0].mode, "markers");
      assert.match(first["text/html"] as string, /window\.Plotly = Plotly/);
      assert.doesNotMatch(second["text/html"] as string, /window\.Plotly = Plotly/);
      assert.match(second["text/html"] as string, /Plotly\.newPlot/);
    });
  });

  it("contour: labelled points drawn on top, and a spec rounded to a fraction of the grid", () => {
    const p = contour((x, y) => x * y, { x: [-1, 1], y: [-1, 1], resolution: 30, points: { x: [0, 0.5, -0.5], y: [0, 0.5, 0.5], labels: [2, 0, 1] } });
    const layers = p.spec.layer as { data: { values: Record<string, number | string | null>[] }; encoding: Record<string, { field?: string }> }[];
    const top = layers[layers.length - 1];
    assert.deepEqual(top.data.values.map((v) => v.label), ["2", "0", "1"]);
    assert.equal(top.encoding.shape.field, "label");
    assert.match(p.text, /\n {2}3 points, 3 labels \(0, 1, 2\)$/);
    // the grid is sent as its values alone, rounded to a 5000th of their range (x y is in [-1, 1])
    const grid = layers[0].data.values as unknown as number[];
    assert.equal(grid.length, 900);
    assert.equal(grid[0], 1);
    assert.ok(grid.every((v) => Math.abs(v * 1e4 - Math.round(v * 1e4)) < 1e-6), "4 decimals");
    // levels given as values: the level line of x at 0.25 is the vertical line x = 0.25
    const byValue = contour((x) => x, { x: [0, 1], y: [0, 1], resolution: 9, levels: [0.25] });
    const segs = (byValue.spec.layer as { data: { values: { x: number; x2: number }[] } }[])[1].data.values;
    assert.equal(segs.length, 8);
    assert.ok(segs.every((sg) => Math.abs(sg.x - 0.25) < 1e-9 && Math.abs(sg.x2 - 0.25) < 1e-9));
    assert.ok(inkOf(p.toPNG()).ink > 0.02);
    assert.throws(() => contour([[0, 1], [1, 0]], { points: { x: [0, 1], y: [0, 1], labels: [0] } }), /contour: 1 labels for 2 points/);
  });

  it("contour: each value is drawn where it belongs (x to the right, y upwards)", () => {
    // viridis runs from dark purple (low) to yellow (high): where are they in the PNG?
    const centres = (f: (x: number, y: number) => number) => {
      const { width, rgba } = decodePng(contour(f, { x: [0, 1], y: [0, 1], resolution: 20, levels: 1, width: 300, height: 300 }).toPNG());
      const at = { yellow: [0, 0, 0], purple: [0, 0, 0] };
      for (let i = 0; i < rgba.length / 4; i++) {
        const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
        const kind = r > 200 && g > 190 && b < 90 ? "yellow" : r < 100 && g < 40 && b > 60 && b < 130 ? "purple" : null;
        if (kind) at[kind] = [at[kind][0] + (i % width), at[kind][1] + Math.floor(i / width), at[kind][2] + 1];
      }
      return { yellow: [at.yellow[0] / at.yellow[2], at.yellow[1] / at.yellow[2]], purple: [at.purple[0] / at.purple[2], at.purple[1] / at.purple[2]] };
    };
    const byX = centres((x) => x), byY = centres((_x, y) => y);
    assert.ok(byX.yellow[0] > byX.purple[0] + 150, `f = x: yellow at column ${byX.yellow[0]}, purple at ${byX.purple[0]}`);
    assert.ok(byY.yellow[1] < byY.purple[1] - 150, `f = y: yellow at row ${byY.yellow[1]}, purple at ${byY.purple[1]}`);
  });

  it("histogram counts add up to the number of values", () => {
    const p = histogram([0, 0.1, 0.2, 0.9, 1], { bins: 2 });
    const counts = (p.spec.data as { values: { count: number }[] }).values.map((v) => v.count);
    assert.deepEqual(counts, [3, 2]);
  });

  it("marching squares puts level-0.5 crossings half way along the edges", () => {
    // 0 0 / 1 1: one horizontal segment at row 0.5.
    assert.deepEqual(marchingSquares([0, 0, 1, 1], 2, 2, 0.5), [[0, 0.5, 1, 0.5]]);
    // A circle: every crossing lies near radius 1 of r^2 sampled on [-2, 2]^2.
    const n = 41, v: number[] = [];
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) v.push(((c - 20) / 10) ** 2 + ((r - 20) / 10) ** 2);
    const segs = marchingSquares(v, n, n, 1);
    assert.ok(segs.length > 40);
    for (const [c0, r0] of segs) assert.ok(Math.abs(Math.hypot((c0 - 20) / 10, (r0 - 20) / 10) - 1) < 0.02);
  });

  it("images: a grid PNG, and captions in HTML", () => {
    const g = images(randn([5, 1, 6, 6]), { labels: ["0", "1", "2", "3", "4"], cols: 5 });
    const b = g[DISPLAY]();
    assert.equal((b["text/html"] as string).match(/<figcaption/g)?.length, 5);
    assert.equal(b["text/plain"], "5 images: 0, 1, 2, 3, 4");
    assert.ok(decodePng(Buffer.from(b["image/png"] as string, "base64")).width > 5 * 6);
  });
});

describe("display: display(), updates and progress", () => {
  it("outside a kernel, display prints text/plain", () => {
    const logged: unknown[] = [];
    const orig = console.log;
    console.log = (v: unknown) => logged.push(v);
    try {
      display(tensor([1, 2]));
    } finally {
      console.log = orig;
    }
    assert.deepEqual(logged, ["tensor([1., 2.])"]);
  });

  it("in a kernel, display sends display_data with an id and update sends update_display_data", () => {
    withKernel((k) => {
      const h = display("first");
      h.update("second");
      updateDisplay(h.id, "third");
      assert.deepEqual(k.sent.map((s) => [s.bundle["text/plain"], s.opts.update ?? false, s.opts.displayId === h.id]), [
        ["'first'", false, true], ["'second'", true, true], ["'third'", true, true],
      ]);
    });
  });

  it("asynchronous bundles keep their display's order and are tracked for the cell", async () => {
    const k = new FakeKernel();
    installKernelHook(k);
    try {
      const slow = { [DISPLAY]: () => new Promise<MimeBundle>((ok) => setTimeout(() => ok({ "text/plain": "slow" }), 20)) };
      const h = display(slow);
      h.update("fast");
      await Promise.all(k.tracked);
      assert.deepEqual(k.sent.map((s) => s.bundle["text/plain"]), ["slow", "'fast'"]);
    } finally {
      installKernelHook(undefined);
    }
  });

  it("progress: one display, throttled updates, the final state always drawn", () => {
    withKernel((k) => {
      const bar = progress({ total: 1000, label: "epoch 1/2", minIntervalMs: 10_000 });
      for (let i = 1; i <= 1000; i++) bar.update(i, { loss: 1 / i });
      bar.close();
      assert.equal(k.sent.length, 2, "first draw and the final one");
      assert.equal(k.sent[0].opts.update ?? false, false);
      assert.equal(k.sent[1].opts.update, true);
      assert.equal(k.sent[1].opts.displayId, k.sent[0].opts.displayId);
      assert.match(k.sent[1].bundle["text/plain"], /^epoch 1\/2 ━{24} 100% 1000\/1000 \[\d\d:\d\d, [\d.]+ it\/s\] loss=0\.0010$/);
    });
  });

  it("progress stops a loop once the kernel is interrupted", () => {
    withKernel((k) => {
      const bar = progress({ total: 10 });
      bar.update(1);
      k.interrupts++;
      assert.throws(() => bar.update(2), Interrupted);
    });
  });
});

describe("display: computation graphs", () => {
  it("draws ops with shapes, named leaves, and a text tree", () => {
    const w = randn([3, 2], { requiresGrad: true });
    const x = randn([4, 3]);
    const loss = x.matmul(w).relu().sum();
    const g = drawGraph(loss, { names: { w, x } });
    assert.equal(g.nodes, 5);
    assert.equal(g.text, "sum []\n└─ relu [4, 2]\n   └─ matmul [4, 2]\n      ├─ x [4, 3]\n      └─ w [3, 2]");
    for (const label of [">sum<", ">relu<", ">matmul<", ">[4, 2]<", ">w<"]) assert.ok(g.svg.includes(label), label);
    const b = g[DISPLAY]();
    assert.match(b["text/html"] as string, /^<div class="gradlab-graph"><img src="data:image\/svg\+xml;base64,/);
  });

  it("a large graph is cut near the output", () => {
    let y = tensor([1], { requiresGrad: true });
    for (let i = 0; i < 50; i++) y = y.mul(1.01);
    const g = drawGraph(y, { maxNodes: 10 });
    assert.equal(g.nodes, 10);
    assert.ok(g.truncated);
    assert.match(g.svg, /graph cut at 10 nodes/);
  });
});
