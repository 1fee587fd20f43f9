import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fail, fmtShape } from "../errors";

/**
 * The IDX format of the MNIST files (LeCun's page): a 4-byte magic number
 * (two zero bytes, a type code, the number of dimensions), each dimension as
 * a big-endian uint32, then the values in row-major order, big-endian.
 */
export type IdxType = "ubyte" | "byte" | "short" | "int" | "float" | "double";

export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxData {
  shape: number[];
  type: IdxType;
  /** The values in row-major order, in the file's own type (Uint8Array for ubyte). */
  data: IdxArray;
}

interface IdxTypeInfo {
  type: IdxType;
  bytes: number;
  make: (n: number) => IdxArray;
  /** Reads the value at byte offset `at`, big-endian. */
  get: (v: DataView, at: number) => number;
}

const TYPES: Record<number, IdxTypeInfo> = {
  0x08: { type: "ubyte", bytes: 1, make: (n) => new Uint8Array(n), get: (v, at) => v.getUint8(at) },
  0x09: { type: "byte", bytes: 1, make: (n) => new Int8Array(n), get: (v, at) => v.getInt8(at) },
  0x0b: { type: "short", bytes: 2, make: (n) => new Int16Array(n), get: (v, at) => v.getInt16(at) },
  0x0c: { type: "int", bytes: 4, make: (n) => new Int32Array(n), get: (v, at) => v.getInt32(at) },
  0x0d: { type: "float", bytes: 4, make: (n) => new Float32Array(n), get: (v, at) => v.getFloat32(at) },
  0x0e: { type: "double", bytes: 8, make: (n) => new Float64Array(n), get: (v, at) => v.getFloat64(at) },
};

const hex = (b: number): string => "0x" + b.toString(16).padStart(2, "0");

/**
 * Reads an IDX file (a path, or its bytes), plain or gzip-compressed: gzip
 * is recognised by its magic bytes 1f 8b, not by the file name, so a
 * renamed file still loads.
 */
export function readIdx(source: string | Uint8Array): IdxData {
  const what = typeof source === "string" ? source : "buffer";
  let bytes: Uint8Array;
  let owned = typeof source === "string";
  if (typeof source === "string") {
    try {
      bytes = readFileSync(source);
    } catch (e) {
      fail("readIdx", `cannot read ${source}: ${(e as Error).message}`);
    }
  } else {
    bytes = source;
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
      owned = true;
    } catch (e) {
      fail("readIdx", `corrupt gzip data in ${what}: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, what, owned);
}

function parseIdx(bytes: Uint8Array, what: string, owned: boolean): IdxData {
  if (bytes.length < 4) fail("readIdx", `${what} is ${bytes.length} bytes long, too short for the 4-byte IDX magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail("readIdx", `bad magic number in ${what}: it must start with two zero bytes, found ${hex(bytes[0])} ${hex(bytes[1])} (not an IDX file?)`);
  }
  const info = TYPES[bytes[2]];
  if (!info) {
    fail("readIdx", `unknown type code ${hex(bytes[2])} in ${what}: expected 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float) or 0x0e (double)`);
  }
  const ndim = bytes[3];
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    fail("readIdx", `truncated header in ${what}: ${ndim} dimensions need ${header} header bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const expected = n * info.bytes;
  const found = bytes.length - header;
  if (found < expected) {
    fail("readIdx", `truncated file ${what}: expected ${expected} bytes of data for shape ${fmtShape(shape)} of ${info.type}, found ${found}`);
  }
  if (found > expected) {
    fail("readIdx", `trailing garbage in ${what}: ${found - expected} bytes after the ${expected} bytes of data for shape ${fmtShape(shape)} of ${info.type}`);
  }
  if (info.bytes === 1) {
    // Bytes need no swapping. A view of bytes we read ourselves costs nothing;
    // bytes the caller passed in are copied, so the result never aliases them.
    const Bytes = info.type === "ubyte" ? Uint8Array : Int8Array;
    const view8 = new Bytes(bytes.buffer, bytes.byteOffset + header, n);
    return { shape, type: info.type, data: owned ? view8 : new Bytes(view8) };
  }
  const data = info.make(n);
  for (let i = 0, at = header; i < n; i++, at += info.bytes) data[i] = info.get(view, at);
  return { shape, type: info.type, data };
}
