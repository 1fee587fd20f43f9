import { fail, fmtShape } from "../errors";
import { BackwardContext, checkFinite, Node, savedTensors } from "../ops/op";
import { sameShape } from "../tensor/shape";
import type { Tensor } from "../tensor/tensor";
import { inBackwardOf, isAnomalyEnabled, withGradMode } from "./mode";

/**
 * Reverse-mode differentiation over the recorded graph.
 *
 * 1. Order: every tensor reachable from the outputs through `gradFn`, sorted
 *    so that a tensor comes after everything computed from it.
 * 2. Walk that order from the outputs back: each node's op turns the
 *    gradient of its output into gradients of its inputs, which are *added*
 *    to what those inputs already received (a tensor used twice gets both).
 *
 * With `createGraph`, the backward ops themselves are recorded, so the
 * gradients can be differentiated again.
 */
export interface BackwardOptions {
  createGraph?: boolean;
}

function topoOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS: a long RNN graph is deeper than the call stack
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = top[0].gradFn?.inputs ?? [];
      if (top[1] < inputs.length) {
        const next = inputs[top[1]++];
        if (next.requiresGrad && !seen.has(next)) {
          seen.add(next);
          stack.push([next, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  return order.reverse();
}

/** A use of a tensor by an op with `backwardMany`, waiting until every such use has its gradient. */
interface Deferred {
  node: Node;
  ctx: BackwardContext<unknown>;
  grad: Tensor;
}

/**
 * Computes d(roots)/d(every tensor in the graph), seeded with rootGrads.
 *
 * Ops with `backwardMany` (slices) are not differentiated one by one: their
 * gradients wait on their input until the walk reaches it, when every use
 * has its gradient, and are combined in one go. An RNN takes T slices of
 * one [T, ...] tensor; each one's gradient padded with zeros to the full
 * size and summed would cost T full-size tensors, quadratic in T.
 */
export function propagate(roots: readonly Tensor[], rootGrads: readonly Tensor[], opts: BackwardOptions = {}): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>();
  const waiting = new Map<Tensor, Deferred[]>();
  roots.forEach((r, i) => accumulate(grads, r, rootGrads[i]));
  const order = topoOrder(roots);

  const give = (node: Node, i: number, gi: Tensor | null | undefined) => {
    const inp = node.inputs[i];
    if (!inp.requiresGrad || !gi) return;
    gi = sumToShape(gi, inp.shape);
    if (!sameShape(gi.shape, inp.shape)) {
      fail(`${node.op.name} (backward)`, `gradient for input ${i} has shape ${fmtShape(gi.shape)}, expected ${fmtShape(inp.shape)}`);
    }
    if (isAnomalyEnabled()) {
      const gc = gi;
      withTrace(node, () => checkFinite(node.op.name, "backward", gc.backend, gc.data, node.inputs));
    }
    accumulate(grads, inp, gi);
  };
  const backward = (node: Node, ctx: BackwardContext<unknown>, g: Tensor) => {
    const gin = isAnomalyEnabled()
      ? withTrace(node, () => inBackwardOf(node.op.name, () => node.op.backward!(ctx, g)))
      : node.op.backward!(ctx, g);
    node.inputs.forEach((_, i) => give(node, i, gin[i]));
  };
  // every use of t comes before t in the walk, so the uses waiting on t all have their gradients now
  const settle = (t: Tensor) => {
    const uses = waiting.get(t);
    if (!uses) return;
    waiting.delete(t);
    const op = uses[0].node.op;
    const many = op.backwardMany!.bind(op);
    const combined = isAnomalyEnabled()
      ? withTrace(uses[0].node, () => inBackwardOf(op.name, () => many(uses.map((u) => u.ctx), uses.map((u) => u.grad))))
      : many(uses.map((u) => u.ctx), uses.map((u) => u.grad));
    if (combined) give(uses[0].node, 0, combined);
    else for (const u of uses) backward(u.node, u.ctx, u.grad);
  };

  withGradMode(opts.createGraph ?? false, () => {
    for (const t of order) {
      settle(t);
      const node = t.gradFn;
      const g = grads.get(t);
      if (!node || !g) continue;
      checkVersions(node, t);
      const ctx: BackwardContext<unknown> = { inputs: node.inputs, output: t, attrs: node.attrs, saved: node.saved };
      const input = node.inputs[0];
      if (node.op.backwardMany && node.inputs.length === 1 && input.requiresGrad) {
        // uses by different ops are combined separately: group by op
        const key = waiting.get(input);
        if (key && key[0].node.op !== node.op) backward(node, ctx, g);
        else if (key) key.push({ node, ctx, grad: g });
        else waiting.set(input, [{ node, ctx, grad: g }]);
        continue;
      }
      backward(node, ctx, g);
    }
  });
  return grads;
}

/** In anomaly mode, an error raised while differentiating a node also says where its forward was called. */
function withTrace<T>(node: Node, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (node.trace && e instanceof Error && !e.message.includes("The forward call was:")) e.message += `\nThe forward call was:\n${node.trace}`;
    throw e;
  }
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev ? prev.add(g) : g);
}

function checkVersions(node: Node, output: Tensor): void {
  const saved = savedTensors(node.op, node.inputs, output);
  saved.forEach((s, i) => {
    if (s.version !== node.versions[i]) {
      fail(
        `${node.op.name} (backward)`,
        `a tensor of shape ${fmtShape(s.shape)} that this op saved for backward was modified in place ` +
          `after the forward pass (version ${node.versions[i]} then, ${s.version} now); ` +
          `use an out-of-place op (e.g. x.add(y) instead of x.add_(y)) or .clone() it first`,
      );
    }
  });
}

/**
 * Undoes broadcasting: sums a gradient over the dimensions that broadcasting
 * added or stretched, so it has the shape of the input it belongs to. Done
 * here, once, so no backward rule handles broadcasting itself.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) return g; // the engine's shape check names the op
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  let r = dims.length ? g.sum(dims, true) : g;
  if (lead > 0) r = r.reshape(shape);
  return r;
}
