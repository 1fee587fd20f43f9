import assert from "node:assert/strict";
import fc from "fast-check";
import { gelu, logSoftmax, logsumexp, relu, sigmoid, softmax, softplus, tanh, leakyRelu, tensor, Tensor } from "../../src";
import { assertClose, assertThrowsOp, forEachBackend, itOnJs } from "../helpers";
import { FC, assertGradcheck, gradOf, shapeArb, tensorArb, tensorOfShapeArb } from "./arbitraries";

const f64 = { dtype: "float64" as const };

/** A tensor of rank >= 1 with a dim of it (maybe negative) to work along. */
const withDimArb = (o: { minAbs?: number } = {}) =>
  shapeArb({ minRank: 1 }).chain((s) =>
    fc.tuple(tensorOfShapeArb(s, o), fc.integer({ min: -s.length, max: s.length - 1 })),
  );

/** A tensor of rank >= 1 and a non-empty set of its dims. */
const withDimsArb = shapeArb({ minRank: 1 }).chain((s) =>
  fc.tuple(
    tensorOfShapeArb(s),
    fc.subarray([...s.keys()], { minLength: 1 }),
    fc.boolean(),
  ),
);

forEachBackend("activations", (backend) => {
  const itJs = itOnJs(backend);

  describe("forward values", () => {
    it("relu and leakyRelu", () => {
      assertClose(relu(tensor([-2, -0.5, 0, 0.5, 3])), [0, 0, 0, 0.5, 3]);
      // no silent NaNs: relu passes NaN through, as PyTorch does, on every backend
      assertClose(relu(tensor([NaN, -1])), [NaN, 0]);
      assertClose(tensor([-2, 0, 3]).leakyRelu(), [-0.02, 0, 3]);
      assertClose(leakyRelu(tensor([-2, 0, 3]), 0.2), [-0.4, 0, 3]);
    });

    it("sigmoid: sigmoid(0) = 1/2, sigmoid(1) = 1/(1+1/e), no overflow at +-1000", () => {
      assertClose(sigmoid(tensor([0, 1, -3])), [0.5, 0.7310585786300049, 0.04742587317756678]);
      const big = sigmoid(tensor([1000, -1000]));
      assertClose(big, [1, 0]);
    });

    it("tanh", () => {
      assertClose(tanh(tensor([0, 0.5, -2])), [0, 0.46211715726000974, -0.9640275800758169]);
      assertClose(tanh(tensor([50, -50])), [1, -1]);
    });

    it("gelu is the exact erf form: gelu(1) = 0.8413447460685429", () => {
      assertClose(gelu(tensor([0, 1, -1, 2.5, -3])), [0, 0.8413447460685429, -0.15865525393145707, 2.4844758366855597, -0.00404969409489031]);
      assertClose(tensor([-40, 40]).gelu(), [0, 40]);
    });

    it("softplus: softplus(0) = ln 2, linear for large x, tiny for very negative x", () => {
      assertClose(softplus(tensor([0, 1, -3])), [Math.LN2, 1.3132616875182228, 0.04858735157374206]);
      assertClose(softplus(tensor([100, 1000])), [100, 1000]);
      assert.ok(softplus(tensor([-100])).item() >= 0);
    });

    it("softmax and logSoftmax along the last dim and along dim 0", () => {
      assertClose(softmax(tensor([1, 2, 3])), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
      assertClose(logSoftmax(tensor([1, 2, 3])), [-2.40760596444438, -1.40760596444438, -0.40760596444438]);
      const m = tensor([[1, -2, 0.5], [3, 3, -1]]);
      assertClose(m.softmax(0), [[0.11920292202211755, 0.0066928509242848554, 0.8175744761936437], [0.8807970779778823, 0.9933071490757153, 0.18242552380635635]]);
      assertClose(m.softmax(-1).sum(-1), [1, 1]);
      assertClose(m.logSoftmax(0).exp(), m.softmax(0));
    });

    it("softmax is stable for large inputs and exact for equal ones", () => {
      assertClose(softmax(tensor([1000, 1000])), [0.5, 0.5]);
      assertClose(softmax(tensor([-1000, 0, 1000])), [0, 0, 1]);
      assertClose(logSoftmax(tensor([1000, 0])), [0, -1000]);
      // a masked entry (-inf) gets probability 0
      assertClose(softmax(tensor([0, -Infinity, 0])), [0.5, 0, 0.5]);
    });

    it("logsumexp over one dim, several dims, with keepDim", () => {
      const m = tensor([[1, -2, 0.5], [3, 3, -1]]);
      assertClose(logsumexp(tensor([1, 2, 3]), 0), 3.40760596444438);
      assertClose(m.logsumexp(1), [1.5045968952139643, 3.702263321423236]);
      assertClose(m.logsumexp(-2), [3.1269280110429727, 3.0067153484891343, 0.7014132779827524]);
      assertClose(m.logsumexp([0, 1]), 3.8075796617049136);
      assertClose(m.logsumexp(1, true), [[1.5045968952139643], [3.702263321423236]]);
      assertClose(m.logsumexp([0, 1], true), [[3.8075796617049136]]);
    });

    it("logsumexp does not overflow, and gives -inf for all -inf and inf for inf, as PyTorch does", () => {
      assertClose(logsumexp(tensor([1000, 1000]), 0), 1000 + Math.LN2, { rtol: 1e-6 });
      assertClose(logsumexp(tensor([-1000, -1000]), 0), -1000 + Math.LN2, { rtol: 1e-6 });
      assertClose(logsumexp(tensor([[-Infinity, -Infinity], [0, -Infinity]]), 1), [-Infinity, 0]);
      assertClose(logsumexp(tensor([Infinity, 1]), 0), Infinity);
    });

    it("bad dims name the op", () => {
      assertThrowsOp(() => tensor([[1, 2]]).softmax(2), "softmax", "dim 2");
      assertThrowsOp(() => tensor([[1, 2]]).logSoftmax(-3), "logSoftmax", "dim -3");
      assertThrowsOp(() => tensor([[1, 2]]).logsumexp(5), "logsumexp", "dim 5");
    });

    itJs("float64: gelu, sigmoid, softplus to full precision", () => {
      assertClose(gelu(tensor([1, -1], f64)), [0.8413447460685429, -0.15865525393145707], { rtol: 1e-15 });
      assertClose(sigmoid(tensor([1], f64)), [0.7310585786300049], { rtol: 1e-15 });
      assertClose(softplus(tensor([0, -100], f64)), [Math.LN2, 3.720075976020836e-44], { rtol: 1e-15, atol: 0 });
    });
  });

  describe("gradients", () => {
    it("known values: relu' is a step, sigmoid'(0) = 1/4, tanh'(0) = 1, softplus'(0) = 1/2, gelu'(0) = 1/2", () => {
      const x = tensor([-1, 2], { requiresGrad: true });
      x.relu().sum().backward();
      assertClose(x.grad!, [0, 1]);
      const z = () => tensor([0], { requiresGrad: true });
      const cases: [(t: Tensor) => Tensor, number][] = [[sigmoid, 0.25], [tanh, 1], [softplus, 0.5], [gelu, 0.5]];
      for (const [f, d] of cases) {
        const t = z();
        f(t).sum().backward();
        assertClose(t.grad!, [d]);
      }
      // leakyRelu: slope for x <= 0 (at 0 too, as in PyTorch)
      const n = tensor([-3, 0, 2], { requiresGrad: true });
      n.leakyRelu(0.1).sum().backward();
      assertClose(n.grad!, [0.1, 0.1, 1]);
    });

    it("the gradient of sum(softmax) is 0 (the outputs always add up to 1)", () => {
      const x = tensor([[1, 2, 3], [0, -1, 5]], { requiresGrad: true });
      x.softmax(-1).sum().backward();
      assertClose(x.grad!, [[0, 0, 0], [0, 0, 0]], { atol: 1e-6 });
    });

    it("the gradient of cross-entropy -logSoftmax(x)[target] is softmax(x) - onehot", () => {
      const x = tensor([1, 2, 3], { requiresGrad: true });
      x.logSoftmax().mul(tensor([0, -1, 0])).sum().backward();
      assertClose(x.grad!, [0.09003057317038046, 0.24472847105479764 - 1, 0.6652409557748219]);
    });

    it("logsumexp's gradient is the softmax", () => {
      const x = tensor([[1, 2, 3], [3, 0, -2]], { requiresGrad: true });
      x.logsumexp(1).sum().backward();
      assertClose(x.grad!, x.detach().softmax(1));
    });

    itJs("relu, leakyRelu: gradcheck away from the kink", () => {
      fc.assert(
        fc.property(tensorArb({ minAbs: 0.1 }), (x) => {
          assertGradcheck(relu, [x]);
          assertGradcheck((t) => t.leakyRelu(), [x]);
          assertGradcheck((t) => t.leakyRelu(0.3), [x]);
        }),
        FC,
      );
    });

    itJs("sigmoid, tanh, gelu, softplus: gradcheck on views of random shapes", () => {
      fc.assert(
        fc.property(tensorArb({ min: -4, max: 4 }), (x) => {
          assertGradcheck(sigmoid, [x]);
          assertGradcheck(tanh, [x]);
          assertGradcheck(gelu, [x]);
          assertGradcheck(softplus, [x]);
        }),
        FC,
      );
    });

    itJs("softmax, logSoftmax: gradcheck along a random dim", () => {
      fc.assert(
        fc.property(withDimArb(), ([x, d]) => {
          assertGradcheck((t) => t.softmax(d), [x]);
          assertGradcheck((t) => t.logSoftmax(d), [x]);
        }),
        FC,
      );
    });

    itJs("logsumexp: gradcheck over random sets of dims, with and without keepDim", () => {
      fc.assert(
        fc.property(withDimsArb, ([x, dims, keep]) => {
          const y = x.logsumexp(dims, keep);
          assert.equal(y.ndim, keep ? x.ndim : x.ndim - dims.length);
          assertGradcheck((t) => t.logsumexp(dims, keep), [x]);
        }),
        FC,
      );
    });

    itJs("double backward: tanh, sigmoid, gelu, softplus, softmax, logSoftmax", () => {
      fc.assert(
        fc.property(withDimArb(), ([x, d]) => {
          const w = x.detach().cos(); // weights, so the second derivative is not a plain sum
          assertGradcheck(gradOf(tanh, 0, w), [x]);
          assertGradcheck(gradOf(sigmoid, 0, w), [x]);
          assertGradcheck(gradOf(gelu, 0, w), [x]);
          assertGradcheck(gradOf(softplus, 0, w), [x]);
          assertGradcheck(gradOf((t) => t.softmax(d), 0, w), [x]);
          assertGradcheck(gradOf((t) => t.logSoftmax(d), 0, w), [x]);
          assertGradcheck(gradOf((t) => t.logsumexp(d), 0), [x]);
        }),
        { ...FC, numRuns: 10 },
      );
    });

    itJs("second derivative values: tanh'' = -2 tanh (1 - tanh^2), sigmoid'' = s (1-s)(1-2s)", () => {
      const x = tensor([0.3, -1.2], { ...f64, requiresGrad: true });
      const tt = x.detach().tanh();
      const hx = gradOf((t) => gradOf(tanh)(t))(x);
      assertClose(hx, tt.mul(-2).mul(tt.square().neg().add(1)));
      const s = x.detach().sigmoid();
      assertClose(gradOf((t) => gradOf(sigmoid)(t))(x), s.mul(s.neg().add(1)).mul(s.mul(-2).add(1)));
    });
  });
});
