import assert from "node:assert/strict";
import { inspect } from "node:util";
import { arange, linspace, printOptions, setPrintOptions, tensor, zeros } from "../../src";
import { forEachBackend } from "../helpers";

/** The expected strings are what PyTorch prints for the same values (with its dtype names swapped for ours). */
forEachBackend("printing", (backend) => {
  const show = (x: { toString(): string }) => String(x);

  it("whole-number floats print as '1.', others with 4 decimals, right-aligned", () => {
    assert.equal(show(tensor([1, 2, 3])), "tensor([1., 2., 3.])");
    assert.equal(show(tensor([1.5, -2, 3])), "tensor([ 1.5000, -2.0000,  3.0000])");
    assert.equal(show(tensor([-0.5])), "tensor([-0.5000])");
    assert.equal(show(tensor([0, 0])), "tensor([0., 0.])");
  });

  it("0-d tensors", () => {
    assert.equal(show(tensor(3.5)), "tensor(3.5000)");
    assert.equal(show(tensor(3)), "tensor(3.)");
    assert.equal(show(tensor(7, { dtype: "int32" })), "tensor(7)");
  });

  it("2-D and 3-D: rows aligned under each other, a blank line between blocks", () => {
    assert.equal(show(tensor([[1, -2], [3, 4]])), "tensor([[ 1., -2.],\n        [ 3.,  4.]])");
    assert.equal(
      show(tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])),
      "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])",
    );
  });

  it("scientific notation when values span more than 1e3, exceed 1e8 or go below 1e-4", () => {
    assert.equal(show(tensor([1e-5, 100])), "tensor([1.0000e-05, 1.0000e+02])");
    assert.equal(show(tensor([1, 2000])), "tensor([1.0000e+00, 2.0000e+03])");
    assert.equal(show(tensor([123456789, 1])), "tensor([1.2346e+08, 1.0000e+00])");
    assert.equal(show(tensor([-2e-7])), "tensor([-2.0000e-07])");
    assert.equal(show(tensor([1, 999])), "tensor([  1., 999.])");
  });

  it("nan and inf", () => {
    assert.equal(show(tensor([NaN, 1, Infinity])), "tensor([nan,  1., inf])");
    assert.equal(show(tensor([NaN, 1.5, -Infinity])), "tensor([   nan, 1.5000,   -inf])");
  });

  it("ints and bools without decimals; only non-default dtypes are named", () => {
    assert.equal(show(arange(5)), "tensor([0, 1, 2, 3, 4])");
    assert.equal(show(tensor([-10, 5], { dtype: "int32" })), "tensor([-10,   5])");
    assert.equal(show(tensor([true, false])), "tensor([ true, false])");
    if (backend === "js") assert.equal(show(tensor([1, 2.5], { dtype: "float64" })), "tensor([1.0000, 2.5000], dtype=float64)");
  });

  it("empty tensors give their size unless 1-D", () => {
    assert.equal(show(tensor([])), "tensor([])");
    assert.equal(show(zeros([0, 3])), "tensor([], size=[0, 3])");
  });

  it("requiresGrad and the op that made a tensor", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    assert.equal(show(x), "tensor([1., 2.], requiresGrad=true)");
    assert.equal(show(x.mul(2)), "tensor([2., 4.], gradFn=mul)");
    assert.equal(show(x.detach()), "tensor([1., 2.])");
  });

  it("long rows wrap at 80 columns, a fixed number of items per line", () => {
    const lines = show(linspace(0, 1, 30)).split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[0], "tensor([0.0000, 0.0345, 0.0690, 0.1034, 0.1379, 0.1724, 0.2069, 0.2414, 0.2759,");
    assert.equal(lines[1], "        0.3103, 0.3448, 0.3793, 0.4138, 0.4483, 0.4828, 0.5172, 0.5517, 0.5862,");
    assert.equal(lines[3], "        0.9310, 0.9655, 1.0000])");
    for (const l of lines) assert.ok(l.length <= 80);
  });

  it("more than 1000 elements: the first and last 3 of each dim, '...' between", () => {
    assert.equal(show(arange(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    assert.equal(
      show(arange(3000).reshape(30, 100)),
      [
        "tensor([[   0,    1,    2,  ...,   97,   98,   99],",
        "        [ 100,  101,  102,  ...,  197,  198,  199],",
        "        [ 200,  201,  202,  ...,  297,  298,  299],",
        "        ...,",
        "        [2700, 2701, 2702,  ..., 2797, 2798, 2799],",
        "        [2800, 2801, 2802,  ..., 2897, 2898, 2899],",
        "        [2900, 2901, 2902,  ..., 2997, 2998, 2999]])",
      ].join("\n"),
    );
    // the number format is chosen from the shown values only
    assert.equal(show(arange(2000).float().div(4).add(1)), "tensor([  1.0000,   1.2500,   1.5000,  ..., 500.2500, 500.5000, 500.7500])");
    // ... and may need scientific notation (0.001 to 1.999 spans more than 1e3), which wraps
    assert.equal(
      show(arange(2000).float().div(1000)),
      "tensor([0.0000e+00, 1.0000e-03, 2.0000e-03,  ..., 1.9970e+00, 1.9980e+00,\n        1.9990e+00])",
    );
    // small tensors are never summarized
    assert.ok(!show(arange(1000)).includes("..."));
  });

  it("setPrintOptions changes precision, threshold and edge items", () => {
    const saved = { ...printOptions };
    try {
      setPrintOptions({ precision: 2 });
      assert.equal(show(tensor([1.2345])), "tensor([1.23])");
      setPrintOptions({ threshold: 5, edgeItems: 1 });
      assert.equal(show(arange(6)), "tensor([0,  ..., 5])");
    } finally {
      setPrintOptions(saved);
    }
  });

  it("console.log and template strings show the same text", () => {
    const x = tensor([[1, 2]]);
    assert.equal(inspect(x), show(x));
    assert.equal(`${x}`, show(x));
  });

  it("views print their logical order", () => {
    assert.equal(show(tensor([[1, 2, 3], [4, 5, 6]]).t()), "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
  });
});
