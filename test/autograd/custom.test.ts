import assert from "node:assert/strict";
import { autograd, gradcheck, randn, tensor, noGrad } from "../../src";
import { assertClose, forEachBackend, itOnJs } from "../helpers";

const cube = autograd.defineOp({
  name: "cube",
  forward(ctx, x) {
    ctx.save(x);
    return x.mul(x).mul(x);
  },
  backward(ctx, g) {
    const [x] = ctx.saved;
    return [g.mul(x.mul(x)).mul(3)];
  },
});

/** Two inputs, one broadcast: the engine sums the gradient back to b's shape. */
const scaledAdd = autograd.defineOp({
  name: "scaledAdd",
  forward(_ctx, a, b) {
    return a.mul(2).add(b);
  },
  backward(_ctx, g) {
    return [g.mul(2), g];
  },
});

forEachBackend("autograd.defineOp", () => {
  it("forward gives the op's value and backward its gradient (d x^3 = 3x^2)", () => {
    const x = tensor([1, 2, -3], { requiresGrad: true });
    const y = cube(x);
    assertClose(y, [1, 8, -27]);
    y.sum().backward();
    assertClose(x.grad!, [3, 12, 27]);
  });

  it("is one node of the graph, named after the op", () => {
    const x = tensor([2], { requiresGrad: true });
    const y = cube(x);
    assert.equal(y.gradFn?.op.name, "cube");
    assert.deepEqual(y.gradFn?.inputs, [x]);
  });

  it("composes with built-in ops, and a gradient of a broadcast input is summed to its shape", () => {
    const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const b = tensor([10, 20], { requiresGrad: true });
    scaledAdd(a, b).tanh().sum().backward();
    const t = a.detach().mul(2).add(b.detach()).tanh();
    const dt = t.mul(t).neg().add(1);
    assertClose(a.grad!, dt.mul(2).toArray() as number[][], { atol: 1e-5 });
    assertClose(b.grad!, dt.sum(0).toArray() as number[], { atol: 1e-5 });
  });

  it("records no graph inside forward, and none at all under noGrad", () => {
    const x = tensor([2], { requiresGrad: true });
    const y = noGrad(() => cube(x));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
  });

  it("an op returning its input as is still gives a separate output", () => {
    const ident = autograd.defineOp({ name: "ident", forward: (_c, x) => x, backward: (_c, g) => [g] });
    const x = tensor([1, 2], { requiresGrad: true });
    const y = ident(x);
    assert.equal(y.backend.sharesMemory(y.data, x.data), false);
    y.mul(tensor([3, 4])).sum().backward();
    assertClose(x.grad!, [3, 4]);
  });

  it("errors name the op: a wrong number of gradients, a gradient of the wrong shape, a non-tensor", () => {
    const few = autograd.defineOp({ name: "few", forward: (_c, a, b) => a.add(b), backward: (_c, g) => [g] });
    assert.throws(() => few(tensor([1], { requiresGrad: true }), tensor([2], { requiresGrad: true })).sum().backward(), /few \(backward\).*1 gradient\(s\) for 2 input/);
    const wrong = autograd.defineOp({ name: "wrongShape", forward: (_c, a) => a.mul(2), backward: (_c, g) => [g.reshape(-1).slice(0, 0, 1)] });
    assert.throws(() => wrong(tensor([[1, 2]], { requiresGrad: true })).sum().backward(), /wrongShape \(backward\).*shape/);
    const bad = autograd.defineOp({ name: "bad", forward: () => 3 as never, backward: (_c, g) => [g] });
    assert.throws(() => bad(tensor([1])), /bad: forward must return a Tensor/);
    assert.throws(() => autograd.defineOp({ name: "", forward: (_c, x) => x, backward: (_c, g) => [g] }), /defineOp: the op needs a name/);
  });

  itOnJs("cube")("passes gradcheck, and its gradient is differentiable again (createGraph)", () => {
    const r = gradcheck((x) => cube(x), [randn([3, 2], { dtype: "float64" })]);
    assert.ok(r.ok, JSON.stringify(r));
    const x = tensor([2], { requiresGrad: true, dtype: "float64" });
    const [g] = autograd.grad(cube(x).sum(), x, { createGraph: true });
    const [h] = autograd.grad(g!.sum(), x);
    assertClose(h!, [12]);   // d²(x³)/dx² = 6x
  });
});

describe("autograd.defineOp, saved tensors", () => {
  it("a saved input keeps its graph: the gradient of a saved-input backward is differentiable", () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    const [g] = autograd.grad(cube(x).sum(), x, { createGraph: true });
    const [h] = autograd.grad(g!.sum(), x);
    assertClose(h!, [-6, 0, 12]);
  });

  it("a saved tensor changed in place after forward is an error naming the op", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const base = x.mul(1);
    const y = cube(base);
    noGrad(() => base.mul_(2));
    assert.throws(() => y.sum().backward(), /cube \(backward\): saved tensor 0 .* modified in place/);
  });
});
