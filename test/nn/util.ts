import assert from "node:assert/strict";
import { gradcheck, Tensor } from "../../src";
import type { AnyModule } from "../../src/nn/module";

/** Sets the field at a dotted path ("fc1.weight", "layers.0.bias") to t; returns what was there. */
function swap(m: AnyModule, path: string, t: Tensor): Tensor {
  const parts = path.split(".");
  let obj = m as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
  const last = parts[parts.length - 1];
  const old = obj[last] as Tensor;
  obj[last] = t;
  return old;
}

/**
 * Gradient check of a module (made float64 with .double()) with respect to
 * its float inputs and every one of its parameters: the parameters are
 * swapped for gradcheck's probe tensors while it runs.
 */
export function gradcheckModule(m: AnyModule, inputs: Tensor[], call: (...xs: Tensor[]) => Tensor, tol = 1e-6): void {
  const named = m.namedParameters();
  const floatInputs = inputs.filter((x) => x.dtype === "float64");
  const fn = (...ts: Tensor[]) => {
    const olds = named.map(([n], i) => swap(m, n, ts[i]));
    try {
      let k = named.length;
      return call(...inputs.map((x) => (x.dtype === "float64" ? ts[k++] : x)));
    } finally {
      named.forEach(([n], i) => swap(m, n, olds[i]));
    }
  };
  const r = gradcheck(fn, [...named.map(([, p]) => p.detach()), ...floatInputs], { tol });
  const names = [...named.map(([n]) => n), ...floatInputs.map((_, i) => `input ${i}`)];
  for (const rep of r.inputs) {
    assert.ok(rep.maxRelError < tol, `${names[rep.index]}: relative error ${rep.maxRelError} at ${rep.at} (analytic ${rep.analytic}, numeric ${rep.numeric})`);
  }
}
