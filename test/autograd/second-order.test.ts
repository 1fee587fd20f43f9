import assert from "node:assert/strict";
import fc from "fast-check";
import { autograd, Generator, randn, randint, tensor, Tensor } from "../../src";
import { assertClose, forEachBackend, itOnJs } from "../helpers";
import { FC } from "../ops/arbitraries";

const f64 = { dtype: "float64" as const };

interface Problem {
  params: Tensor[];
  loss: (params: Tensor[]) => Tensor;
}

/**
 * A 2-layer tanh MLP on a small random batch, with softmax cross-entropy
 * (or MSE) written out with ops: everything a Hessian-vector product has to
 * differentiate twice (matmul, broadcasting add, tanh, logSoftmax, mean).
 */
function mlp(seed: number, sizes: { n: number; din: number; hidden: number; classes: number }, kind: "xent" | "mse"): Problem {
  const gen = new Generator(seed);
  const { n, din, hidden, classes } = sizes;
  const x = randn([n, din], { ...f64, generator: gen });
  const labels = randint(0, classes, [n], { generator: gen });
  const onehot = labels.reshape([n, 1]).eq(tensor([...Array(classes).keys()], { dtype: "int32" })).double();
  const target = randn([n, classes], { ...f64, generator: gen });
  const params = [
    randn([din, hidden], { ...f64, generator: gen }).mul(0.8),
    randn([hidden], { ...f64, generator: gen }).mul(0.3),
    randn([hidden, classes], { ...f64, generator: gen }).mul(0.8),
    randn([classes], { ...f64, generator: gen }).mul(0.3),
  ];
  const loss = ([w1, b1, w2, b2]: Tensor[]) => {
    const logits = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
    if (kind === "xent") return logits.logSoftmax(1).mul(onehot).sum(1).neg().mean();
    const d = logits.sub(target);
    return d.mul(d).mean();
  };
  return { params, loss };
}

const leaves = (ps: Tensor[]) => ps.map((p) => p.detach().requiresGrad_(true));

function gradient(p: Problem, at: Tensor[]): Tensor[] {
  const ls = leaves(at);
  return autograd.grad(p.loss(ls), ls).map((g) => g!);
}

/** H v by double backward: grad of <grad L, v>. */
function hvp(p: Problem, v: Tensor[]): Tensor[] {
  const ls = leaves(p.params);
  const g = autograd.grad(p.loss(ls), ls, { createGraph: true });
  const dot = g.map((gi, i) => gi!.mul(v[i]).sum()).reduce((a, b) => a.add(b));
  return autograd.grad(dot, ls).map((h) => h!);
}

/** H v by central differences of the gradient along v. */
function hvpNumeric(p: Problem, v: Tensor[], eps = 1e-5): Tensor[] {
  const plus = gradient(p, p.params.map((q, i) => q.add(v[i].mul(eps))));
  const minus = gradient(p, p.params.map((q, i) => q.sub(v[i].mul(eps))));
  return plus.map((g, i) => g.sub(minus[i]).div(2 * eps));
}

function worstRelError(a: Tensor[], b: Tensor[]): number {
  let worst = 0;
  a.forEach((t, i) => {
    const x = t.values(), y = b[i].values();
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - y[j]) / Math.max(1, Math.abs(x[j]), Math.abs(y[j])));
  });
  return worst;
}

forEachBackend("second-order autograd", (backend) => {
  const itJs = itOnJs(backend);

  itJs("Hessian-vector products of an MLP's loss agree with finite differences of its gradient", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.record({ n: fc.integer({ min: 1, max: 5 }), din: fc.integer({ min: 1, max: 4 }), hidden: fc.integer({ min: 1, max: 5 }), classes: fc.integer({ min: 2, max: 4 }) }),
        fc.constantFrom("xent" as const, "mse" as const),
        (seed, sizes, kind) => {
          const p = mlp(seed, sizes, kind);
          const gen = new Generator(seed + 1);
          const v = p.params.map((q) => randn(q.shape, { ...f64, generator: gen }));
          const analytic = hvp(p, v);
          const numeric = hvpNumeric(p, v);
          const err = worstRelError(analytic, numeric);
          assert.ok(err < 1e-6, `${kind} ${JSON.stringify(sizes)}: worst relative error ${err}`);
          // and it is not trivially zero
          assert.ok(analytic.some((h) => h.abs().max().item() > 1e-6));
        },
      ),
      { ...FC, numRuns: 15 },
    );
  });

  itJs("the Hessian is symmetric: u.Hv = v.Hu", () => {
    const p = mlp(7, { n: 4, din: 3, hidden: 4, classes: 3 }, "xent");
    const gen = new Generator(8);
    const u = p.params.map((q) => randn(q.shape, { ...f64, generator: gen }));
    const v = p.params.map((q) => randn(q.shape, { ...f64, generator: gen }));
    const dot = (a: Tensor[], b: Tensor[]) => a.reduce((s, t, i) => s + t.mul(b[i]).sum().item(), 0);
    const uHv = dot(u, hvp(p, v));
    const vHu = dot(v, hvp(p, u));
    assert.ok(Math.abs(uHv - vHu) < 1e-10 * Math.max(1, Math.abs(uHv)), `${uHv} vs ${vHu}`);
  });

  itJs("the full Hessian of a tiny problem, column by column, matches finite differences", () => {
    const p = mlp(3, { n: 3, din: 2, hidden: 2, classes: 2 }, "xent");
    const sizes = p.params.map((q) => q.numel());
    const total = sizes.reduce((a, b) => a + b, 0);
    for (let k = 0; k < total; k++) {
      // the k-th unit vector, split over the parameters
      let at = k;
      const e = p.params.map((q) => {
        const v = new Float64Array(q.numel());
        if (at >= 0 && at < v.length) v[at] = 1;
        at -= v.length;
        return Tensor.fromTyped(v, q.shape);
      });
      assert.ok(worstRelError(hvp(p, e), hvpNumeric(p, e)) < 1e-6, `column ${k}`);
    }
  });

  it("backward with createGraph leaves a differentiable .grad; a second backward accumulates, as in PyTorch", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.pow(3).sum().backward(undefined, { createGraph: true });
    assertClose(x.grad!, [3, 12]);
    assert.ok(x.grad!.requiresGrad);
    const g = x.grad!;
    g.sum().backward(); // d/dx sum(3x^2) = 6x, added to the 3x^2 already there
    assertClose(x.grad!, [3 + 6, 12 + 12]);
  });

  it("third derivative: d3/dx3 sin(x) = -cos(x)", () => {
    const x = tensor([0.3, 1.1], { requiresGrad: true });
    const [g1] = autograd.grad(x.sin().sum(), x, { createGraph: true });
    const [g2] = autograd.grad(g1!.sum(), x, { createGraph: true });
    const [g3] = autograd.grad(g2!.sum(), x);
    assertClose(g3!, [-Math.cos(0.3), -Math.cos(1.1)]);
  });

  it("gradient penalty: d/dw of the squared norm of d(w.x)^2/dx matches its closed form", () => {
    // f(x) = (w.x)^2, grad_x f = 2 (w.x) w, ||grad||^2 = 4 (w.x)^2 |w|^2
    // d/dw of that = 8 (w.x) |w|^2 x + 8 (w.x)^2 w
    const wv = [0.5, -1, 2], xv = [1, 2, -0.5];
    const w = tensor(wv, { requiresGrad: true });
    const x = tensor(xv, { requiresGrad: true });
    const f = w.mul(x).sum().square();
    const [gx] = autograd.grad(f, x, { createGraph: true });
    const penalty = gx!.square().sum();
    const [gw] = autograd.grad(penalty, w);
    const wx = wv.reduce((s, a, i) => s + a * xv[i], 0);
    const w2 = wv.reduce((s, a) => s + a * a, 0);
    assertClose(gw!, wv.map((wi, i) => 8 * wx * w2 * xv[i] + 8 * wx * wx * wi), { rtol: 1e-5 });
  });
});
