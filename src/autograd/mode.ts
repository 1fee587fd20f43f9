/**
 * Global switches of the autograd engine: whether ops record a graph, and
 * whether every op checks its results for NaN and Inf.
 */
let gradEnabled = true;
let anomaly = false;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph (evaluation, optimizer steps), then restores the mode. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Anomaly mode: every op checks its output (and, in backward, every gradient
 * it produces) for NaN and Inf, and throws naming the op and where it was
 * called. Slow; for debugging a training run that went NaN.
 */
export function detectAnomaly(on = true): void {
  anomaly = on;
}

export function isAnomalyEnabled(): boolean {
  return anomaly;
}

/**
 * The op whose backward rule is running. A rule is built from other ops, so
 * when one of those produces NaN or Inf the message names the op being
 * differentiated (sqrt's gradient at 0), not the div inside its rule.
 */
let backwardOf: string | null = null;

export function currentBackwardOf(): string | null {
  return backwardOf;
}

export function inBackwardOf<T>(opName: string, fn: () => T): T {
  const prev = backwardOf;
  backwardOf = opName;
  try {
    return fn();
  } finally {
    backwardOf = prev;
  }
}
