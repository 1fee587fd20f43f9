import * as fs from "node:fs";
import * as path from "node:path";
import { fail } from "../errors";
import { DType, TypedArray } from "../tensor/dtype";
import { numel } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { Module } from "./module";
import type { StateDict } from "./module";

/*
 * Saving and loading weights in the safetensors format
 * (https://github.com/huggingface/safetensors), which PyTorch reads and
 * writes with `safetensors.torch.save_file` / `load_file`:
 *
 *   bytes 0..7   N, the length of the header, an unsigned 64-bit little-endian integer
 *   bytes 8..8+N the header: JSON {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 *                "__metadata__": {"key": "string value"}} (optional), padded with spaces
 *   the rest     the data: each tensor's values, little-endian, row-major (C order), at
 *                [begin, end) counted from the end of the header; together they fill it, without holes.
 */

/** safetensors dtype names, with the gradlab dtype each is read as and its size in bytes. */
const READ: Record<string, { dtype: DType; bytes: number }> = {
  F64: { dtype: "float64", bytes: 8 },
  F32: { dtype: "float32", bytes: 4 },
  F16: { dtype: "float32", bytes: 2 },
  BF16: { dtype: "float32", bytes: 2 },
  I64: { dtype: "int32", bytes: 8 },
  I32: { dtype: "int32", bytes: 4 },
  I16: { dtype: "int32", bytes: 2 },
  I8: { dtype: "int32", bytes: 1 },
  U8: { dtype: "int32", bytes: 1 },
  BOOL: { dtype: "bool", bytes: 1 },
};
const WRITE: Record<DType, string> = { float64: "F64", float32: "F32", int32: "I32", bool: "BOOL" };

const HEADER_LIMIT = 100_000_000; // the reference implementation's limit: a larger "length" is a corrupt file

export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

export interface SaveOptions {
  /** Free-form string pairs stored in the header's __metadata__ (e.g. {format: "pt"}). */
  metadata?: Record<string, string>;
}

/** The safetensors bytes of a state dict (tensors in name order, each written as it is: F32, F64, I32 or BOOL). */
export function serialize(sd: StateDict, opts: SaveOptions = {}): Uint8Array {
  const names = Object.keys(sd).sort();
  const header: Record<string, unknown> = {};
  if (opts.metadata) {
    for (const [k, v] of Object.entries(opts.metadata)) if (typeof v !== "string") fail("save", `metadata value for "${k}" must be a string, got ${typeof v}`);
    header.__metadata__ = opts.metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = sd[name];
    if (!(t instanceof Tensor)) fail("save", `"${name}" is not a Tensor`);
    if (name === "__metadata__") fail("save", `"__metadata__" is reserved by the format and cannot name a tensor`);
    const bytes = littleEndianBytes(t.values());
    header[name] = { dtype: WRITE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data starts 8-byte aligned, as the reference writer does
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Parses safetensors bytes. Everything is checked, and a problem is
 * reported as what was expected against what was found: a truncated file, a
 * header that is not JSON, offsets outside the data or with holes.
 */
export function deserialize(bytes: Uint8Array, opts: { backend?: string } = {}): Safetensors {
  const op = "load";
  if (bytes.length < 8) fail(op, `not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(HEADER_LIMIT)) fail(op, `not a safetensors file: the first 8 bytes give a header length of ${n} bytes, more than the ${HEADER_LIMIT} allowed (corrupt file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    fail(op, `truncated safetensors file: the header should be ${headerLen} bytes, but only ${bytes.length - 8} bytes follow the length field`);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString("utf8");
  if (!text.startsWith("{")) fail(op, `not a safetensors file: the header should be a JSON object starting with "{", found ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(op, `corrupt safetensors header: not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail(op, "corrupt safetensors header: expected a JSON object");
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof info !== "object" || info === null) fail(op, "corrupt safetensors header: __metadata__ should be an object of strings");
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== "string") fail(op, `corrupt safetensors header: __metadata__ value for "${k}" should be a string, found ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const e = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) fail(op, `corrupt safetensors header: entry "${name}" should be an object with dtype, shape and data_offsets`);
    if (typeof e.dtype !== "string" || !(e.dtype in READ)) {
      fail(op, `tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(READ).join(", ")}`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(op, `corrupt safetensors header: tensor "${name}" has shape ${JSON.stringify(shape)}, expected a list of non-negative integers`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) {
      fail(op, `corrupt safetensors header: tensor "${name}" has data_offsets ${JSON.stringify(off)}, expected [begin, end] with 0 <= begin <= end`);
    }
    const need = numel(shape as number[]) * READ[e.dtype].bytes;
    if (off[1] - off[0] !== need) {
      fail(op, `corrupt safetensors header: tensor "${name}" (${e.dtype}, shape [${(shape as number[]).join(",")}]) needs ${need} bytes, but its data_offsets ${JSON.stringify(off)} span ${off[1] - off[0]}`);
    }
    if (off[1] > dataLen) {
      fail(op, `truncated safetensors file: tensor "${name}" needs bytes ${off[0]}..${off[1]} of the data section, but the data section has only ${dataLen} bytes`);
    }
    entries.push({ name, dtype: e.dtype, shape: shape as number[], begin: off[0], end: off[1] });
  }
  // the tensors must tile the data section exactly: a gap or an overlap means a corrupt header
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) fail(op, `corrupt safetensors header: tensor "${e.name}" starts at byte ${e.begin} of the data, expected ${at} (${e.begin > at ? "a gap" : "an overlap"} between tensors)`);
    at = e.end;
  }
  if (at !== dataLen) fail(op, `corrupt safetensors file: the tensors fill ${at} bytes of data, but ${dataLen} bytes follow the header (trailing bytes)`);

  const tensors: StateDict = {};
  for (const e of entries) {
    // copy out (slice), so the values are aligned for a typed array and do not pin the file's buffer
    const raw = bytes.slice(dataStart + e.begin, dataStart + e.end);
    tensors[e.name] = Tensor.fromTyped(decode(e.name, e.dtype, raw), e.shape, { backend: opts.backend });
  }
  return { tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(v: TypedArray): Uint8Array {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (LITTLE_ENDIAN || v.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const k = v.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let j = 0; j < k; j++) out[i + j] = bytes[i + k - 1 - j];
  return out;
}

function decode(name: string, dtype: string, raw: Uint8Array): TypedArray {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / READ[dtype].bytes;
  // raw is a fresh copy (offset 0, aligned): on a little-endian machine its bytes are the values already
  if (LITTLE_ENDIAN && dtype === "F64") return new Float64Array(raw.buffer, raw.byteOffset, n);
  if (LITTLE_ENDIAN && dtype === "F32") return new Float32Array(raw.buffer, raw.byteOffset, n);
  if (LITTLE_ENDIAN && dtype === "I32") return new Int32Array(raw.buffer, raw.byteOffset, n);
  switch (dtype) {
    case "F64": {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case "F32": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) fail("load", `tensor "${name}" (I64) holds ${v} at position ${i}, which does not fit gradlab's int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case "I16": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      return out;
    }
    case "I8":
      return Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, n));
    case "U8":
      return Int32Array.from(raw);
    case "BOOL":
      return Uint8Array.from(raw, (b) => (b ? 1 : 0));
    default:
      return fail("load", `tensor "${name}": unsupported dtype ${dtype}`);
  }
}

/** IEEE 754 half precision to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Writes a model's state dict (or a state dict) to `file` as safetensors.
 * The write is atomic: the bytes go to a temporary file in the same folder,
 * which is flushed to disk and then renamed over `file`, so a crash or an
 * interrupt during the save leaves either the old file or the new one,
 * never half of one.
 */
export function save(modelOrStateDict: Module<never, unknown> | StateDict, file: string, opts: SaveOptions = {}): void {
  const sd = modelOrStateDict instanceof Module ? modelOrStateDict.stateDict() : modelOrStateDict;
  writeAtomic(file, serialize(sd, opts));
}

export function writeAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, "wx");
    let at = 0;
    while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    if (e instanceof Error && "code" in e) fail("save", `cannot write ${file}: ${e.message}`);
    throw e;
  }
  // make the rename itself durable; not every platform can open a folder, and the file is already in place
  try {
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}

/** Reads a safetensors file into a state dict (on the active backend, or `backend`). */
export function load(file: string, opts: { backend?: string } = {}): StateDict {
  return loadWithMetadata(file, opts).tensors;
}

export function loadWithMetadata(file: string, opts: { backend?: string } = {}): Safetensors {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return fail("load", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return deserialize(bytes, opts);
  } catch (e) {
    if (e instanceof Error) e.message = e.message.replace(/^load: /, `load: ${file}: `);
    throw e;
  }
}
