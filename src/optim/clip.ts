import { noGrad } from "../autograd/mode";
import { fail } from "../errors";
import { Tensor } from "../tensor/tensor";

function withGrads(params: Iterable<Tensor>): Tensor[] {
  return [...params].filter((p) => p.grad !== null);
}

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (the gradients exploded) instead of scaling by NaN. */
  errorIfNonfinite?: boolean;
}

/**
 * Rescales the gradients so that their total norm (all of them seen as one
 * long vector) is at most maxNorm; the direction is kept. The cure for
 * exploding gradients in RNNs. Returns the total norm before clipping.
 *
 * A gradient tensor may be shared (backward hands the same gradient to both
 * inputs of an add), so each .grad is replaced, never scaled in place.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): number {
  if (!(maxNorm >= 0)) fail("clipGradNorm", `maxNorm must be non-negative, got ${maxNorm}`);
  if (!(normType > 0)) fail("clipGradNorm", `normType must be positive (or Infinity), got ${normType}`);
  const ps = withGrads(params);
  if (ps.length === 0) return 0;
  return noGrad(() => {
    let total: number;
    if (normType === Infinity) {
      total = Math.max(...ps.map((p) => p.grad!.abs().max().item()));
    } else {
      let s = 0;
      for (const p of ps) {
        const g = p.grad!.abs();
        s += (normType === 2 ? g.mul(g) : normType === 1 ? g : g.pow(normType)).sum().item();
      }
      total = s ** (1 / normType);
    }
    if (!Number.isFinite(total) && opts.errorIfNonfinite) {
      fail("clipGradNorm", `the total norm of the gradients is ${total}; the gradients exploded (try a smaller lr, or find the NaN with detectAnomaly())`);
    }
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const p of ps) p.grad = p.grad!.mul(coef);
    return total;
  });
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) fail("clipGradValue", `clipValue must be non-negative, got ${clipValue}`);
  noGrad(() => {
    for (const p of withGrads(params)) p.grad = p.grad!.clamp(-clipValue, clipValue);
  });
}
