import assert from "node:assert/strict";
import { makeClassification, makeMoons, makeSpirals } from "../../src/data/synthetic";
import { Tensor } from "../../src/tensor/tensor";
import { assertThrowsOp } from "../helpers";

/** The columns of an [N, F] tensor, as float64 arrays. */
function columns(x: Tensor): Float64Array[] {
  const [n, f] = x.shape;
  const v = x.values();
  return Array.from({ length: f }, (_, j) => Float64Array.from({ length: n }, (_, i) => v[i * f + j]));
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, ai, i) => s + ai * b[i], 0);

/**
 * Numerical rank by modified Gram-Schmidt: a column whose part orthogonal to
 * the columns before it is tiny (relative to its length) adds nothing.
 * float32 data, so "tiny" is 1e-4, far above rounding and far below noise.
 */
function rank(cols: Float64Array[]): { rank: number; dependent: number[] } {
  const basis: Float64Array[] = [];
  const dependent: number[] = [];
  cols.forEach((c, j) => {
    const r = Float64Array.from(c);
    for (const q of basis) {
      const p = dot(r, q);
      for (let i = 0; i < r.length; i++) r[i] -= p * q[i];
    }
    const norm = Math.sqrt(dot(r, r));
    if (norm <= 1e-4 * Math.sqrt(dot(c, c))) dependent.push(j);
    else basis.push(r.map((v) => v / norm));
  });
  return { rank: basis.length, dependent };
}

function counts(y: Tensor, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const v of y.values()) c[v]++;
  return c;
}

/** Mean of each column over the rows of one class. */
function classMeans(x: Tensor, y: Tensor, cls: number): number[] {
  const cols = columns(x), labels = y.values();
  return cols.map((c) => {
    let s = 0, n = 0;
    c.forEach((v, i) => labels[i] === cls && (s += v, n++));
    return s / n;
  });
}

describe("data/synthetic: makeClassification", () => {
  it("has scikit-learn's defaults: 100 samples, 20 features, 2 classes", () => {
    const { x, y } = makeClassification({ seed: 0 });
    assert.deepEqual(x.shape, [100, 20]);
    assert.equal(x.dtype, "float32");
    assert.deepEqual(y.shape, [100]);
    assert.equal(y.dtype, "int32");
    assert.ok(y.values().every((v) => v === 0 || v === 1));
    const c = counts(y, 2);
    assert.ok(Math.abs(c[0] - 50) <= 3, `counts ${c}`); // 50/50, then flipY 0.01 may move a few
  });

  it("splits samples between classes by weight, the rounding remainder round-robin over clusters", () => {
    const even = makeClassification({ nSamples: 1000, nClasses: 3, nInformative: 3, flipY: 0, seed: 1 });
    assert.deepEqual(counts(even.y, 3), [334, 333, 333]);
    // nClasses - 1 weights: the last class gets the rest
    const skewed = makeClassification({ nSamples: 1000, weights: [0.75], flipY: 0, seed: 1 });
    assert.deepEqual(counts(skewed.y, 2), [750, 250]);
    // 1001 * 0.75 / 2 and 1001 * 0.25 / 2 floor to 375 and 125; the one left over goes to cluster 0 (class 0)
    const odd = makeClassification({ nSamples: 1001, weights: [0.75, 0.25], flipY: 0, seed: 1 });
    assert.deepEqual(counts(odd.y, 2), [751, 250]);
  });

  it("repeats exactly with a seed and differs with another", () => {
    const a = makeClassification({ seed: 42 }), b = makeClassification({ seed: 42 }), c = makeClassification({ seed: 43 });
    assert.deepEqual(a.x.values(), b.x.values());
    assert.deepEqual(a.y.values(), b.y.values());
    assert.notDeepEqual(a.x.values(), c.x.values());
  });

  it("centres each class on a hypercube vertex of side 2 classSep: informative features separate the classes, noise does not", () => {
    const { x, y } = makeClassification({ nSamples: 2000, nFeatures: 6, nInformative: 2, nRedundant: 0, nClustersPerClass: 1, flipY: 0, classSep: 2, shuffle: false, seed: 3 });
    const m0 = classMeans(x, y, 0), m1 = classMeans(x, y, 1);
    for (const m of [m0, m1]) for (const j of [0, 1]) assert.ok(Math.abs(Math.abs(m[j]) - 2) < 0.2, `class mean ${m[j]} should be near ±2`);
    const dist = Math.hypot(m0[0] - m1[0], m0[1] - m1[1]);
    assert.ok(dist > 3.5, `informative class-mean distance ${dist}`);
    for (let j = 2; j < 6; j++) assert.ok(Math.abs(m0[j] - m1[j]) < 0.2, `noise feature ${j} separates: ${m0[j] - m1[j]}`);
  });

  it("places centres inside the hypercube when hypercube is false", () => {
    const { x, y } = makeClassification({ nSamples: 2000, nFeatures: 2, nInformative: 2, nRedundant: 0, nClustersPerClass: 1, flipY: 0, classSep: 2, hypercube: false, shuffle: false, seed: 3 });
    for (const cls of [0, 1]) for (const m of classMeans(x, y, cls)) assert.ok(Math.abs(m) < 2 - 0.05, `mean ${m} is not inside`);
  });

  it("makes redundant features exact linear combinations of the informative ones", () => {
    const { x } = makeClassification({ nSamples: 200, nFeatures: 8, nInformative: 3, nRedundant: 2, shuffle: false, seed: 4 });
    const cols = columns(x);
    // Unshuffled, columns are informative 0-2, redundant 3-4, noise 5-7.
    const r = rank(cols);
    assert.deepEqual(r.dependent, [3, 4]);
    assert.equal(r.rank, 6);
    // and the informative ones alone are independent
    assert.equal(rank(cols.slice(0, 3)).rank, 3);
  });

  it("makes repeated features copies, and after shuffling the rank still shows what is redundant", () => {
    const plain = makeClassification({ nSamples: 200, nFeatures: 10, nInformative: 2, nRedundant: 2, nRepeated: 3, shuffle: false, seed: 5 });
    const cols = columns(plain.x);
    for (let j = 4; j < 7; j++) {
      assert.ok([0, 1, 2, 3].some((s) => cols[s].every((v, i) => v === cols[j][i])), `column ${j} copies none of 0-3`);
    }
    const shuffled = makeClassification({ nSamples: 200, nFeatures: 10, nInformative: 2, nRedundant: 2, nRepeated: 3, seed: 5 });
    assert.equal(rank(columns(shuffled.x)).rank, 10 - 2 - 3);
  });

  it("flips a fraction flipY of labels to a random class, changing nothing else", () => {
    const opts = { nSamples: 4000, nClustersPerClass: 1, shuffle: false, seed: 6 } as const;
    const clean = makeClassification({ ...opts, flipY: 0 });
    const noisy = makeClassification({ ...opts, flipY: 0.5 });
    assert.deepEqual(noisy.x.values(), clean.x.values());
    // unshuffled and unflipped, labels come in blocks: cluster k is class k % nClasses
    const yc = clean.y.values();
    assert.ok(yc.every((v, i) => v === (i < 2000 ? 0 : 1)));
    // a redrawn label keeps its class half the time with 2 classes: 0.5 * 0.5 change
    let changed = 0;
    noisy.y.values().forEach((v, i) => (changed += v !== yc[i] ? 1 : 0));
    assert.ok(Math.abs(changed / 4000 - 0.25) < 0.03, `changed ${changed}`);
  });

  it("shifts then scales", () => {
    const base = makeClassification({ seed: 7, shuffle: false });
    const moved = makeClassification({ seed: 7, shuffle: false, shift: 3, scale: 2 });
    const b = base.x.values(), m = moved.x.values();
    b.forEach((v, i) => assert.ok(Math.abs(m[i] - (v + 3) * 2) < 1e-4));
    const random = makeClassification({ seed: 7, shuffle: false, shift: null, scale: null, nFeatures: 5, nRedundant: 0 });
    const sd = columns(random.x).map((c) => Math.sqrt(dot(c, c) / c.length));
    assert.ok(Math.max(...sd) > 5, `a random scale in [1, 101] should widen some column: ${sd}`);
  });

  it("says which parameters do not fit together", () => {
    assertThrowsOp(() => makeClassification({ nFeatures: 4, nInformative: 3, nRedundant: 2 }), "makeClassification", "nInformative (3) + nRedundant (2) + nRepeated (0) = 5 exceeds nFeatures (4)");
    assertThrowsOp(() => makeClassification({ nClasses: 3, nInformative: 2 }), "makeClassification", "6 clusters", "2**nInformative = 4");
    assertThrowsOp(() => makeClassification({ weights: [0.2, 0.3, 0.5] }), "makeClassification", "weights has 3 values");
    assertThrowsOp(() => makeClassification({ shift: [1, 2] }), "makeClassification", "shift has 2 values but there are 20 features");
  });
});

describe("data/synthetic: makeMoons", () => {
  it("puts points on two interleaved half circles, floor(n/2) in class 0", () => {
    const { x, y } = makeMoons(101, { shuffle: false });
    assert.deepEqual(x.shape, [101, 2]);
    assert.deepEqual(counts(y, 2), [50, 51]);
    const v = x.values(), labels = y.values();
    for (let i = 0; i < 101; i++) {
      const [px, py] = [v[2 * i], v[2 * i + 1]];
      const r = labels[i] === 0 ? Math.hypot(px, py) : Math.hypot(px - 1, py - 0.5);
      assert.ok(Math.abs(r - 1) < 1e-6, `point ${i} at radius ${r}`);
      assert.ok(labels[i] === 0 ? py >= -1e-7 : py <= 0.5 + 1e-7);
    }
    // ends of the arcs: (1,0) to (-1,0), and (0,0.5) to (2,0.5)
    assert.deepEqual([v[0], v[1]].map((a) => +a.toFixed(6)), [1, 0]);
    assert.deepEqual([v[200], v[201]].map((a) => +a.toFixed(6)), [2, 0.5]);
  });

  it("adds seeded Gaussian noise and shuffles", () => {
    const a = makeMoons(200, { noise: 0.1, seed: 1 }), b = makeMoons(200, { noise: 0.1, seed: 1 });
    assert.deepEqual(a.x.values(), b.x.values());
    const clean = makeMoons(200, { shuffle: false });
    const labels = a.y.values();
    assert.deepEqual(counts(a.y, 2), [100, 100]);
    assert.ok(!labels.slice(0, 100).every((l) => l === 0), "not shuffled");
    const r = Array.from(labels, (l, i) => (l === 0 ? Math.hypot(a.x.values()[2 * i], a.x.values()[2 * i + 1]) : 1));
    assert.ok(r.some((ri) => Math.abs(ri - 1) > 0.05), "no noise");
    assert.notDeepEqual(a.x.values(), clean.x.values());
  });
});

describe("data/synthetic: makeSpirals", () => {
  it("winds one arm per class from the centre out to radius 1", () => {
    const { x, y } = makeSpirals(301, { classes: 3, noise: 0, shuffle: false });
    assert.deepEqual(x.shape, [301, 2]);
    assert.deepEqual(counts(y, 3), [101, 100, 100]);
    const v = x.values();
    assert.deepEqual([v[0], v[1]], [0, 0]);
    // class 1's last point: radius 1, angle 8 radians, written (sin t, cos t)
    const last1 = 101 + 99;
    assert.ok(Math.abs(v[2 * last1] - Math.sin(8)) < 1e-6 && Math.abs(v[2 * last1 + 1] - Math.cos(8)) < 1e-6);
    for (let i = 0; i < 301; i++) assert.ok(Math.hypot(v[2 * i], v[2 * i + 1]) <= 1 + 1e-6);
  });

  it("is seeded and noisy by default", () => {
    const a = makeSpirals(90, { seed: 2 }), b = makeSpirals(90, { seed: 2 }), c = makeSpirals(90, { seed: 3 });
    assert.deepEqual(a.x.values(), b.x.values());
    assert.notDeepEqual(a.x.values(), c.x.values());
    assert.deepEqual(counts(a.y, 3), [30, 30, 30]);
  });
});
