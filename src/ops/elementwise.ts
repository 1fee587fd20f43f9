import type { BinaryOp, UnaryOp } from "../backend/backend";
import { fail } from "../errors";
import { isFloat } from "../tensor/dtype";
import { broadcastShapes } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { apply, OpDef } from "./op";

/** A plain number becomes a 0-d tensor that does not widen x's float dtype, as in PyTorch. */
export function lift(x: Tensor, v: Tensor | number): Tensor {
  if (v instanceof Tensor) return v;
  const dtype = isFloat(x.dtype) ? x.dtype : Number.isInteger(v) && x.dtype === "int32" ? "int32" : "float32";
  return Tensor.scalar(v, dtype, x.backend);
}

function binaryOp(name: BinaryOp, backward?: OpDef<void>["backward"], saves?: OpDef<void>["saves"]): OpDef<void> {
  return { name, forward: (be, [a, b]) => be.binary(name, a, b), backward, saves };
}

/** Applies a binary op after checking, here in the op layer, that the shapes broadcast: every backend then fails alike. */
function binary(op: OpDef<void>, a: Tensor, b: Tensor | number): Tensor {
  const tb = lift(a, b);
  broadcastShapes(op.name, a.shape, tb.shape);
  return apply(op, [a, tb], undefined);
}

function unaryOp(name: UnaryOp, backward?: OpDef<void>["backward"], saves?: OpDef<void>["saves"]): OpDef<void> {
  return { name, forward: (be, [x]) => be.unary(name, x), backward, saves };
}

// --- arithmetic: forward and backward side by side ----------------------
// d(a+b) = da + db
const ADD = binaryOp("add", (_, g) => [g, g]);
// d(a-b) = da - db
const SUB = binaryOp("sub", (_, g) => [g, g.neg()]);
// d(ab) = b da + a db
const MUL = binaryOp("mul", ({ inputs: [a, b] }, g) => [g.mul(b), g.mul(a)], { inputs: [0, 1] });
// d(a/b) = da/b - a db/b^2
const DIV = binaryOp(
  "div",
  ({ inputs: [a, b] }, g) => [g.div(b), b.requiresGrad ? g.mul(a).neg().div(b.mul(b)) : null],
  { inputs: [0, 1] },
);
// d(a^b) = b a^(b-1) da + a^b ln(a) db; where b = 0 the first is 0, also at a = 0 (not 0 * inf)
const POW = binaryOp(
  "pow",
  ({ inputs: [a, b], output }, g) => [
    where(b.eq(0), lift(g, 0), g.mul(b).mul(a.pow(b.sub(1)))),
    b.requiresGrad ? g.mul(output).mul(where(a.gt(0), a, lift(a, 1)).log()) : null,
  ],
  { inputs: [0, 1], output: true },
);
// the gradient goes to whichever input was chosen (to a on ties, as in PyTorch's split-evenly it would be half; we pick a)
const MAXIMUM = binaryOp(
  "maximum",
  ({ inputs: [a, b] }, g) => {
    const pickA = a.ge(b);
    return [where(pickA, g, lift(g, 0)), where(pickA, lift(g, 0), g)];
  },
  { inputs: [0, 1] },
);
const MINIMUM = binaryOp(
  "minimum",
  ({ inputs: [a, b] }, g) => {
    const pickA = a.le(b);
    return [where(pickA, g, lift(g, 0)), where(pickA, lift(g, 0), g)];
  },
  { inputs: [0, 1] },
);

export const add = (a: Tensor, b: Tensor | number): Tensor => binary(ADD, a, b);
export const sub = (a: Tensor, b: Tensor | number): Tensor => binary(SUB, a, b);
export const mul = (a: Tensor, b: Tensor | number): Tensor => binary(MUL, a, b);
export const div = (a: Tensor, b: Tensor | number): Tensor => binary(DIV, a, b);
export const pow = (a: Tensor, b: Tensor | number): Tensor => binary(POW, a, b);
export const maximum = (a: Tensor, b: Tensor | number): Tensor => binary(MAXIMUM, a, b);
export const minimum = (a: Tensor, b: Tensor | number): Tensor => binary(MINIMUM, a, b);

// --- comparisons and logic: no gradient ----------------------------------
const CMP: Record<string, OpDef<void>> = {};
for (const op of ["eq", "ne", "lt", "le", "gt", "ge", "and", "or"] as const) CMP[op] = binaryOp(op);
export const eq = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.eq, a, b);
export const ne = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.ne, a, b);
export const lt = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.lt, a, b);
export const le = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.le, a, b);
export const gt = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.gt, a, b);
export const ge = (a: Tensor, b: Tensor | number): Tensor => binary(CMP.ge, a, b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => binary(CMP.and, a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => binary(CMP.or, a, b);

// --- unary math -----------------------------------------------------------
const NEG = unaryOp("neg", (_, g) => [g.neg()]);
// d e^x = e^x dx (reuses the output)
const EXP = unaryOp("exp", ({ output }, g) => [g.mul(output)], { output: true });
// d ln x = dx / x
const LOG = unaryOp("log", ({ inputs: [x] }, g) => [g.div(x)], { inputs: [0] });
// d sqrt(x) = dx / (2 sqrt(x))
const SQRT = unaryOp("sqrt", ({ output }, g) => [g.div(output.mul(2))], { output: true });
// d|x| = sign(x) dx (0 at 0, as in PyTorch)
const ABS = unaryOp("abs", ({ inputs: [x] }, g) => [g.mul(x.sign())], { inputs: [0] });
const SIGN = unaryOp("sign", (_, g) => [g.mul(0)]);
const SIN = unaryOp("sin", ({ inputs: [x] }, g) => [g.mul(x.cos())], { inputs: [0] });
const COS = unaryOp("cos", ({ inputs: [x] }, g) => [g.mul(x.sin()).neg()], { inputs: [0] });
// d erf(x) = 2/sqrt(pi) e^(-x^2) dx
const ERF = unaryOp("erf", ({ inputs: [x] }, g) => [g.mul(x.mul(x).neg().exp().mul(2 / Math.sqrt(Math.PI)))], { inputs: [0] });
const FLOOR = unaryOp("floor");
const CEIL = unaryOp("ceil");
const ROUND = unaryOp("round");
const ISFINITE = unaryOp("isfinite");
const NOT = unaryOp("not");

export const neg = (x: Tensor): Tensor => apply(NEG, [x], undefined);
export const exp = (x: Tensor): Tensor => apply(EXP, [x], undefined);
export const log = (x: Tensor): Tensor => apply(LOG, [x], undefined);
export const sqrt = (x: Tensor): Tensor => apply(SQRT, [x], undefined);
export const abs = (x: Tensor): Tensor => apply(ABS, [x], undefined);
export const sign = (x: Tensor): Tensor => apply(SIGN, [x], undefined);
export const sin = (x: Tensor): Tensor => apply(SIN, [x], undefined);
export const cos = (x: Tensor): Tensor => apply(COS, [x], undefined);
export const erf = (x: Tensor): Tensor => apply(ERF, [x], undefined);
export const floor = (x: Tensor): Tensor => apply(FLOOR, [x], undefined);
export const ceil = (x: Tensor): Tensor => apply(CEIL, [x], undefined);
export const round = (x: Tensor): Tensor => apply(ROUND, [x], undefined);
export const isfinite = (x: Tensor): Tensor => apply(ISFINITE, [x], undefined);
export const logicalNot = (x: Tensor): Tensor => apply(NOT, [x], undefined);

// clamp: the gradient passes where x was inside [min, max]
const CLAMP: OpDef<{ min: number; max: number }> = {
  name: "clamp",
  forward: (be, [x], { min, max }) => be.clamp(x, min, max),
  backward: ({ inputs: [x], attrs: { min, max } }, g) => {
    const bounds: Tensor[] = [];
    if (!Number.isNaN(min)) bounds.push(x.ge(min));
    if (!Number.isNaN(max)) bounds.push(x.le(max));
    const inside = bounds.reduce((p, q) => p.logicalAnd(q));
    return [where(inside, g, lift(g, 0))];
  },
  saves: { inputs: [0] },
};

export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? NaN, hi = max ?? NaN;
  if (Number.isNaN(lo) && Number.isNaN(hi)) fail("clamp", "give at least one of min and max");
  if (lo > hi) fail("clamp", `min ${lo} is greater than max ${hi}`);
  return apply(CLAMP, [x], { min: lo, max: hi });
}

// where(c, a, b): the gradient flows to a where c holds, to b elsewhere
const WHERE: OpDef<void> = {
  name: "where",
  forward: (be, [c, a, b]) => be.where(c, a, b),
  backward: ({ inputs: [c] }, g) => {
    const zero = lift(g, 0);
    return [null, where(c, g, zero), where(c, zero, g)];
  },
  saves: { inputs: [0] },
};

export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ref = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const ta = a instanceof Tensor ? a : lift(ref.dtype === "bool" ? Tensor.scalar(0, "float32", ref.backend) : ref, a);
  const tb = b instanceof Tensor ? b : lift(ta, b);
  broadcastShapes("where", cond.shape, ta.shape, tb.shape);
  return apply(WHERE, [cond, ta, tb], undefined);
}
