import { fail } from "../errors";
import { Generator } from "../tensor/random";
import { Tensor } from "../tensor/tensor";
import { grad } from "./grad";

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** The check passes when every input's worst error is below this. */
  tol?: number;
  /** Seed of the random projection used for non-scalar outputs. */
  seed?: number;
}

export interface GradcheckInputReport {
  index: number;
  /** Worst |analytic - numeric| / max(1, |analytic|, |numeric|) over the input's elements. */
  maxRelError: number;
  /** Flat position of that worst element. */
  at: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  inputs: GradcheckInputReport[];
}

/**
 * Compares the gradient autograd computes with central differences,
 *   df/dx_j ~ (f(x + eps e_j) - f(x - eps e_j)) / (2 eps),
 * in float64 (in float32 the rounding error of f swamps the difference).
 * A non-scalar f is reduced to sum(f * v) for a fixed random v, which checks
 * the whole Jacobian-vector product at once.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  const tol = opts.tol ?? 1e-6;
  inputs.forEach((x, i) => {
    if (x.dtype !== "float64") fail("gradcheck", `input ${i} is ${x.dtype}; gradient checks run in float64 (pass x.double())`);
  });
  const leaves = inputs.map((x) => x.detach().requiresGrad_(true));
  const probe = fn(...leaves);
  const gen = new Generator(opts.seed ?? 1234);
  const v = Tensor.randn(probe.shape, { dtype: "float64", generator: gen, backend: probe.backend.name });
  const scalar = (...xs: Tensor[]) => fn(...xs).mul(v).sum();

  const analytic = grad(scalar(...leaves), leaves, { allowUnused: true });
  const reports = leaves.map((x, i) => {
    const a = analytic[i]?.values() ?? new Float64Array(x.numel());
    const base = x.values();
    const report: GradcheckInputReport = { index: i, maxRelError: 0, at: -1, analytic: 0, numeric: 0 };
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number) => {
        const moved = base.slice();
        moved[j] += delta;
        const xs = leaves.map((l, k) => (k === i ? Tensor.fromTyped(moved, x.shape, { backend: x.backend.name }) : l.detach()));
        return scalar(...xs).item();
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const err = Math.abs(a[j] - numeric) / Math.max(1, Math.abs(a[j]), Math.abs(numeric));
      if (err > report.maxRelError || Number.isNaN(err)) Object.assign(report, { maxRelError: err, at: j, analytic: a[j], numeric });
    }
    return report;
  });
  return { ok: reports.every((r) => r.maxRelError < tol), inputs: reports };
}
