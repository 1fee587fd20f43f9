import { fail, fmtShape } from "../errors";
import { broadcastShapes } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { apply, OpDef } from "./op";

// d(AB) = dA B + A dB, so dA = G B^T and dB = A^T G (batched, on the last two dims)
const MATMUL: OpDef<void> = {
  name: "matmul",
  forward: (be, [a, b]) => be.matmul(a, b),
  // an input that needs no gradient (a network's input batch) costs no product: that is a third of a layer's backward
  backward: ({ inputs: [a, b] }, g) => [
    a.requiresGrad ? g.matmul(b.transpose(-2, -1)) : null,
    b.requiresGrad ? a.transpose(-2, -1).matmul(g) : null,
  ],
  saves: { inputs: [0, 1] },
};

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted to a row
 * (left) or column (right) and that dim is dropped again afterwards; leading
 * "batch" dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) fail("matmul", `both operands need at least 1 dimension, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(-1) : b;
  const K = a2.shape[a2.ndim - 1];
  const K2 = b2.shape[b2.ndim - 2];
  if (K !== K2) {
    fail("matmul", `${fmtShape(a.shape)} @ ${fmtShape(b.shape)}: inner dimensions ${K} and ${K2} differ`);
  }
  let batch: number[];
  try {
    batch = broadcastShapes("matmul", a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  } catch {
    fail("matmul", `${fmtShape(a.shape)} @ ${fmtShape(b.shape)}: batch dimensions do not broadcast`);
  }
  const M = a2.shape[a2.ndim - 2], N = b2.shape[b2.ndim - 1];
  let out: Tensor;
  if (batch.length > 0 && b2.ndim === 2) {
    // [..., M, K] @ [K, N]: one big product, as for a Linear layer on a batch of sequences
    out = apply(MATMUL, [a2.reshape([-1, K]), b2], undefined).reshape([...batch, M, N]);
  } else {
    out = apply(MATMUL, [a2.expand([...batch, M, K]), b2.expand([...batch, K, N])], undefined);
  }
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}
