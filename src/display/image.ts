import { deflateSync, inflateSync } from "node:zlib";

/**
 * Pictures of numbers, as PNG bytes made here in Node: heatmaps of matrices
 * and grids of images. A PNG inside an <img> is the one thing every frontend
 * shows (JupyterLab, the classic notebook, nbconvert's HTML, GitHub).
 */

// --- PNG ----------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes 8-bit RGBA pixels (row-major, 4 bytes each) as a PNG file. */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`encodePng: ${rgba.length} bytes for ${width}x${height} RGBA`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  // Each scanline starts with its filter type; 0 (none) keeps this short, zlib does the rest.
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0;
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}

/**
 * Width, height and RGBA pixels of an 8-bit RGB or RGBA, non-interlaced PNG:
 * what this module and Chromium's screenshots write (tests read pictures back with it).
 */
export function decodePng(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  let off = 8, width = 0, height = 0, channels = 4;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString("ascii", off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || (data[9] !== 6 && data[9] !== 2) || data[12] !== 0) throw new Error("decodePng: only 8-bit RGB or RGBA, non-interlaced");
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const prev = y > 0 ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    const cur = px.subarray(y * stride, (y + 1) * stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
      let p: number;
      if (f === 0) p = 0;
      else if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = (line[i] + p) & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: px };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < px.length; i += 3, j += 4) {
    rgba[j] = px[i];
    rgba[j + 1] = px[i + 1];
    rgba[j + 2] = px[i + 2];
    rgba[j + 3] = 255;
  }
  return { width, height, rgba };
}

// --- colour maps ----------------------------------------------------------------------------

export type ColorMap = "viridis" | "rdbu" | "gray";

// Key colours of each map; in between is linear in RGB, close enough at 256 steps.
const STOPS: Record<ColorMap, readonly string[]> = {
  viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
  // Blue for negative, white at zero, red for positive (ColorBrewer RdBu, reversed).
  rdbu: ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"],
  gray: ["#000000", "#ffffff"],
};

const LUTS = new Map<ColorMap, Uint8Array>();

function lut(map: ColorMap): Uint8Array {
  let t = LUTS.get(map);
  if (t) return t;
  const stops = STOPS[map].map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  t = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (stops.length - 1);
    const j = Math.min(stops.length - 2, Math.floor(x));
    const f = x - j;
    for (let k = 0; k < 3; k++) t[i * 3 + k] = Math.round(stops[j][k] * (1 - f) + stops[j + 1][k] * f);
  }
  LUTS.set(map, t);
  return t;
}

/** The colour of `x` in [0, 1] under a map, as "#rrggbb". */
export function colorHex(map: ColorMap, x: number): string {
  const t = lut(map);
  const i = Math.round(Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0)) * 255) * 3;
  return "#" + [t[i], t[i + 1], t[i + 2]].map((c) => c.toString(16).padStart(2, "0")).join("");
}

/** Diverging around zero when values have both signs, sequential otherwise. */
export function pickColorMap(min: number, max: number): ColorMap {
  return min < 0 && max > 0 ? "rdbu" : "viridis";
}

export interface Range {
  min: number;
  max: number;
}

/** Min and max of the finite values (0, 0 when there are none). */
export function finiteRange(v: ArrayLike<number>): Range {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isFinite(x)) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

// --- heatmaps and image grids -------------------------------------------------------------------------

export interface HeatmapImage {
  png: Uint8Array;
  width: number;
  height: number;
  map: ColorMap;
  range: Range;
}

/**
 * A [rows, cols] matrix as a PNG, one block of pixels per entry (nearest
 * neighbour, so small matrices stay crisp); large ones are sampled down to
 * at most `maxSide` entries a side. Non-finite values are drawn magenta.
 */
export function heatmapPng(
  v: ArrayLike<number>, rows: number, cols: number,
  opts: { map?: ColorMap; range?: Range; targetSide?: number; maxSide?: number } = {},
): HeatmapImage {
  const range = opts.range ?? finiteRange(v);
  const map = opts.map ?? pickColorMap(range.min, range.max);
  const maxSide = opts.maxSide ?? 400;
  const sr = Math.min(rows, maxSide), sc = Math.min(cols, maxSide);
  const target = opts.targetSide ?? 220;
  const cell = Math.max(1, Math.min(24, Math.floor(target / Math.max(sr, sc))));
  const w = sc * cell, h = sr * cell;
  const rgba = new Uint8Array(w * h * 4);
  const t = lut(map);
  // Diverging maps centre zero; sequential ones stretch min..max.
  const absMax = Math.max(Math.abs(range.min), Math.abs(range.max));
  const lo = map === "rdbu" ? -absMax : range.min;
  const span = (map === "rdbu" ? 2 * absMax : range.max - range.min) || 1;
  for (let r = 0; r < sr; r++) {
    const srcR = Math.floor((r * rows) / sr);
    for (let c = 0; c < sc; c++) {
      const x = v[srcR * cols + Math.floor((c * cols) / sc)];
      let rgb: [number, number, number];
      if (!Number.isFinite(x)) rgb = [255, 0, 255];
      else {
        const i = Math.round(Math.min(1, Math.max(0, (x - lo) / span)) * 255) * 3;
        rgb = [t[i], t[i + 1], t[i + 2]];
      }
      for (let dy = 0; dy < cell; dy++) {
        let p = ((r * cell + dy) * w + c * cell) * 4;
        for (let dx = 0; dx < cell; dx++, p += 4) {
          rgba[p] = rgb[0];
          rgba[p + 1] = rgb[1];
          rgba[p + 2] = rgb[2];
          rgba[p + 3] = 255;
        }
      }
    }
  }
  return { png: encodePng(rgba, w, h), width: w, height: h, map, range };
}

export interface ImageGridOptions {
  /** Images per row (default: up to 8). */
  cols?: number;
  /** Draw each image at least this many pixels tall (scaled by an integer factor). */
  minSide?: number;
  /** Pixels between images. */
  gap?: number;
  /** Values drawn black and white (default: imageRange of the values). */
  range?: readonly [number, number];
}

/** The values drawn black and white: [0, 1] or [0, 255] when the data fits, else its min and max. */
export function imageRange(v: ArrayLike<number>): [number, number] {
  const { min, max } = finiteRange(v);
  return min >= 0 && max <= 1 ? [0, 1] : min >= 0 && max <= 255 && max > 1 ? [0, 255] : [min, max];
}

/**
 * A batch of images [N, C, H, W] (C = 1 or 3) as one PNG grid. Values in
 * [0, 1] are drawn as they are, in [0, 255] divided by 255, anything else
 * stretched from the batch's min to max.
 */
export function imageGridPng(v: ArrayLike<number>, shape: readonly number[], opts: ImageGridOptions = {}): { png: Uint8Array; width: number; height: number; cols: number; scale: number } {
  const [n, ch, ih, iw] = shape;
  if (shape.length !== 4 || (ch !== 1 && ch !== 3)) throw new Error(`imageGridPng: expected [N, 1|3, H, W], got [${shape.join(", ")}]`);
  const [lo, hi] = opts.range ?? imageRange(v);
  const span = hi - lo || 1;
  const cols = Math.max(1, Math.min(n, opts.cols ?? 8));
  const rowsN = Math.ceil(n / cols);
  const scale = Math.max(1, Math.ceil((opts.minSide ?? 56) / ih));
  const gap = opts.gap ?? 2;
  const cw = iw * scale, chh = ih * scale;
  const W = cols * cw + (cols - 1) * gap, H = rowsN * chh + (rowsN - 1) * gap;
  const rgba = new Uint8Array(Math.max(1, W * H) * 4).fill(255);
  const plane = ih * iw;
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * (cw + gap), oy = Math.floor(k / cols) * (chh + gap);
    for (let y = 0; y < chh; y++) {
      for (let x = 0; x < cw; x++) {
        const src = Math.floor(y / scale) * iw + Math.floor(x / scale);
        const p = ((oy + y) * W + ox + x) * 4;
        for (let c = 0; c < 3; c++) {
          const val = v[(k * ch + (ch === 3 ? c : 0)) * plane + src];
          rgba[p + c] = Number.isFinite(val) ? Math.round(Math.min(1, Math.max(0, (val - lo) / span)) * 255) : c === 1 ? 0 : 255;
        }
        rgba[p + 3] = 255;
      }
    }
  }
  return { png: encodePng(rgba, Math.max(1, W), Math.max(1, H)), width: W, height: H, cols, scale };
}
