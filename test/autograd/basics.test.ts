import assert from "node:assert/strict";
import { gradcheck, randn, tensor } from "../../src";
import { assertClose, forEachBackend, itOnJs } from "../helpers";

forEachBackend("autograd basics", (backend) => {
  it("d(sum(x*x))/dx = 2x", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    x.mul(x).sum().backward();
    assertClose(x.grad!, [[2, 4, 6], [8, 10, 12]]);
  });

  it("a tensor used twice gets both gradients (accumulation)", () => {
    const x = tensor([3], { requiresGrad: true });
    const y = x.mul(2).add(x.mul(x)); // 2x + x^2 -> 2 + 2x = 8
    y.sum().backward();
    assertClose(x.grad!, [8]);
  });

  itOnJs(backend)("gradcheck agrees with autograd for matmul + tanh", () => {
    const r = gradcheck((a, b) => a.matmul(b).tanh(), [randn([4, 3], { dtype: "float64" }), randn([3, 5], { dtype: "float64" })]);
    assert.ok(r.ok, JSON.stringify(r));
  });
});
