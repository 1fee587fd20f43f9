import { fail } from "../errors";
import { Generator, defaultGenerator } from "../tensor/random";
import { Tensor } from "../tensor/tensor";

/** A synthetic classification set: features [N, F] float32, labels [N] int32. */
export interface Classification {
  x: Tensor;
  y: Tensor;
}

const generatorFor = (seed: number | undefined): Generator => (seed === undefined ? defaultGenerator : new Generator(seed));

function checkCount(op: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) fail(op, `${name} must be an integer >= ${min}, got ${v}`);
}

function toTensors(x: Float64Array, y: Int32Array, n: number, f: number): Classification {
  return {
    x: Tensor.fromTyped(Float32Array.from(x), [n, f], { dtype: "float32" }),
    y: Tensor.fromTyped(y, [n], { dtype: "int32" }),
  };
}

/** Reorders the rows of x (width f) and y by one random permutation. */
function shuffleRows(gen: Generator, x: Float64Array, y: Int32Array, f: number): [Float64Array, Int32Array] {
  const n = y.length;
  const perm = gen.permutation(n);
  const xs = new Float64Array(x.length);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    xs.set(x.subarray(perm[i] * f, perm[i] * f + f), i * f);
    ys[i] = y[perm[i]];
  }
  return [xs, ys];
}

export interface MakeClassificationOptions {
  nSamples?: number;
  nFeatures?: number;
  /** Features that carry the class: the clusters live in their space. */
  nInformative?: number;
  /** Random linear combinations of the informative features. */
  nRedundant?: number;
  /** Copies of informative or redundant features, picked at random. */
  nRepeated?: number;
  nClasses?: number;
  nClustersPerClass?: number;
  /** Share of samples per class (nClasses values, or nClasses - 1 and the last gets the rest); default equal. */
  weights?: readonly number[];
  /** Fraction of labels replaced by a random class (which may be the same one). */
  flipY?: number;
  /** Half the side of the hypercube whose vertices are the cluster centres: larger is easier. */
  classSep?: number;
  /** Centres on the vertices (true) or on random points along them (false). */
  hypercube?: boolean;
  /** Added to every feature; null: a random shift per feature in [-classSep, classSep]. */
  shift?: number | readonly number[] | null;
  /** Multiplies every feature after the shift; null: a random scale per feature in [1, 101]. */
  scale?: number | readonly number[] | null;
  /** Shuffle the samples and the features (otherwise the columns come informative, redundant, repeated, noise). */
  shuffle?: boolean;
  seed?: number;
}

/**
 * scikit-learn's make_classification, the algorithm of Guyon (2003) used for
 * the NIPS 2003 feature selection challenge: each class is made of
 * `nClustersPerClass` normal clusters centred on distinct vertices of a
 * hypercube of side 2 * classSep in the informative subspace, each with its
 * own random covariance; then redundant, repeated and noise features are
 * appended, a fraction flipY of labels is redrawn at random, and the data
 * shifted, scaled and shuffled. Same parameters and defaults as scikit-learn;
 * the numbers differ (another random generator).
 */
export function makeClassification(opts: MakeClassificationOptions = {}): Classification {
  const op = "makeClassification";
  const {
    nSamples = 100, nFeatures = 20, nInformative = 2, nRedundant = 2, nRepeated = 0, nClasses = 2,
    nClustersPerClass = 2, flipY = 0.01, classSep = 1.0, hypercube = true, shift = 0, scale = 1, shuffle = true,
  } = opts;
  checkCount(op, "nSamples", nSamples, 1);
  checkCount(op, "nFeatures", nFeatures, 1);
  checkCount(op, "nInformative", nInformative, 1);
  checkCount(op, "nRedundant", nRedundant, 0);
  checkCount(op, "nRepeated", nRepeated, 0);
  checkCount(op, "nClasses", nClasses, 1);
  checkCount(op, "nClustersPerClass", nClustersPerClass, 1);
  if (nInformative + nRedundant + nRepeated > nFeatures) {
    fail(op, `nInformative (${nInformative}) + nRedundant (${nRedundant}) + nRepeated (${nRepeated}) = ${nInformative + nRedundant + nRepeated} exceeds nFeatures (${nFeatures})`);
  }
  const nClusters = nClasses * nClustersPerClass;
  // Each cluster needs its own vertex of the informative hypercube.
  if (Math.log2(nClusters) > nInformative) {
    fail(op, `nClasses (${nClasses}) * nClustersPerClass (${nClustersPerClass}) = ${nClusters} clusters need distinct hypercube vertices, but 2**nInformative = ${2 ** nInformative}`);
  }
  if (!(flipY >= 0 && flipY <= 1)) fail(op, `flipY must be in [0, 1], got ${flipY}`);

  let weights: number[];
  if (opts.weights === undefined) weights = new Array<number>(nClasses).fill(1 / nClasses);
  else if (opts.weights.length === nClasses) weights = [...opts.weights];
  else if (opts.weights.length === nClasses - 1) weights = [...opts.weights, 1 - opts.weights.reduce((a, b) => a + b, 0)];
  else fail(op, `weights has ${opts.weights.length} values; give nClasses (${nClasses}) or nClasses - 1`);
  if (weights.some((w) => !(w >= 0))) fail(op, `weights must be non-negative, got [${weights.join(", ")}]`);

  const gen = generatorFor(opts.seed);
  const nUseless = nFeatures - nInformative - nRedundant - nRepeated;

  // Samples per cluster, by weight; what rounding leaves over goes round-robin.
  const perCluster = Array.from({ length: nClusters }, (_, k) => Math.floor((nSamples * weights[k % nClasses]) / nClustersPerClass));
  const left = nSamples - perCluster.reduce((a, b) => a + b, 0);
  for (let i = 0; i < left; i++) perCluster[i % nClusters]++;

  const centroids = hypercubeVertices(gen, nClusters, nInformative).map((v) => v.map((bit) => bit * 2 * classSep - classSep));
  if (!hypercube) {
    const rowScale = centroids.map(() => gen.uniform());
    const colScale = Array.from({ length: nInformative }, () => gen.uniform());
    centroids.forEach((c, k) => c.forEach((_, j) => (c[j] *= rowScale[k] * colScale[j])));
  }

  const F = nFeatures;
  const x = new Float64Array(nSamples * F);
  const y = new Int32Array(nSamples);
  for (let i = 0; i < nSamples; i++) for (let j = 0; j < nInformative; j++) x[i * F + j] = gen.normal();

  // Each cluster: its own random linear map of the normal draws (a random covariance), moved to its vertex.
  let start = 0;
  const row = new Float64Array(nInformative);
  for (let k = 0; k < nClusters; k++) {
    const A = uniformMatrix(gen, nInformative, nInformative);
    for (let i = start; i < start + perCluster[k]; i++) {
      y[i] = k % nClasses;
      row.set(x.subarray(i * F, i * F + nInformative));
      for (let j = 0; j < nInformative; j++) {
        let s = 0;
        for (let m = 0; m < nInformative; m++) s += row[m] * A[m * nInformative + j];
        x[i * F + j] = s + centroids[k][j];
      }
    }
    start += perCluster[k];
  }

  if (nRedundant > 0) {
    const B = uniformMatrix(gen, nInformative, nRedundant);
    for (let i = 0; i < nSamples; i++) {
      for (let j = 0; j < nRedundant; j++) {
        let s = 0;
        for (let m = 0; m < nInformative; m++) s += x[i * F + m] * B[m * nRedundant + j];
        x[i * F + nInformative + j] = s;
      }
    }
  }

  if (nRepeated > 0) {
    const n = nInformative + nRedundant;
    const sources = Array.from({ length: nRepeated }, () => Math.floor((n - 1) * gen.uniform() + 0.5));
    for (let i = 0; i < nSamples; i++) sources.forEach((src, j) => (x[i * F + n + j] = x[i * F + src]));
  }

  for (let i = 0; i < nSamples; i++) for (let j = F - nUseless; j < F; j++) x[i * F + j] = gen.normal();

  if (flipY > 0) {
    const flip = Array.from({ length: nSamples }, () => gen.uniform() < flipY);
    flip.forEach((f, i) => f && (y[i] = gen.int(0, nClasses)));
  }

  const shifts = perFeature(op, "shift", shift, F, () => (2 * gen.uniform() - 1) * classSep);
  const scales = perFeature(op, "scale", scale, F, () => 1 + 100 * gen.uniform());
  for (let i = 0; i < nSamples; i++) for (let j = 0; j < F; j++) x[i * F + j] = (x[i * F + j] + shifts[j]) * scales[j];

  if (!shuffle) return toTensors(x, y, nSamples, F);
  const [xs, ys] = shuffleRows(gen, x, y, F);
  const cols = gen.permutation(F);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < nSamples; i++) for (let j = 0; j < F; j++) out[i * F + j] = xs[i * F + cols[j]];
  return toTensors(out, ys, nSamples, F);
}

/** `count` distinct vertices of the unit hypercube in `dims` dimensions, as 0/1 coordinates. */
function hypercubeVertices(gen: Generator, count: number, dims: number): number[][] {
  // Distinct integers below 2^low give distinct vertices; past 30 bits the extra coordinates are plain coin flips.
  const low = Math.min(dims, 30);
  const seen = new Set<number>();
  const out: number[][] = [];
  while (out.length < count) {
    const v = Math.floor(gen.uniform() * 2 ** low);
    if (seen.has(v)) continue;
    seen.add(v);
    const extra = Array.from({ length: dims - low }, () => gen.int(0, 2));
    const bits = Array.from({ length: low }, (_, b) => (v >>> (low - 1 - b)) & 1);
    out.push([...extra, ...bits]);
  }
  return out;
}

/** rows x cols, uniform in [-1, 1), row-major. */
function uniformMatrix(gen: Generator, rows: number, cols: number): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = 2 * gen.uniform() - 1;
  return m;
}

function perFeature(op: string, name: string, v: number | readonly number[] | null, f: number, draw: () => number): number[] {
  if (v === null) return Array.from({ length: f }, draw);
  if (typeof v === "number") return new Array<number>(f).fill(v);
  if (v.length !== f) fail(op, `${name} has ${v.length} values but there are ${f} features`);
  return [...v];
}

export interface MakeMoonsOptions {
  /** Standard deviation of Gaussian noise added to both coordinates (default 0: points on the arcs). */
  noise?: number;
  shuffle?: boolean;
  seed?: number;
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): class 0 the
 * upper arc of the unit circle, class 1 the lower arc shifted by (1, -0.5);
 * floor(n/2) points in class 0, the rest in class 1. Not linearly separable:
 * the smallest set on which a hidden layer visibly helps.
 */
export function makeMoons(n = 100, opts: MakeMoonsOptions = {}): Classification {
  const { noise = 0, shuffle = true } = opts;
  checkCount("makeMoons", "n", n, 1);
  if (!(noise >= 0)) fail("makeMoons", `noise must be >= 0, got ${noise}`);
  const gen = generatorFor(opts.seed);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  const angle = (i: number, count: number): number => (count === 1 ? 0 : (Math.PI * i) / (count - 1));
  for (let i = 0; i < nOut; i++) {
    x[2 * i] = Math.cos(angle(i, nOut));
    x[2 * i + 1] = Math.sin(angle(i, nOut));
  }
  for (let i = 0; i < nIn; i++) {
    const r = nOut + i;
    x[2 * r] = 1 - Math.cos(angle(i, nIn));
    x[2 * r + 1] = 1 - Math.sin(angle(i, nIn)) - 0.5;
    y[r] = 1;
  }
  if (noise > 0) for (let i = 0; i < x.length; i++) x[i] += noise * gen.normal();
  if (!shuffle) return toTensors(x, y, n, 2);
  const [xs, ys] = shuffleRows(gen, x, y, 2);
  return toTensors(xs, ys, n, 2);
}

export interface MakeSpiralsOptions {
  /** Number of arms, one class each (default 3). */
  classes?: number;
  /** Standard deviation of Gaussian noise added to each point's angle, in radians (default 0.2). */
  noise?: number;
  shuffle?: boolean;
  seed?: number;
}

/**
 * Interleaved spiral arms, one per class (the toy set of Stanford's CS231n
 * notes): arm c has radii evenly from 0 to 1 and angles from 4c to 4(c+1)
 * radians plus noise. n points in all, split as evenly as the count allows.
 */
export function makeSpirals(n = 300, opts: MakeSpiralsOptions = {}): Classification {
  const { classes = 3, noise = 0.2, shuffle = true } = opts;
  checkCount("makeSpirals", "n", n, 1);
  checkCount("makeSpirals", "classes", classes, 1);
  if (!(noise >= 0)) fail("makeSpirals", `noise must be >= 0, got ${noise}`);
  const gen = generatorFor(opts.seed);
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  let r0 = 0;
  for (let c = 0; c < classes; c++) {
    const count = Math.floor(n / classes) + (c < n % classes ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const frac = count === 1 ? 0 : i / (count - 1);
      const t = 4 * c + 4 * frac + noise * gen.normal();
      x[2 * (r0 + i)] = frac * Math.sin(t);
      x[2 * (r0 + i) + 1] = frac * Math.cos(t);
      y[r0 + i] = c;
    }
    r0 += count;
  }
  if (!shuffle) return toTensors(x, y, n, 2);
  const [xs, ys] = shuffleRows(gen, x, y, 2);
  return toTensors(xs, ys, n, 2);
}
