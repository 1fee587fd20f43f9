import assert from "node:assert/strict";
import { Generator, manualSeed, rand, randint, randn, randLike, randnLike, tensor, zeros } from "../../src";
import { assertThrowsOp, forEachBackend } from "../helpers";

function stats(v: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, variance: q / (v.length - 1) };
}

describe("Generator (xoshiro128**)", () => {
  it("matches the reference algorithm's outputs from state [1, 2, 3, 4]", () => {
    const g = new Generator();
    g.setState([1, 2, 3, 4]);
    assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32(), g.nextUint32()], [11520, 0, 5927040, 70819200]);
  });

  it("the same seed gives the same stream; another seed another one", () => {
    const a = new Generator(42), b = new Generator(42), c = new Generator(43);
    const draw = (g: Generator) => Array.from({ length: 8 }, () => g.uniform());
    const da = draw(a);
    assert.deepEqual(da, draw(b));
    assert.notDeepEqual(da, draw(c));
  });

  it("getState / setState resume the stream exactly (normal's spare value too is reset consistently)", () => {
    const g = new Generator(5);
    g.uniform();
    const state = g.getState();
    const next = [g.uniform(), g.normal(), g.normal(), g.int(0, 10)];
    g.setState(state);
    assert.deepEqual([g.uniform(), g.normal(), g.normal(), g.int(0, 10)], next);
  });

  it("uniform is in [0, 1); int in [low, high); permutation is a permutation", () => {
    const g = new Generator(1);
    for (let i = 0; i < 2000; i++) {
      const u = g.uniform();
      assert.ok(u >= 0 && u < 1);
      const k = g.int(-3, 4);
      assert.ok(Number.isInteger(k) && k >= -3 && k < 4);
    }
    const p = Array.from(g.permutation(50));
    assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(p, Array.from({ length: 50 }, (_, i) => i));
  });
});

forEachBackend("random tensors", (backend) => {
  it("manualSeed makes rand, randn and randint repeat exactly", () => {
    manualSeed(123);
    const a = [rand([3, 4]).values(), randn([5]).values(), randint(0, 10, [6]).values()];
    manualSeed(123);
    const b = [rand([3, 4]).values(), randn([5]).values(), randint(0, 10, [6]).values()];
    assert.deepEqual(a, b);
    manualSeed(124);
    assert.notDeepEqual(rand([3, 4]).values(), a[0]);
  });

  it("an explicit generator is independent of the default one", () => {
    manualSeed(9);
    const expected = rand([4]).values();
    manualSeed(9);
    const g = new Generator(77);
    const fromG = randn([10], { generator: g }).values();
    assert.deepEqual(rand([4]).values(), expected); // the default stream did not move
    assert.deepEqual(randn([10], { generator: new Generator(77) }).values(), fromG);
  });

  it("rand: uniform on [0, 1) with mean 1/2 and variance 1/12", () => {
    manualSeed(0);
    const x = rand([20000]);
    assert.equal(x.dtype, "float32");
    const v = x.values();
    for (let i = 0; i < v.length; i++) assert.ok(v[i] >= 0 && v[i] < 1, `value ${v[i]} outside [0, 1)`);
    const { mean, variance } = stats(v);
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 0.003, `variance ${variance}`);
    // a quarter of the draws in each quarter of the interval
    for (let q = 0; q < 4; q++) {
      const n = Array.from(v).filter((u) => u >= q / 4 && u < (q + 1) / 4).length;
      assert.ok(Math.abs(n / v.length - 0.25) < 0.015, `quarter ${q}: ${n}`);
    }
  });

  it("randn: mean 0, std 1, 68% within one std, symmetric", () => {
    manualSeed(1);
    const v = randn([20000]).values();
    const { mean, variance } = stats(v);
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(variance) - 1) < 0.03, `std ${Math.sqrt(variance)}`);
    const within = Array.from(v).filter((z) => Math.abs(z) < 1).length / v.length;
    assert.ok(Math.abs(within - 0.6827) < 0.015, `within 1 std: ${within}`);
    const positive = Array.from(v).filter((z) => z > 0).length / v.length;
    assert.ok(Math.abs(positive - 0.5) < 0.015, `positive: ${positive}`);
  });

  it("randint: int32 in [low, high), every value drawn about equally often", () => {
    manualSeed(2);
    const x = randint(-2, 3, [5000]);
    assert.equal(x.dtype, "int32");
    const counts = new Map<number, number>();
    for (const k of x.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
    for (const [k, n] of counts) assert.ok(Math.abs(n / 5000 - 0.2) < 0.025, `value ${k} drawn ${n} times`);
  });

  it("shapes, float64, and the *Like forms", () => {
    manualSeed(3);
    assert.deepEqual(rand([2, 3]).shape, [2, 3]);
    assert.deepEqual(randn([]).shape, []);
    assert.deepEqual(rand([0, 2]).shape, [0, 2]);
    if (backend === "js") {
      const d = randn([4], { dtype: "float64" });
      assert.equal(d.dtype, "float64");
      assert.equal(randLike(d).dtype, "float64");
    }
    const z = zeros([3, 2]);
    assert.deepEqual(randnLike(z).shape, [3, 2]);
    assert.equal(rand([2], { requiresGrad: true }).requiresGrad, true);
  });

  it("bad arguments name the op", () => {
    assertThrowsOp(() => rand([2, -1]), "rand", "[2,-1]");
    assertThrowsOp(() => randn([1.5]), "randn", "[1.5]");
    assertThrowsOp(() => randint(3, 3, [2]), "randint", "high 3", "low 3");
    assertThrowsOp(() => randint(0.5, 3, [2]), "randint", "integers");
    assertThrowsOp(() => rand([2], { dtype: "int32" }), "rand", "int32", "randint");
    assertThrowsOp(() => randnLike(tensor([1, 2], { dtype: "int32" })), "randn", "int32");
  });
});
