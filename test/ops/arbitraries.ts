/**
 * fast-check arbitraries shared by the op tests: random shapes, sets of
 * broadcast-compatible shapes, and tensors that are laid out as a plain
 * contiguous array or as a non-contiguous view (transposed, sliced with a
 * step, or expanded with stride 0), so every kernel and backward rule is
 * exercised on strided memory as well as on the easy case.
 *
 * A generated tensor comes as a `ViewSpec` (plain data: shows up readably in
 * a counterexample) and is made with `buildView`; `tensorArb` does both.
 *
 *   fc.assert(fc.property(tensorArb({ minAbs: 0.1 }), (x) => ...), FC);
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { grad } from "../../src/autograd/grad";
import { gradcheck, GradcheckOptions } from "../../src/autograd/gradcheck";
import { fmtShape } from "../../src/errors";
import type { DType } from "../../src/tensor/dtype";
import { broadcastShapes } from "../../src/tensor/shape";
import { Tensor } from "../../src/tensor/tensor";

/** Seeded, small: reproducible runs that stay fast on 2 cores. Spread into fc.assert's options. */
export const FC: { seed: number; numRuns: number } = { seed: 20240611, numRuns: 20 };

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
}

export function shapeArb(o: ShapeOptions = {}): fc.Arbitrary<number[]> {
  // unbiased: fast-check's default bias toward the edges would make most shapes [] or all-1s
  const dim = fc.noBias(fc.integer({ min: o.minDim ?? 1, max: o.maxDim ?? 4 }));
  return fc
    .noBias(fc.integer({ min: o.minRank ?? 0, max: o.maxRank ?? 3 }))
    .chain((rank) => fc.array(dim, { minLength: rank, maxLength: rank }));
}

/**
 * `count` shapes that broadcast together: each is a suffix of a random shape
 * (leading dims dropped) in which some sizes are 1; `out` is their broadcast.
 */
export function broadcastShapesArb(count: number, o: ShapeOptions = {}): fc.Arbitrary<{ out: number[]; shapes: number[][] }> {
  const oneInThree = fc.noBias(fc.integer({ min: 0, max: 2 })).map((v) => v === 0);
  return shapeArb(o).chain((out) => {
    // half the operands keep every dim, the others lose 1..rank leading ones
    const one = fc
      .tuple(fc.noBias(fc.integer({ min: -out.length, max: out.length })).map((d) => Math.max(0, d)), fc.array(oneInThree, { minLength: out.length, maxLength: out.length }))
      .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.array(one, { minLength: count, maxLength: count }).map((shapes) => ({ out: broadcastShapes("test", ...shapes), shapes }));
  });
}

/** Two broadcast-compatible shapes. */
export function broadcastPairArb(o: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return broadcastShapesArb(2, o).map(({ shapes }) => [shapes[0], shapes[1]]);
}

export type Layout = "contiguous" | "transposed" | "strided" | "expanded";
export const ALL_LAYOUTS: readonly Layout[] = ["contiguous", "transposed", "strided", "expanded"];

export interface ValueOptions {
  /** Values are uniform on [min, max] (a grid of 1e5 steps). Default [-2, 2]. */
  min?: number;
  max?: number;
  /** Keep |v| >= minAbs: stays away from kinks at 0 (relu, abs, sign...). */
  minAbs?: number;
  /** All values distinct (no ties for max/min); excludes the expanded layout. */
  distinct?: boolean;
  dtype?: DType;
}

export interface TensorOptions extends ValueOptions {
  layouts?: readonly Layout[];
}

/** How to build one tensor: `base` holds `values` contiguously, and the layout turns it into `shape`. */
export interface ViewSpec {
  shape: number[];
  layout: Layout;
  base: number[];
  /** transposed: the two dims swapped; strided: [dim, start]; expanded: the dims of shape that base has as 1. */
  dims: number[];
  /** expanded: how many leading dims of shape base lacks. */
  lead: number;
  values: number[];
  dtype: DType;
}

const GRID = 100000;

function valuesArb(n: number, o: ValueOptions): fc.Arbitrary<number[]> {
  const lo = o.min ?? -2, hi = o.max ?? 2, minAbs = o.minAbs ?? 0;
  const toValue = (i: number) => lo + ((hi - lo) * i) / GRID;
  // unbiased, so values spread over [min, max] instead of crowding at its ends
  const cell = fc.noBias(fc.integer({ min: 0, max: GRID })).filter((i) => Math.abs(toValue(i)) >= minAbs);
  const cells = o.distinct
    ? fc.uniqueArray(cell, { minLength: n, maxLength: n })
    : fc.array(cell, { minLength: n, maxLength: n });
  return cells.map((c) => c.map(toValue));
}

function layoutArb(shape: number[], o: TensorOptions): fc.Arbitrary<Omit<ViewSpec, "values" | "dtype">> {
  const allowed = (o.layouts ?? ALL_LAYOUTS).filter((l) => !(o.distinct && l === "expanded"));
  const options: fc.Arbitrary<Omit<ViewSpec, "values" | "dtype">>[] = [];
  const plain = { shape, layout: "contiguous" as Layout, base: shape, dims: [], lead: 0 };
  if (allowed.includes("contiguous") || shape.length === 0) options.push(fc.constant(plain));
  const r = shape.length;
  if (allowed.includes("transposed") && r >= 2) {
    options.push(
      fc.tuple(fc.integer({ min: 0, max: r - 1 }), fc.integer({ min: 0, max: r - 1 })).filter(([a, b]) => a !== b).map(([a, b]) => {
        const base = [...shape];
        [base[a], base[b]] = [base[b], base[a]];
        return { shape, layout: "transposed" as Layout, base, dims: [a, b], lead: 0 };
      }),
    );
  }
  if (allowed.includes("strided") && r >= 1) {
    options.push(
      fc.tuple(fc.integer({ min: 0, max: r - 1 }), fc.integer({ min: 0, max: 1 })).map(([d, start]) => {
        const base = [...shape];
        base[d] = 2 * shape[d] + start;
        return { shape, layout: "strided" as Layout, base, dims: [d, start], lead: 0 };
      }),
    );
  }
  if (allowed.includes("expanded") && r >= 1) {
    options.push(
      fc.tuple(fc.noBias(fc.integer({ min: 0, max: r })), fc.array(fc.boolean(), { minLength: r, maxLength: r })).map(([lead, ones]) => {
        const dims = shape.map((_, i) => i).filter((i) => i >= lead && ones[i]);
        const base = shape.map((d, i) => (dims.includes(i) ? 1 : d)).slice(lead);
        return { shape, layout: "expanded" as Layout, base, dims, lead };
      }),
    );
  }
  if (options.length === 0) options.push(fc.constant(plain));
  return fc.oneof(...options);
}

/** A tensor of exactly this shape, in one of the allowed layouts. */
export function viewSpecOfShapeArb(shape: readonly number[], o: TensorOptions = {}): fc.Arbitrary<ViewSpec> {
  return layoutArb([...shape], o).chain((l) =>
    valuesArb(l.base.reduce((a, b) => a * b, 1), o).map((values) => ({ ...l, values, dtype: o.dtype ?? "float64" })),
  );
}

/** Makes the tensor a ViewSpec describes (on the active backend; a leaf that does not require grad). */
export function buildView(s: ViewSpec): Tensor {
  const base = Tensor.fromTyped(Float64Array.from(s.values), s.base, { dtype: s.dtype });
  switch (s.layout) {
    case "contiguous":
      return base;
    case "transposed":
      return base.transpose(s.dims[0], s.dims[1]);
    case "strided":
      return base.slice(s.dims[0], s.dims[1], undefined, 2);
    case "expanded":
      return base.expand(s.shape);
  }
}

export function tensorOfShapeArb(shape: readonly number[], o: TensorOptions = {}): fc.Arbitrary<Tensor> {
  return viewSpecOfShapeArb(shape, o).map(buildView);
}

/** A tensor of a random shape (see ShapeOptions) and layout. */
export function tensorArb(o: TensorOptions & ShapeOptions = {}): fc.Arbitrary<Tensor> {
  return shapeArb(o).chain((s) => tensorOfShapeArb(s, o));
}

/** Tensors of the given shapes, each in its own random layout. */
export function tensorsOfShapesArb(shapes: readonly (readonly number[])[], o: TensorOptions = {}): fc.Arbitrary<Tensor[]> {
  return fc.tuple(...shapes.map((s) => tensorOfShapeArb(s, o)));
}

/** Two tensors of broadcast-compatible shapes, each in a random layout. */
export function broadcastPairTensorsArb(o: TensorOptions & ShapeOptions = {}): fc.Arbitrary<[Tensor, Tensor]> {
  return broadcastPairArb(o).chain(([a, b]) => fc.tuple(tensorOfShapeArb(a, o), tensorOfShapeArb(b, o)));
}

// --- gradient checks ----------------------------------------------------------

/**
 * Asserts autograd's gradient of fn agrees with central differences (float64,
 * worst relative error below 1e-6), naming the input, element and both values
 * when it does not.
 */
export function assertGradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): void {
  const r = gradcheck(fn, inputs, opts);
  if (!r.ok) {
    const detail = r.inputs
      .map((i) => `input ${i.index} ${fmtShape(inputs[i.index].shape)}: rel err ${i.maxRelError.toExponential(2)} at ${i.at} (analytic ${i.analytic}, numeric ${i.numeric})`)
      .join("; ");
    assert.fail(`gradcheck failed: ${detail}`);
  }
}

/**
 * The gradient of sum(fn(...xs) * w) with respect to xs[wrt], itself
 * differentiable (createGraph): gradcheck of this checks the second
 * derivative (double backward). Inputs that gradcheck passes without
 * requiresGrad (the finite-difference probes) are made leaves here.
 * `w` defaults to all ones.
 */
export function gradOf(fn: (...xs: Tensor[]) => Tensor, wrt = 0, w?: Tensor): (...xs: Tensor[]) => Tensor {
  return (...xs: Tensor[]) => {
    const ins = xs.map((x) => (x.requiresGrad ? x : x.detach().requiresGrad_(true)));
    const y = fn(...ins);
    const [g] = grad(w ? y.mul(w).sum() : y.sum(), ins[wrt], { createGraph: true });
    return g!;
  };
}

/** The multi-index of a flat row-major position, and back: for reference implementations in tests. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
  return f;
}
