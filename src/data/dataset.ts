import { fail, fmtShape } from "../errors";
import { stack } from "../ops/shape";
import { Generator, defaultGenerator } from "../tensor/random";
import { Tensor } from "../tensor/tensor";

/**
 * Anything with a length and random access: PyTorch's map-style dataset.
 * `getBatch` is an optional fast path: a dataset that can gather many items
 * at once (one indexSelect instead of B small tensors and a stack) offers it,
 * and the DataLoader uses it.
 */
export interface Dataset<T> {
  readonly length: number;
  get(i: number): T;
  getBatch?(indices: Int32Array): T;
}

export function checkItem(op: string, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) fail(op, `index ${i} is out of range for a dataset of length ${length}`);
}

/** Rows of tensors that share their first dimension: sample i is [t[i] for each tensor]. */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) fail("TensorDataset", "needs at least one tensor");
    const firsts = tensors.map((t) => (t.ndim === 0 ? -1 : t.shape[0]));
    if (firsts.some((n) => n !== firsts[0] || n < 0)) {
      fail("TensorDataset", `every tensor needs the same size in dimension 0, got shapes ${tensors.map((t) => fmtShape(t.shape)).join(", ")}`);
    }
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(i: number): Tensor[] {
    checkItem("TensorDataset.get", i, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }

  getBatch(indices: Int32Array): Tensor[] {
    // A copy per tensor: a tensor owns its array (and may live on another backend), and `indices` may be a view of the loader's order.
    return this.tensors.map((t) => t.indexSelect(0, Tensor.fromTyped(indices.slice(), [indices.length], { dtype: "int32", backend: t.backend.name })));
  }
}

/** The items of `dataset` at `indices`, in that order. */
export class Subset<T> implements Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: Int32Array,
  ) {
    for (const i of indices) checkItem("Subset", i, dataset.length);
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    checkItem("Subset.get", i, this.length);
    return this.dataset.get(this.indices[i]);
  }

  getBatch(indices: Int32Array): T {
    const mapped = indices.map((i) => this.indices[i]);
    return this.dataset.getBatch ? this.dataset.getBatch(mapped) : collate(this.dataset, mapped);
  }
}

/**
 * Splits a dataset into random non-overlapping subsets, by lengths that sum
 * to its length or by fractions that sum to 1. Fractions are floored and the
 * items left over go one each to the first subsets, as in PyTorch.
 */
export function randomSplit<T>(dataset: Dataset<T>, lengthsOrFractions: readonly number[], opts: { seed?: number } = {}): Subset<T>[] {
  const n = dataset.length;
  const given = lengthsOrFractions;
  if (given.length === 0) fail("randomSplit", "needs at least one length or fraction");
  const total = given.reduce((a, b) => a + b, 0);
  let lengths: number[];
  if (given.every((v) => Number.isInteger(v) && v >= 0) && total === n) {
    lengths = [...given];
  } else if (given.every((v) => v >= 0 && v <= 1) && Math.abs(total - 1) < 1e-6) {
    lengths = given.map((f) => Math.floor(f * n));
    const left = n - lengths.reduce((a, b) => a + b, 0);
    for (let i = 0; i < left; i++) lengths[i % lengths.length]++;
  } else {
    fail("randomSplit", `got [${given.join(", ")}] (sum ${total}) for a dataset of ${n} items: give non-negative integer lengths that sum to ${n}, or fractions that sum to 1`);
  }
  const gen = opts.seed === undefined ? defaultGenerator : new Generator(opts.seed);
  const perm = gen.permutation(n);
  let start = 0;
  return lengths.map((len) => {
    const part = new Subset(dataset, perm.slice(start, start + len));
    start += len;
    return part;
  });
}

/** Stacks the items at `indices` field by field: the fallback for datasets without getBatch. */
function collate<T>(dataset: Dataset<T>, indices: Int32Array): T {
  const items = Array.from(indices, (i) => dataset.get(i) as unknown);
  const first = items[0];
  if (first instanceof Tensor) return stack(items as Tensor[]) as T;
  if (Array.isArray(first) && first.every((t) => t instanceof Tensor)) {
    return first.map((_, j) => stack(items.map((item) => (item as Tensor[])[j]))) as T;
  }
  return fail("DataLoader", "items must be a Tensor or an array of Tensors to be batched; give the dataset a getBatch(indices) method for anything else");
}

export interface DataLoaderOptions {
  /** Items per batch (default 1, as in PyTorch). */
  batchSize?: number;
  /** Visit the items in a new random order every epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffling; default: drawn once from gradlab's default generator, so manualSeed() fixes it. */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

/**
 * Batches of a dataset, for `for (const [x, y] of loader)`. Every loop over
 * it is one epoch; with `shuffle`, epoch e visits the items in an order that
 * depends only on the seed and e, so a run repeats exactly, and so does a
 * run resumed at epoch e (set `loader.epoch = e`).
 */
export class DataLoader<T = Tensor[]> implements Iterable<T> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  /** The epoch the next loop will run; each loop adds one. */
  epoch = 0;

  constructor(
    readonly dataset: Dataset<T>,
    opts: DataLoaderOptions = {},
  ) {
    const { batchSize = 1, shuffle = false, dropLast = false } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) fail("DataLoader", `batchSize must be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    // Drawn only when needed: a loader that does not shuffle leaves the default generator's sequence alone.
    this.seed = opts.seed ?? (shuffle ? defaultGenerator.nextUint32() : 0);
  }

  /** The number of batches in one epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order in which epoch `epoch` visits the items. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    // A fresh generator per epoch: epoch e's order never depends on how many loops ran before.
    return new Generator((this.seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0).permutation(n);
  }

  *[Symbol.iterator](): Iterator<T> {
    const order = this.order(this.epoch++);
    const { batchSize, dataset } = this;
    for (let b = 0; b < this.length; b++) {
      const indices = order.subarray(b * batchSize, Math.min((b + 1) * batchSize, order.length));
      yield dataset.getBatch ? dataset.getBatch(indices) : collate(dataset, indices);
    }
  }
}
