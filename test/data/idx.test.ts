import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { readIdx } from "../../src/data/idx";
import { assertThrowsOp } from "../helpers";

/** An IDX file written out by hand: magic, big-endian dims, big-endian values. */
function idxBytes(code: number, shape: number[], values: number[], bytesPer: number, put: (v: DataView, at: number, x: number) => void): Buffer {
  const header = 4 + 4 * shape.length;
  const buf = Buffer.alloc(header + values.length * bytesPer);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[2] = code;
  buf[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  values.forEach((x, i) => put(view, header + i * bytesPer, x));
  return buf;
}

describe("data/idx: readIdx", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "gradlab-idx-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads ubyte images from a file, in row-major order", () => {
    const bytes = idxBytes(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], 1, (v, at, x) => v.setUint8(at, x));
    assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 2]);
    const file = join(dir, "tiny-idx3-ubyte");
    writeFileSync(file, bytes);
    const r = readIdx(file);
    assert.deepEqual(r.shape, [2, 2, 3]);
    assert.equal(r.type, "ubyte");
    assert.ok(r.data instanceof Uint8Array);
    assert.deepEqual([...r.data], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it("reads every type code big-endian", () => {
    const cases: [number, string, number, (v: DataView, at: number, x: number) => void, number[], new (n: number) => ArrayLike<number>][] = [
      [0x09, "byte", 1, (v, at, x) => v.setInt8(at, x), [-128, -1, 0, 127], Int8Array],
      [0x0b, "short", 2, (v, at, x) => v.setInt16(at, x), [-32768, -2, 258, 32767], Int16Array],
      [0x0c, "int", 4, (v, at, x) => v.setInt32(at, x), [-2147483648, -3, 16909060, 2147483647], Int32Array],
      [0x0d, "float", 4, (v, at, x) => v.setFloat32(at, x), [-1.5, 0, 0.25, 3e38], Float32Array],
      [0x0e, "double", 8, (v, at, x) => v.setFloat64(at, x), [-1e300, Math.PI, 0.1, 5e-324], Float64Array],
    ];
    for (const [code, type, size, put, values, Arr] of cases) {
      const r = readIdx(idxBytes(code, [2, 2], values, size, put));
      assert.equal(r.type, type);
      assert.deepEqual(r.shape, [2, 2]);
      assert.ok(r.data instanceof Arr, `${type} gives ${r.data.constructor.name}`);
      assert.deepEqual([...r.data], values.map((x) => (type === "float" ? Math.fround(x) : x)), type);
    }
  });

  it("gives the bytes the right order: 0x01020304 as an int is 16909060, not 67305985", () => {
    const r = readIdx(Buffer.from([0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3, 4]));
    assert.deepEqual([...r.data], [16909060]);
  });

  it("reads a 0-dimensional file and an empty one", () => {
    assert.deepEqual(readIdx(Buffer.from([0, 0, 8, 0, 42])), { shape: [], type: "ubyte", data: Uint8Array.of(42) });
    const empty = readIdx(Buffer.from([0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 5]));
    assert.deepEqual(empty.shape, [0, 5]);
    assert.equal(empty.data.length, 0);
  });

  it("reads gzip files, recognised by their magic bytes whatever the name", () => {
    const plain = idxBytes(0x0b, [3], [1, -2, 300], 2, (v, at, x) => v.setInt16(at, x));
    const file = join(dir, "labels-without-gz-suffix");
    writeFileSync(file, gzipSync(plain));
    const r = readIdx(file);
    assert.deepEqual([r.type, r.shape, [...r.data]], ["short", [3], [1, -2, 300]]);
    assert.deepEqual([...readIdx(gzipSync(plain)).data], [1, -2, 300]);
  });

  it("says what is wrong with a bad file", () => {
    assertThrowsOp(() => readIdx(Buffer.from([1, 0, 8, 1, 0, 0, 0, 1, 7])), "readIdx", "bad magic number", "0x01 0x00");
    assertThrowsOp(() => readIdx(Buffer.from([0, 0])), "readIdx", "too short");
    assertThrowsOp(() => readIdx(Buffer.from([0, 0, 0x0a, 1, 0, 0, 0, 1, 7])), "readIdx", "unknown type code 0x0a");
    assertThrowsOp(() => readIdx(Buffer.from([0, 0, 8, 3, 0, 0, 0, 1])), "readIdx", "truncated header", "3 dimensions need 16 header bytes, found 8");
    const images = idxBytes(0x08, [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8], 1, (v, at, x) => v.setUint8(at, x));
    assertThrowsOp(() => readIdx(images.subarray(0, images.length - 3)), "readIdx", "expected 8 bytes of data for shape [2,2,2]", "found 5");
    assertThrowsOp(() => readIdx(Buffer.concat([images, Buffer.from([9, 9])])), "readIdx", "trailing garbage", "2 bytes after the 8 bytes of data for shape [2,2,2]");
    const ints = idxBytes(0x0c, [3], [1, 2, 3], 4, (v, at, x) => v.setInt32(at, x));
    assertThrowsOp(() => readIdx(ints.subarray(0, ints.length - 1)), "readIdx", "expected 12 bytes of data for shape [3] of int, found 11");
  });

  it("says so when a gzip file is corrupt or cut short, and names the file", () => {
    const gz = gzipSync(idxBytes(0x08, [100], Array.from({ length: 100 }, (_, i) => i), 1, (v, at, x) => v.setUint8(at, x)));
    const cut = join(dir, "cut.gz");
    writeFileSync(cut, gz.subarray(0, gz.length - 10));
    assertThrowsOp(() => readIdx(cut), "readIdx", "corrupt gzip data", cut);
    const flipped = Buffer.from(gz);
    flipped[12] ^= 0xff;
    flipped[13] ^= 0xff;
    assertThrowsOp(() => readIdx(flipped), "readIdx", "corrupt gzip data in buffer");
  });

  it("names a file it cannot read", () => {
    assertThrowsOp(() => readIdx(join(dir, "nope")), "readIdx", "cannot read", join(dir, "nope"));
  });
});

describe("data/idx: readIdx and the caller's buffer", () => {
  it("never aliases a buffer passed in", () => {
    const bytes = Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
    const r = readIdx(bytes);
    bytes[8] = 100;
    assert.deepEqual([...r.data], [7, 9]);
  });
});
