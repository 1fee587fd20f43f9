import assert from "node:assert/strict";
import { DISPLAY, nn, tensor, ConfusionMatrix, manualSeed, History } from "../../src";
import { VEGA_LITE_MIME } from "../../src/display/vega";

/** What a notebook shows for the library's objects: each has a rich bundle and a plain-text form. */
describe("rich display of library objects", () => {
  it("a Module shows its layers, settings and parameter counts", () => {
    manualSeed(0);
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    const b = m[DISPLAY]();
    assert.equal(b["text/plain"], m.toString());
    const html = String(b["text/html"]);
    assert.match(html, /13 parameters \(13 trainable\)/);
    // layer 0: 2*3 + 3 = 9 parameters, layer 2: 3 + 1 = 4
    assert.match(html, /<td[^>]*>0<\/td><td[^>]*>Linear<\/td><td[^>]*>[^<]*<\/td><td[^>]*>9<\/td>/);
    assert.match(html, /<td[^>]*>2<\/td><td[^>]*>Linear<\/td><td[^>]*>[^<]*<\/td><td[^>]*>4<\/td>/);
  });

  it("nn.summary shows output shapes as an HTML table", () => {
    const m = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 2));
    const s = nn.summary(m, [1, 8, 8]); // without the batch dimension, as in Keras
    const html = String(s[DISPLAY]()["text/html"]);
    assert.match(html, /\[None, 4, 6, 6\]/);
    assert.match(html, /\[None, 2\]/);
    assert.equal(s[DISPLAY]()["text/plain"], s.text);
  });

  it("a confusion matrix is an annotated heatmap with the counts as text", () => {
    const cm = ConfusionMatrix.from(tensor([0, 1, 1, 1], { dtype: "int32" }), tensor([0, 1, 0, 1], { dtype: "int32" }), 2, { classNames: ["cat", "dog"] });
    const b = cm[DISPLAY]();
    assert.ok(b[VEGA_LITE_MIME], "a vega-lite heatmap");
    assert.ok(String(b["image/png"]).length > 100, "with a PNG fallback");
    assert.match(String(b["text/plain"]), /cat\s+1\s+1/);
    assert.match(JSON.stringify(b[VEGA_LITE_MIME]), /accuracy 75\.00%/);
  });

  it("a History shows its loss curves", () => {
    const h = new History();
    h.record(0, { loss: 1, valLoss: 1.2 });
    h.record(1, { loss: 0.5, valLoss: 0.8 });
    const b = h[DISPLAY]();
    assert.ok(b[VEGA_LITE_MIME]);
    assert.match(String(b["text/plain"]), /epoch\s+loss\s+valLoss/);
  });
});
