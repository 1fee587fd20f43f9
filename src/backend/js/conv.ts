import type { Conv2dParams, Pool2dParams } from "../backend";
import { TypedArray, allocate, dtypeOfArray } from "../../tensor/dtype";
import { Shape } from "../../tensor/shape";
import { JsArray, dataOf } from "./array";
import { gemm } from "./matmul";
import { allocateOut } from "./shared";

/** Output size of a convolution or pooling window along one axis. */
export function convOutSize(inp: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((inp + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

export interface Geometry {
  N: number; C: number; H: number; W: number;
  O: number; kh: number; kw: number; Ho: number; Wo: number;
  G: number; Cg: number; Og: number;
  /** rows of the column matrix: Cg*kh*kw */
  R: number;
  /** columns of the column matrix: Ho*Wo */
  P: number;
}

export function geometry(xShape: Shape, wShape: Shape, p: Conv2dParams): Geometry {
  const [N, C, H, W] = xShape;
  const [O, Cg, kh, kw] = wShape;
  const Ho = convOutSize(H, kh, p.stride[0], p.padding[0], p.dilation[0]);
  const Wo = convOutSize(W, kw, p.stride[1], p.padding[1], p.dilation[1]);
  return { N, C, H, W, O, kh, kw, Ho, Wo, G: p.groups, Cg, Og: O / p.groups, R: Cg * kh * kw, P: Ho * Wo };
}

/**
 * im2col: unrolls every receptive field of one image (channels c0..c0+Cg)
 * into a column, so that convolution becomes one matrix product:
 *   col[(c*kh + i)*kw + j][oy*Wo + ox] = x[c0+c][oy*sh - ph + i*dh][ox*sw - pw + j*dw]
 * with zeros where the window hangs over the padding.
 */
export function im2col(x: TypedArray, xOff: number, g: Geometry, p: Conv2dParams, col: TypedArray): void {
  im2colRows(x, xOff, g, p, col, 0, g.R);
}

/** Rows r0..r1-1 of im2col's column matrix, written from row 0 of col (parallel.ts gives threads blocks of rows). */
export function im2colRows(x: TypedArray, xOff: number, g: Geometry, p: Conv2dParams, col: TypedArray, r0: number, r1: number): void {
  const { H, W, kh, kw, Ho, Wo } = g;
  const [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  for (let r = r0; r < r1; r++) {
    const c = Math.floor(r / (kh * kw)), i = Math.floor(r / kw) % kh, j = r % kw;
    const plane = xOff + c * H * W;
    let o = (r - r0) * Ho * Wo;
    for (let oy = 0; oy < Ho; oy++) {
      const y = oy * sh - ph + i * dh;
      if (y < 0 || y >= H) {
        col.fill(0, o, o + Wo);
        o += Wo;
        continue;
      }
      const row = plane + y * W;
      for (let ox = 0, xx = j * dw - pw; ox < Wo; ox++, xx += sw) col[o++] = xx >= 0 && xx < W ? x[row + xx] : 0;
    }
  }
}

/** col2im: the adjoint of im2col; adds each column entry back onto the pixel it came from. */
function col2im(col: TypedArray, g: Geometry, p: Conv2dParams, x: TypedArray, xOff: number): void {
  const { H, W, kh, kw, Ho, Wo, Cg } = g;
  const [sh, sw] = p.stride, [ph, pw] = p.padding, [dh, dw] = p.dilation;
  let r = 0;
  for (let c = 0; c < Cg; c++) {
    const plane = xOff + c * H * W;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, r++) {
        let o = r * Ho * Wo;
        for (let oy = 0; oy < Ho; oy++) {
          const y = oy * sh - ph + i * dh;
          if (y < 0 || y >= H) {
            o += Wo;
            continue;
          }
          const row = plane + y * W;
          for (let ox = 0, xx = j * dw - pw; ox < Wo; ox++, xx += sw, o++) if (xx >= 0 && xx < W) x[row + xx] += col[o];
        }
      }
    }
  }
}

function floatOf(a: JsArray, b: JsArray): "float32" | "float64" {
  return a.dtype === "float64" || b.dtype === "float64" ? "float64" : "float32";
}

/** y[n, g] = W_g [Og x R] · col(x[n, g]) [R x P], per image and group. */
export function conv2d(x: JsArray, w: JsArray, p: Conv2dParams): JsArray {
  const g = geometry(x.shape, w.shape, p);
  const out = allocate(floatOf(x, w), g.N * g.O * g.P);
  conv2dImages(dataOf(x), dataOf(w), g, p, out, 0, g.N);
  return new JsArray(out, [g.N, g.O, g.Ho, g.Wo]);
}

/** Images n0..n1-1 of conv2d: a range, so that parallel.ts can give each thread its own. */
export function conv2dImages(xd: TypedArray, wd: TypedArray, g: Geometry, p: Conv2dParams, out: TypedArray, n0: number, n1: number): void {
  const col = allocate(dtypeOfArray(out), g.R * g.P);
  for (let n = n0; n < n1; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      im2col(xd, (n * g.C + gi * g.Cg) * g.H * g.W, g, p, col);
      gemm(g.Og, g.P, g.R, wd, gi * g.Og * g.R, g.R, 1, col, 0, g.P, 1, out, (n * g.O + gi * g.Og) * g.P, g.P, false);
    }
  }
}

/** dx[n, g] = col2im(W_g^T [R x Og] · dy[n, g] [Og x P]). */
export function conv2dBackwardInput(gy: JsArray, w: JsArray, xShape: Shape, p: Conv2dParams): JsArray {
  const g = geometry(xShape, w.shape, p);
  const dx = allocate(floatOf(gy, w), g.N * g.C * g.H * g.W);
  conv2dBackwardInputImages(dataOf(gy), dataOf(w), g, p, dx, 0, g.N);
  return new JsArray(dx, [...xShape]);
}

/** Images n0..n1-1 of conv2dBackwardInput, added into dx (zero there to start with). */
export function conv2dBackwardInputImages(gd: TypedArray, wd: TypedArray, g: Geometry, p: Conv2dParams, dx: TypedArray, n0: number, n1: number): void {
  const col = allocate(dtypeOfArray(dx), g.R * g.P);
  for (let n = n0; n < n1; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      // W_g^T: element (r, o) of the transpose is wd[base + o*R + r]
      gemm(g.R, g.P, g.Og, wd, gi * g.Og * g.R, 1, g.R, gd, (n * g.O + gi * g.Og) * g.P, g.P, 1, col, 0, g.P, false);
      col2im(col, g, p, dx, (n * g.C + gi * g.Cg) * g.H * g.W);
    }
  }
}

/** dW_g = sum over n of dy[n, g] [Og x P] · col(x[n, g])^T [P x R]. */
export function conv2dBackwardFilter(x: JsArray, gy: JsArray, wShape: Shape, p: Conv2dParams): JsArray {
  const g = geometry(x.shape, wShape, p);
  const xd = dataOf(x), gd = dataOf(gy);
  const dw = allocate(floatOf(x, gy), g.O * g.R);
  const col = allocate(floatOf(x, gy), g.R * g.P);
  for (let n = 0; n < g.N; n++) {
    for (let gi = 0; gi < g.G; gi++) {
      im2col(xd, (n * g.C + gi * g.Cg) * g.H * g.W, g, p, col);
      gemm(g.Og, g.R, g.P, gd, (n * g.O + gi * g.Og) * g.P, g.P, 1, col, 0, 1, g.P, dw, gi * g.Og * g.R, g.R, true);
    }
  }
  return new JsArray(dw, [...wShape]);
}

export function poolGeometry(xShape: Shape, p: Pool2dParams) {
  const [N, C, H, W] = xShape;
  const Ho = convOutSize(H, p.kernel[0], p.stride[0], p.padding[0], 1);
  const Wo = convOutSize(W, p.kernel[1], p.stride[1], p.padding[1], 1);
  return { N, C, H, W, Ho, Wo };
}

/** Max over each window; remembers where each max came from (h*W + w in its plane) for backward. */
export function maxPool2d(x: JsArray, p: Pool2dParams): { out: JsArray; argmax: JsArray } {
  const { N, C, Ho, Wo } = poolGeometry(x.shape, p);
  const out = allocateOut(x.dtype, N * C * Ho * Wo);
  const arg = allocateOut("int32", N * C * Ho * Wo) as Int32Array;
  maxPool2dPlanes(dataOf(x), x.shape, p, out, arg, 0, N * C);
  return { out: new JsArray(out, [N, C, Ho, Wo]), argmax: new JsArray(arg, [N, C, Ho, Wo]) };
}

/** Planes p0..p1-1 (of the N*C) of maxPool2d: a range, so that parallel.ts can give each thread its own. */
export function maxPool2dPlanes(xd: TypedArray, xShape: Shape, p: Pool2dParams, out: TypedArray, arg: Int32Array, p0: number, p1: number): void {
  const { H, W, Ho, Wo } = poolGeometry(xShape, p);
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding;
  if (ph === 0 && pw === 0 && Ho > 0 && Wo > 0) {
    maxPoolUnpadded(xd, out, arg, p0, p1, H, W, Ho, Wo, kh, kw, sh, sw);
    return;
  }
  let o = p0 * Ho * Wo;
  for (let plane = p0; plane < p1; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o++) {
        let best = -Infinity, at = -1;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - ph + i;
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw - pw + j;
            if (xx < 0 || xx >= W) continue;
            const v = xd[base + y * W + xx];
            if (v > best || at < 0 || Number.isNaN(v)) {
              best = v;
              at = y * W + xx;
              if (Number.isNaN(v)) break;
            }
          }
        }
        out[o] = best;
        arg[o] = at;
      }
    }
  }
}

/**
 * maxPool2d without padding, where every window lies inside the plane: the
 * same result (first maximum in row-major order, NaN wins) without the
 * bounds checks, starting from the window's first element.
 */
function maxPoolUnpadded(
  xd: TypedArray, out: TypedArray, arg: Int32Array, p0: number, p1: number,
  H: number, W: number, Ho: number, Wo: number, kh: number, kw: number, sh: number, sw: number,
): void {
  let o = p0 * Ho * Wo;
  for (let plane = p0; plane < p1; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o++) {
        const start = oy * sh * W + ox * sw;
        let at = start;
        let best = xd[base + at];
        if (best === best) {
          search: for (let i = 0; i < kh; i++) {
            for (let j = 0, q = start + i * W; j < kw; j++, q++) {
              const v = xd[base + q];
              if (v > best) {
                best = v;
                at = q;
              } else if (v !== v) {
                best = v;
                at = q;
                break search;
              }
            }
          }
        }
        out[o] = best;
        arg[o] = at;
      }
    }
  }
}

export function avgPool2d(x: JsArray, p: Pool2dParams): JsArray {
  const { N, C, H, W, Ho, Wo } = poolGeometry(x.shape, p);
  const xd = dataOf(x);
  const out = allocate(x.dtype === "float64" ? "float64" : "float32", N * C * Ho * Wo);
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding;
  const area = kh * kw;
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o++) {
        let s = 0;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - ph + i;
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw - pw + j;
            if (xx >= 0 && xx < W) s += xd[base + y * W + xx];
          }
        }
        out[o] = s / area;
      }
    }
  }
  return new JsArray(out, [N, C, Ho, Wo]);
}

export function avgPool2dBackward(gy: JsArray, xShape: Shape, p: Pool2dParams): JsArray {
  const { N, C, H, W, Ho, Wo } = poolGeometry(xShape, p);
  const gd = dataOf(gy);
  const dx = allocate(gy.dtype === "float64" ? "float64" : "float32", N * C * H * W);
  const [kh, kw] = p.kernel, [sh, sw] = p.stride, [ph, pw] = p.padding;
  const area = kh * kw;
  let o = 0;
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o++) {
        const g = gd[o] / area;
        for (let i = 0; i < kh; i++) {
          const y = oy * sh - ph + i;
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < kw; j++) {
            const xx = ox * sw - pw + j;
            if (xx >= 0 && xx < W) dx[base + y * W + xx] += g;
          }
        }
      }
    }
  }
  return new JsArray(dx, [...xShape]);
}
