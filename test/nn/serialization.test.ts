import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { manualSeed, randn, tensor, zeros } from "../../src";
import * as nn from "../../src/nn";
import { assertClose, assertThrowsOp } from "../helpers";

/** A safetensors file assembled by hand: the length field, the JSON header, then the data bytes. */
function handmade(header: string, data: number[]): Uint8Array {
  const head = Buffer.from(header, "utf8");
  const len = head.length;
  const lenBytes = [len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff, 0, 0, 0, 0];
  return Uint8Array.from([...lenBytes, ...head, ...data]);
}

describe("nn.save / nn.load (safetensors)", () => {
  let dir: string;
  beforeEach(() => {
    manualSeed(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlab-st-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes exactly the bytes the format specifies", () => {
    const bytes = nn.serialize({ w: tensor([1.5, -2]) });
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes, padded with spaces to 56
    const expected = handmade(header + "  ", [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    assert.deepEqual([...bytes], [...expected]);
  });

  it("parses a file written byte by byte (as PyTorch's safetensors writes: any key order, I64, F16, BF16, BOOL, metadata)", () => {
    const header = JSON.stringify({
      step: { dtype: "I64", shape: [], data_offsets: [8, 16] },
      __metadata__: { format: "pt" },
      "layer.weight": { dtype: "F32", shape: [1, 2], data_offsets: [0, 8] },
      half: { dtype: "F16", shape: [2], data_offsets: [16, 20] },
      brain: { dtype: "BF16", shape: [1], data_offsets: [20, 22] },
      mask: { dtype: "BOOL", shape: [2], data_offsets: [22, 24] },
      d: { dtype: "F64", shape: [1], data_offsets: [24, 32] },
    });
    const data = [
      0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, // F32 1.5, -2
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // I64 7
      0x00, 0x3c, 0x00, 0xc1, // F16 1.0, -2.5
      0x80, 0xbf, // BF16 -1.0
      0x01, 0x00, // BOOL true, false
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, // F64 1.0
    ];
    const st = nn.deserialize(handmade(header, data));
    assert.deepEqual(st.metadata, { format: "pt" });
    assert.deepEqual(Object.keys(st.tensors).sort(), ["brain", "d", "half", "layer.weight", "mask", "step"]);
    assertClose(st.tensors["layer.weight"], [[1.5, -2]]);
    assert.equal(st.tensors.step.dtype, "int32");
    assert.deepEqual(st.tensors.step.shape, []);
    assert.equal(st.tensors.step.item(), 7);
    assertClose(st.tensors.half, [1, -2.5]);
    assertClose(st.tensors.brain, [-1]);
    assert.deepEqual(st.tensors.mask.toArray(), [true, false]);
    assert.equal(st.tensors.d.dtype, "float64");
    assertClose(st.tensors.d, [1]);
  });

  it("round-trips a model, with buffers, through a file; the loaded model computes the same", () => {
    const make = () => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
    const a = make();
    a.forward(randn([5, 3])); // moves the running stats away from their initial values
    a.eval();
    const file = path.join(dir, "model.safetensors");
    nn.save(a, file, { metadata: { epoch: "3" } });
    const sd = nn.load(file);
    assert.deepEqual(Object.keys(sd).sort(), Object.keys(a.stateDict()).sort());
    assert.equal(sd["1.num_batches_tracked"].dtype, "int32");
    assert.deepEqual(nn.loadWithMetadata(file).metadata, { epoch: "3" });
    manualSeed(99);
    const b = make();
    b.loadStateDict(sd);
    b.eval();
    const x = randn([2, 3]);
    assert.deepEqual(b.forward(x).values(), a.forward(x).values());
    assert.deepEqual(fs.readdirSync(dir), ["model.safetensors"], "no temporary file left behind");
  });

  it("round-trips every dtype and odd shapes bit for bit", () => {
    const sd = {
      f64: randn([2, 3], { dtype: "float64" }),
      f32: randn([3]).transpose(0, 0),
      strided: randn([3, 2]).t(), // not contiguous: written in C order
      i32: tensor([[-5, 2147483647]], { dtype: "int32" }),
      b: tensor([true, false, true]),
      scalar: tensor(3.25),
      empty: zeros([0, 4]),
    };
    const back = nn.deserialize(nn.serialize(sd)).tensors;
    for (const [k, t] of Object.entries(sd)) {
      assert.equal(back[k].dtype, t.dtype, k);
      assert.deepEqual(back[k].shape, t.shape, k);
      assert.deepEqual(back[k].values(), t.values(), k);
    }
  });

  it("a truncated or corrupt file is rejected, saying what was expected and what was found", () => {
    const good = nn.serialize({ w: tensor([1, 2]), v: tensor([3]) });
    const file = path.join(dir, "bad.safetensors");
    fs.writeFileSync(file, good.slice(0, good.length - 1));
    assertThrowsOp(() => nn.load(file), "load", file, "truncated", "only 11 bytes");
    assertThrowsOp(() => nn.deserialize(good.slice(0, 5)), "load", "5 bytes", "too short");
    assertThrowsOp(() => nn.deserialize(good.slice(0, 20)), "load", "truncated", "only 12 bytes follow");
    const huge = good.slice();
    huge[7] = 1;
    assertThrowsOp(() => nn.deserialize(huge), "load", "header length", "corrupt");
    assertThrowsOp(() => nn.deserialize(handmade("{nope}", [])), "load", "not valid JSON");
    assertThrowsOp(() => nn.deserialize(handmade("[1]", [])), "load", "not a safetensors file");
    assertThrowsOp(() => nn.deserialize(handmade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0])), "load", '"a"', "needs 8 bytes", "span 4");
    assertThrowsOp(() => nn.deserialize(handmade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', [0, 0, 0, 0, 0, 0, 0, 0])), "load", "starts at byte 4", "expected 0", "gap");
    assertThrowsOp(() => nn.deserialize(handmade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0, 9])), "load", "trailing bytes");
    assertThrowsOp(() => nn.deserialize(handmade('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', new Array(8).fill(0))), "load", '"C64"', "supported");
    assertThrowsOp(() => nn.deserialize(handmade('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 1, 0, 0, 0])), "load", "4294967296", "int32");
    assertThrowsOp(() => nn.load(path.join(dir, "missing.safetensors")), "load", "cannot read");
  });

  it("saves atomically: an interrupted write leaves the old file intact and no temporary file", () => {
    const file = path.join(dir, "ckpt.safetensors");
    nn.save({ w: tensor([1, 2, 3]) }, file);
    const before = fs.readFileSync(file);
    // the CommonJS fs module object is what serialization.ts calls through
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const realFs = require("node:fs") as typeof fs;
    const original = realFs.writeSync;
    let calls = 0;
    (realFs as { writeSync: unknown }).writeSync = () => {
      calls++;
      throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    };
    try {
      assertThrowsOp(() => nn.save({ w: randn([1000]) }, file), "save", file, "ENOSPC");
    } finally {
      (realFs as { writeSync: unknown }).writeSync = original;
    }
    assert.ok(calls > 0, "the patched write was used");
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(fs.readdirSync(dir), ["ckpt.safetensors"]);
    // and a successful save replaces the file
    nn.save({ w: tensor([4]) }, file);
    assertClose(nn.load(file).w, [4]);
    assertThrowsOp(() => nn.save({ w: tensor([1]) }, path.join(dir, "no", "such", "dir.safetensors")), "save", "cannot write");
  });
});
