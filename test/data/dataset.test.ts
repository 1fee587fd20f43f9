import assert from "node:assert/strict";
import { DataLoader, Dataset, Subset, TensorDataset, randomSplit } from "../../src/data/dataset";
import { arange, tensor } from "../../src/tensor/creation";
import { manualSeed } from "../../src/tensor/random";
import { Tensor } from "../../src/tensor/tensor";
import { assertClose, assertThrowsOp } from "../helpers";

/** 10 samples: x[i] = [i, 10 i], y[i] = i (int32), so every batch says which samples it holds. */
function numbered(n = 10): TensorDataset {
  const x = arange(n, undefined, 1, { dtype: "float32" }).reshape(n, 1).mul(tensor([[1, 10]]));
  return new TensorDataset(x, arange(n));
}
const ids = (t: Tensor): number[] => Array.from(t.values());

describe("data/dataset: TensorDataset", () => {
  it("gives sample i as the i-th row of every tensor", () => {
    const ds = numbered();
    assert.equal(ds.length, 10);
    const [x, y] = ds.get(3);
    assertClose(x, [3, 30]);
    assert.equal(y.item(), 3);
    assert.equal(y.dtype, "int32");
  });

  it("gathers a batch with indexSelect, keeping dtypes", () => {
    const [x, y] = numbered().getBatch(Int32Array.of(7, 2, 7));
    assertClose(x, [[7, 70], [2, 20], [7, 70]]);
    assert.deepEqual(ids(y), [7, 2, 7]);
    assert.equal(y.dtype, "int32");
  });

  it("names every shape when first dimensions disagree", () => {
    assertThrowsOp(() => new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([1, 2])), "TensorDataset", "[3,2], [2]");
    assertThrowsOp(() => new TensorDataset(), "TensorDataset", "at least one");
    assertThrowsOp(() => numbered().get(10), "TensorDataset.get", "index 10 is out of range for a dataset of length 10");
  });
});

describe("data/dataset: randomSplit", () => {
  it("splits by lengths into disjoint subsets covering everything, the same for the same seed", () => {
    const ds = numbered();
    const [a, b] = randomSplit(ds, [7, 3], { seed: 1 });
    assert.deepEqual([a.length, b.length], [7, 3]);
    const all = [...a.indices, ...b.indices].sort((p, q) => p - q);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [a2] = randomSplit(ds, [7, 3], { seed: 1 });
    assert.deepEqual([...a2.indices], [...a.indices]);
    const [a3] = randomSplit(ds, [7, 3], { seed: 2 });
    assert.notDeepEqual([...a3.indices], [...a.indices]);
    // a subset's item i is the base item indices[i]
    assert.equal(b.get(1)[1].item(), b.indices[1]);
  });

  it("splits by fractions, giving what flooring leaves over to the first subsets", () => {
    const parts = randomSplit(numbered(), [0.25, 0.25, 0.5], { seed: 0 });
    assert.deepEqual(parts.map((p) => p.length), [3, 2, 5]); // floors 2, 2, 5 and one left over
    assert.deepEqual(randomSplit(numbered(), [0.34, 0.33, 0.33], { seed: 0 }).map((p) => p.length), [4, 3, 3]);
    assert.deepEqual(randomSplit(numbered(), [0.8, 0.2], { seed: 0 }).map((p) => p.length), [8, 2]);
  });

  it("refuses lengths that do not add up", () => {
    assertThrowsOp(() => randomSplit(numbered(), [3, 4]), "randomSplit", "sum 7", "10 items");
    assertThrowsOp(() => randomSplit(numbered(), [0.5, 0.6]), "randomSplit", "fractions that sum to 1");
    assertThrowsOp(() => new Subset(numbered(), Int32Array.of(10)), "Subset", "index 10 is out of range");
  });
});

describe("data/dataset: DataLoader", () => {
  it("batches in order without shuffle; the last batch is short unless dropLast", () => {
    const loader = new DataLoader(numbered(), { batchSize: 4 });
    assert.equal(loader.length, 3);
    const batches = [...loader];
    assert.equal(batches.length, 3);
    assert.deepEqual(batches.map(([, y]) => ids(y)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    assertClose(batches[2][0], [[8, 80], [9, 90]]);
    const dropped = new DataLoader(numbered(), { batchSize: 4, dropLast: true });
    assert.equal(dropped.length, 2);
    assert.deepEqual([...dropped].map(([, y]) => ids(y)), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  });

  it("shuffles each epoch differently, every item once, repeatably from the seed", () => {
    const epochs = (seed: number) => {
      const loader = new DataLoader(numbered(), { batchSize: 3, shuffle: true, seed });
      return [0, 1, 2].map(() => [...loader].flatMap(([, y]) => ids(y)));
    };
    const run = epochs(5);
    for (const order of run) assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(run[0], run[1]);
    assert.notDeepEqual(run[1], run[2]);
    assert.notDeepEqual(run[0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(epochs(5), run);
    assert.notDeepEqual(epochs(6)[0], run[0]);
    // epoch e's order depends on e alone: resuming at epoch 2 gives run 3's order
    const resumed = new DataLoader(numbered(), { batchSize: 3, shuffle: true, seed: 5 });
    resumed.epoch = 2;
    assert.deepEqual([...resumed].flatMap(([, y]) => ids(y)), run[2]);
  });

  it("takes its seed from manualSeed when none is given", () => {
    const first = () => {
      manualSeed(123);
      return [...new DataLoader(numbered(), { batchSize: 10, shuffle: true })][0][1];
    };
    assert.deepEqual(ids(first()), ids(first()));
  });

  it("stacks samples of a dataset without getBatch", () => {
    const squares: Dataset<Tensor[]> = { length: 5, get: (i) => [tensor([i, i * i]), tensor(i, { dtype: "int32" })] };
    const batches = [...new DataLoader(squares, { batchSize: 2 })];
    assert.equal(batches.length, 3);
    assertClose(batches[1][0], [[2, 4], [3, 9]]);
    assert.deepEqual(batches[2][1].shape, [1]);
    assert.equal(batches[2][1].item(), 4);
  });

  it("batches a Subset through its base dataset's getBatch", () => {
    const [part] = randomSplit(numbered(), [4, 6], { seed: 3 });
    const [[x, y]] = [...new DataLoader(part, { batchSize: 4 })];
    assert.deepEqual(ids(y), [...part.indices]);
    assertClose(x.select(1, 1), [...part.indices].map((i) => 10 * i));
  });

  it("refuses a bad batch size", () => {
    assertThrowsOp(() => new DataLoader(numbered(), { batchSize: 0 }), "DataLoader", "batchSize must be a positive integer, got 0");
  });
});
