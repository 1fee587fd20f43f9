import assert from "node:assert/strict";
import { decodePng } from "../../src/display/image";
import { PLOTLY_MIME } from "../../src/display/plotly";
import { VEGA_LITE_MIME } from "../../src/display/vega";
import { ExecutedFixture, Output, cellTagged, executeFixture, text } from "./util";

/**
 * A notebook executed through Jupyter (nbclient, "continue on error") in a
 * fresh gradlab kernel, its saved outputs checked the way a reader sees them.
 */
describe("kernel: a notebook executed with nbclient", function () {
  this.timeout(240_000);
  let run: ExecutedFixture;
  before(async () => {
    run = await executeFixture();
  });

  const outputsOf = (tag: string): Output[] => cellTagged(run.notebook, tag).outputs ?? [];
  const rich = (tag: string): Output[] => outputsOf(tag).filter((o) => o.output_type === "execute_result" || o.output_type === "display_data");

  it("saves execution counts (execute_input) for every cell that ran", () => {
    const counts = run.notebook.cells.filter((c) => c.cell_type === "code").map((c) => c.execution_count);
    assert.deepEqual(counts, counts.map((_, i) => i + 1));
  });

  it("a tensor cell gives one execute_result with text/html and text/plain", () => {
    const outs = outputsOf("tensor");
    assert.equal(outs.length, 1, JSON.stringify(outs));
    const [o] = outs;
    assert.equal(o.output_type, "execute_result");
    assert.equal(text(o.data?.["text/plain"]), "tensor([[ 1., -2.,  3.],\n        [ 4.,  5., -6.]], requiresGrad=true)");
    const html = text(o.data?.["text/html"]);
    assert.match(html, /class="gradlab-tensor"/);
    assert.match(html, /\[2, 3\]/);
    assert.match(html, /float32/);
    assert.match(html, /requiresGrad/);
    assert.match(html, />-6\.<\/td>/);
    assert.match(html, /<img src="data:image\/png;base64,/, "a 2-D tensor has its heatmap");
  });

  it("a vega-lite plot carries its spec and a PNG drawn in Node", () => {
    const outs = rich("vegalite");
    assert.equal(outs.length, 1);
    const d = outs[0].data ?? {};
    const spec = d[VEGA_LITE_MIME] as { $schema: string; title: string };
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.equal(spec.title, "loss");
    const png = decodePng(Buffer.from(text(d["image/png"]), "base64"));
    assert.ok(png.width > 300 && png.height > 200, `${png.width}x${png.height}`);
    assert.match(text(d["text/plain"]), /loss — line plot:\n {2}train: 8 points/);
  });

  it("a plotly plot carries its figure and offline HTML", () => {
    const outs = rich("plotly");
    assert.equal(outs.length, 1);
    const d = outs[0].data ?? {};
    const fig = d[PLOTLY_MIME] as { data: { type: string; name: string }[] };
    assert.deepEqual(fig.data.map((t) => [t.type, t.name]), [["scatter", "a"], ["scatter", "b"]]);
    const html = text(d["text/html"]);
    assert.match(html, /window\.Plotly = Plotly/, "the first plotly figure of the session inlines plotly.js");
    assert.doesNotMatch(html, /<script[^>]+src=/, "nothing is loaded from the network");
    assert.match(text(d["text/plain"]), /scatter plot: 5 points/);
  });

  it("a live progress display ends as one output in its final state", () => {
    const outs = outputsOf("progress");
    assert.equal(outs.length, 1, JSON.stringify(outs.map((o) => o.output_type)));
    assert.equal(outs[0].output_type, "display_data");
    assert.match(text(outs[0].data?.["text/plain"]), /^epoch 1\/1 ━+ 100% 40\/40 \[.*\] loss=0\.0250$/);
    assert.match(text(outs[0].data?.["text/html"]), /class="gradlab-progress"/);
  });

  it("fit() in a notebook shows one live progress output and one loss curve, each in its final state", () => {
    const outs = outputsOf("fit");
    const shown = outs.filter((o) => o.output_type === "display_data");
    assert.equal(shown.length, 2, JSON.stringify(outs.map((o) => [o.output_type, text(o.data?.["text/plain"]).slice(0, 60)])));
    assert.match(text(shown[0].data?.["text/plain"]), /^epoch 3\/3 .*100% 12\/12/);
    assert.ok(shown[1].data?.[VEGA_LITE_MIME], "the loss curve is a vega-lite plot");
    assert.match(text(shown[1].data?.["text/plain"]), /loss: 3 points/);
    const result = outs.find((o) => o.output_type === "execute_result");
    assert.equal(text(result?.data?.["text/plain"]), "3");
  });

  it("a display updated from library code ends as one output with the last bundle", () => {
    const outs = outputsOf("update");
    assert.equal(outs.length, 1);
    assert.match(text(outs[0].data?.["text/plain"]), /^after — bar chart/);
  });

  it("an image batch shows as an image grid", () => {
    const [o] = rich("images");
    assert.match(text(o.data?.["text/html"]), /class="gradlab-images"/);
  });

  it("a computation graph comes as SVG and as HTML that survives nbconvert", () => {
    const [o] = rich("graph");
    const svg = text(o.data?.["image/svg+xml"]);
    assert.match(svg, /^<svg [^>]*>/);
    for (const label of [">sum<", ">mul<", ">x<", ">[2, 3]<"]) assert.ok(svg.includes(label), label);
    assert.match(text(o.data?.["text/html"]), /<img src="data:image\/svg\+xml;base64,/);
    assert.equal(text(o.data?.["text/plain"]), "sum []\n└─ mul [2, 3]\n   ├─ x [2, 3]\n   └─ x [2, 3]");
  });

  it("a cell that throws shows its message and stack", () => {
    const outs = outputsOf("throws");
    assert.equal(outs.length, 1);
    const [e] = outs;
    assert.equal(e.output_type, "error");
    assert.equal(e.ename, "Error");
    assert.equal(e.evalue, "deliberate failure in a cell");
    assert.match((e.traceback ?? [])[0], /deliberate failure in a cell/);
    assert.ok((e.traceback ?? []).some((l) => /at deeper/.test(l)), JSON.stringify(e.traceback));
  });

  it("with continue-on-error the cells after the error still run", () => {
    const outs = outputsOf("after-error");
    assert.equal(outs.length, 1);
    assert.equal(text(outs[0].data?.["text/plain"]), "'still running after the error'");
    assert.equal(run.result.ok, true, "allow_errors: the run as a whole succeeds");
  });

  it("nbconvert's HTML keeps the table, the plot's PNG and the error", () => {
    assert.match(run.html, /class="gradlab-tensor"/);
    assert.match(run.html, /<img src="data:image\/png;base64,/);
    assert.match(run.html, /deliberate failure in a cell/);
  });
});
