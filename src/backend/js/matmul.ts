import { TypedArray, allocate, promote } from "../../tensor/dtype";
import { numel } from "../../tensor/shape";
import { JsArray } from "./array";

/**
 * C = A·B (or C += A·B) for one pair of matrices given as strided views:
 * element (i, k) of A is A[aOff + i*aRs + k*aCs], likewise for B; C is
 * row-major with row stride ldc.
 *
 * How it is fast, in plain JavaScript: A is copied ("packed") into panels of
 * 4 rows and B into panels of 4 columns, both stored k-major, so the inner
 * loop reads two short runs of memory in order. The inner loop then keeps a
 * 4x4 block of C in 16 local variables (registers) and does 16 multiply-adds
 * per 8 loads, where a plain triple loop does 1 per 2. Packing also makes
 * transposed and strided inputs cost nothing extra.
 */
export function gemm(
  M: number, N: number, K: number,
  A: TypedArray, aOff: number, aRs: number, aCs: number,
  B: TypedArray, bOff: number, bRs: number, bCs: number,
  C: TypedArray, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  if (M === 0 || N === 0 || K === 0) return;
  // K is cut into blocks of 256 so one A panel and one B panel stay in the L1 cache. (Equal
  // blocks, 288 as 144 + 144 rather than 256 + 32, measured a few percent faster but sum in
  // another order: every product with K > 256, and every model trained with one, would
  // change in its last bits, so the blocks stay as they were.)
  const KC = 256;
  if (aCs === 1 && bRs === 1 && (M + N) * 16 > M * N) {
    gemmRowsDotRows(M, N, K, KC, A, aOff, aRs, B, bOff, bCs, C, cOff, ldc);
    return;
  }
  const mPanels = Math.ceil(M / 4);
  const nPanels = Math.ceil(N / 4);
  // sized for the longest block there is; kept between calls (a conv calls gemm once per image,
  // and allocating and zeroing the panels every time cost a tenth of the product)
  const Ap = scratch(0, mPanels * 4 * Math.min(K, KC));
  const Bp = scratch(1, nPanels * 4 * Math.min(K, KC));
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    packA(A, aOff + k0 * aCs, aRs, aCs, M, kc, Ap);
    packB(B, bOff + k0 * bRs, bRs, bCs, N, kc, Bp);
    for (let ip = 0; ip < mPanels; ip++) {
      const i0 = ip * 4;
      const aBase = ip * 4 * kc;
      for (let jp = 0; jp < nPanels; jp++) {
        const j0 = jp * 4;
        const bBase = jp * 4 * kc;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
        let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
        let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let k = 0, a = aBase, b = bBase; k < kc; k++, a += 4, b += 4) {
          const a0 = Ap[a], a1 = Ap[a + 1], a2 = Ap[a + 2], a3 = Ap[a + 3];
          const b0 = Bp[b], b1 = Bp[b + 1], b2 = Bp[b + 2], b3 = Bp[b + 3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const rows = Math.min(4, M - i0);
        const cols = Math.min(4, N - j0);
        const c = cOff + i0 * ldc + j0;
        if (rows === 4 && cols === 4) {
          C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03;
          C[c + ldc] += c10; C[c + ldc + 1] += c11; C[c + ldc + 2] += c12; C[c + ldc + 3] += c13;
          const c2 = c + 2 * ldc, c3 = c + 3 * ldc;
          C[c2] += c20; C[c2 + 1] += c21; C[c2 + 2] += c22; C[c2 + 3] += c23;
          C[c3] += c30; C[c3 + 1] += c31; C[c3 + 2] += c32; C[c3 + 3] += c33;
        } else {
          const block = edge;
          block[0] = c00; block[1] = c01; block[2] = c02; block[3] = c03;
          block[4] = c10; block[5] = c11; block[6] = c12; block[7] = c13;
          block[8] = c20; block[9] = c21; block[10] = c22; block[11] = c23;
          block[12] = c30; block[13] = c31; block[14] = c32; block[15] = c33;
          for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) C[c + r * ldc + q] += block[r * 4 + q];
        }
      }
    }
  }
}

/**
 * The packing buffers, one pair per thread (each worker has its own copy of
 * this module), reused and grown as needed. gemm never calls itself, so one
 * pair is enough; packA/packB write every element gemm reads.
 */
const panels: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
/** A 4x4 block at the edge of C, where only part of it is written (no array allocated per block). */
const edge = new Float64Array(16);
function scratch(which: 0 | 1, n: number): Float64Array {
  if (panels[which].length < n) panels[which] = new Float64Array(Math.max(n, panels[which].length * 2));
  return panels[which];
}

/**
 * gemm where rows of A and columns of B both run along k in memory (A·Bᵀ
 * with both row-major: a filter gradient, dy · colᵀ), and the product is
 * small (M*N < 16(M+N)): packing would then copy more numbers than the
 * 4x4 tiles multiply (each copied number is used min(M, N)/4 times at
 * most), so the tiles read the 4 rows of A and the 4 rows of Bᵀ where they
 * lie. Past the last row or column a tile reads the last one again, and
 * that part of it is not written.
 *
 * Each tile sums k in the same blocks of KC as the packed path and adds
 * each block's sum into C in the same order, so every element of C gets
 * the same bits whichever path computes it: parallel.ts cuts a product
 * into slices that may take the other path than the whole product.
 */
function gemmRowsDotRows(
  M: number, N: number, K: number, KC: number,
  A: TypedArray, aOff: number, aRs: number, B: TypedArray, bOff: number, bCs: number,
  C: TypedArray, cOff: number, ldc: number,
): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    tilesRowsDotRows(M, N, k0, k1, A, aOff, aRs, B, bOff, bCs, C, cOff, ldc);
  }
}

function tilesRowsDotRows(
  M: number, N: number, k0: number, k1: number,
  A: TypedArray, aOff: number, aRs: number, B: TypedArray, bOff: number, bCs: number,
  C: TypedArray, cOff: number, ldc: number,
): void {
  for (let i0 = 0; i0 < M; i0 += 4) {
    const last = M - 1;
    const a0 = aOff + i0 * aRs, a1 = aOff + Math.min(i0 + 1, last) * aRs;
    const a2 = aOff + Math.min(i0 + 2, last) * aRs, a3 = aOff + Math.min(i0 + 3, last) * aRs;
    for (let j0 = 0; j0 < N; j0 += 4) {
      const lastN = N - 1;
      const b0 = bOff + j0 * bCs, b1 = bOff + Math.min(j0 + 1, lastN) * bCs;
      const b2 = bOff + Math.min(j0 + 2, lastN) * bCs, b3 = bOff + Math.min(j0 + 3, lastN) * bCs;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = k0; k < k1; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      const rows = Math.min(4, M - i0), cols = Math.min(4, N - j0);
      const block = edge;
      block[0] = c00; block[1] = c01; block[2] = c02; block[3] = c03;
      block[4] = c10; block[5] = c11; block[6] = c12; block[7] = c13;
      block[8] = c20; block[9] = c21; block[10] = c22; block[11] = c23;
      block[12] = c30; block[13] = c31; block[14] = c32; block[15] = c33;
      const c = cOff + i0 * ldc + j0;
      for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) C[c + r * ldc + q] += block[r * 4 + q];
    }
  }
}

/** Ap[panel][k][r] = A[i0 + r, k], zero past the last row. */
function packA(A: TypedArray, off: number, rs: number, cs: number, M: number, kc: number, Ap: Float64Array): void {
  for (let i0 = 0, p = 0; i0 < M; i0 += 4) {
    const rows = Math.min(4, M - i0);
    for (let k = 0; k < kc; k++) {
      const base = off + i0 * rs + k * cs;
      for (let r = 0; r < 4; r++) Ap[p++] = r < rows ? A[base + r * rs] : 0;
    }
  }
}

/** Bp[panel][k][c] = B[k, j0 + c], zero past the last column. */
function packB(B: TypedArray, off: number, rs: number, cs: number, N: number, kc: number, Bp: Float64Array): void {
  for (let j0 = 0, p = 0; j0 < N; j0 += 4) {
    const cols = Math.min(4, N - j0);
    for (let k = 0; k < kc; k++) {
      const base = off + k * rs + j0 * cs;
      for (let c = 0; c < 4; c++) Bp[p++] = c < cols ? B[base + c * cs] : 0;
    }
  }
}

/** The textbook triple loop: the reference the tuned gemm is tested against. */
export function gemmReference(M: number, N: number, K: number, A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      C[i * N + j] = s;
    }
  return C;
}

/** Batched matmul over views: a [...batch, M, K], b [...batch, K, N], equal batch shapes. */
export function matmul(a: JsArray, b: JsArray): JsArray {
  const r = a.shape.length;
  const M = a.shape[r - 2], K = a.shape[r - 1], N = b.shape[r - 1];
  const batch = a.shape.slice(0, r - 2);
  const out = allocate(promote(a.dtype, b.dtype) === "float64" ? "float64" : "float32", numel(batch) * M * N);
  const nb = numel(batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < nb; t++) {
    let ao = a.offset, bo = b.offset;
    for (let d = 0; d < batch.length; d++) {
      ao += idx[d] * a.strides[d];
      bo += idx[d] * b.strides[d];
    }
    gemm(M, N, K, a.buf, ao, a.strides[r - 2], a.strides[r - 1], b.buf, bo, b.strides[r - 2], b.strides[r - 1], out, t * M * N, N, false);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return new JsArray(out, [...batch, M, N]);
}
