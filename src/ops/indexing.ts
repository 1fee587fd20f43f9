import { fail, fmtShape } from "../errors";
import { normDim } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import { apply, OpDef } from "./op";

/**
 * Index tensors must be int32 and inside [0, size): checked here so kernels
 * never read out of bounds. `name` is what the message calls the tensor.
 */
export function checkIndex(op: string, index: Tensor, size: number, what: string, name = "index"): void {
  if (index.dtype !== "int32") fail(op, `${name} must be an int32 tensor, got ${index.dtype} (use .int() or tensor(data, {dtype: "int32"}))`);
  const v = index.values();
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= size) {
      fail(op, `${name} holds ${v[i]} (at flat position ${i}), out of range for ${what}: expected 0..${size - 1}`);
    }
  }
}

// d gather(x, dim, idx) = scatterAdd(zeros like x, dim, idx, g)
const GATHER: OpDef<{ dim: number }> = {
  name: "gather",
  forward: (be, [x, index], { dim }) => be.gather(x, dim, index),
  backward: ({ inputs: [x, index], attrs: { dim } }, g) => [scatterAdd(x.zerosLike(), dim, index, g), null],
  saves: { inputs: [1] },
};

// d scatterAdd(x, dim, idx, src): x gets g, src gets gather(g, dim, idx)
const SCATTER_ADD: OpDef<{ dim: number }> = {
  name: "scatterAdd",
  forward: (be, [x, index, src], { dim }) => be.scatterAdd(x, dim, index, src),
  backward: ({ inputs: [, index], attrs: { dim } }, g) => [g, null, gather(g, dim, index)],
  saves: { inputs: [1] },
};

function checkGather(op: string, x: Tensor, d: number, index: Tensor, other?: Tensor): void {
  if (index.ndim !== x.ndim) fail(op, `index of shape ${fmtShape(index.shape)} must have the rank of input ${fmtShape(x.shape)}`);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) {
      fail(op, `index shape ${fmtShape(index.shape)} is larger than input shape ${fmtShape(x.shape)} at dimension ${i}`);
    }
  }
  if (other && (other.ndim !== index.ndim || other.shape.some((s, i) => s < index.shape[i]))) {
    fail(op, `src of shape ${fmtShape(other.shape)} must have the rank of index ${fmtShape(index.shape)} and be at least as large in every dimension`);
  }
  checkIndex(op, index, x.shape[d], `dimension ${d} of input ${fmtShape(x.shape)}`);
}

export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim("gather", dim, x.ndim);
  checkGather("gather", x, d, index);
  return apply(GATHER, [x, index], { dim: d });
}

export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normDim("scatterAdd", dim, x.ndim);
  checkGather("scatterAdd", x, d, index, src);
  // only the index-shaped corner of src is used (as in PyTorch); slicing it off gives src's gradient src's shape
  let s = src;
  index.shape.forEach((n, i) => {
    if (s.shape[i] !== n) s = s.slice(i, 0, n);
  });
  return apply(SCATTER_ADD, [x, index, s], { dim: d });
}

// d indexSelect = indexAdd of the gradient into zeros; and the other way round
const INDEX_SELECT: OpDef<{ dim: number }> = {
  name: "indexSelect",
  forward: (be, [x, index], { dim }) => be.indexSelect(x, dim, index),
  backward: ({ inputs: [x, index], attrs: { dim } }, g) => [indexAdd(x.zerosLike(), dim, index, g), null],
  saves: { inputs: [1] },
};

const INDEX_ADD: OpDef<{ dim: number }> = {
  name: "indexAdd",
  forward: (be, [x, index, src], { dim }) => be.indexAdd(x, dim, index, src),
  backward: ({ inputs: [, index], attrs: { dim } }, g) => [g, null, indexSelect(g, dim, index)],
  saves: { inputs: [1] },
};

export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const d = normDim("indexSelect", dim, x.ndim);
  if (index.ndim !== 1) fail("indexSelect", `index must be 1-D, got shape ${fmtShape(index.shape)}`);
  checkIndex("indexSelect", index, x.shape[d], `dimension ${d} of input ${fmtShape(x.shape)}`);
  return apply(INDEX_SELECT, [x, index], { dim: d });
}

export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const d = normDim("indexAdd", dim, x.ndim);
  if (index.ndim !== 1) fail("indexAdd", `index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const want = x.shape.map((s, i) => (i === d ? index.shape[0] : s));
  if (src.ndim !== x.ndim || src.shape.some((s, i) => s !== want[i])) {
    fail("indexAdd", `src has shape ${fmtShape(src.shape)}, expected ${fmtShape(want)} for input ${fmtShape(x.shape)} and ${index.shape[0]} indices`);
  }
  checkIndex("indexAdd", index, x.shape[d], `dimension ${d} of input ${fmtShape(x.shape)}`);
  return apply(INDEX_ADD, [x, index, src], { dim: d });
}

/**
 * x[idx] with an integer tensor along `dim`: the result has idx's shape in
 * place of that dim (so an embedding lookup of [batch, time] ids gives
 * [batch, time, features]).
 */
export function index(x: Tensor, idx: Tensor, dim = 0): Tensor {
  const d = normDim("index", dim, x.ndim);
  checkIndex("index", idx, x.shape[d], `dimension ${d} of input ${fmtShape(x.shape)}`);
  return lookup(x, idx, d);
}

/** Rows of `weight` [vocab, dim] picked by integer ids of any shape: [...ids.shape, dim]. */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2) fail("embedding", `weight must be [numEmbeddings, dim], got ${fmtShape(weight.shape)}`);
  checkIndex("embedding", ids, weight.shape[0], `a weight of ${weight.shape[0]} embeddings ${fmtShape(weight.shape)}`, "ids");
  return lookup(weight, ids, 0);
}

/** indexSelect with an index of any shape, already checked by the caller (so errors name the op the user called). */
function lookup(x: Tensor, idx: Tensor, d: number): Tensor {
  const flat = apply(INDEX_SELECT, [x, idx.reshape([-1])], { dim: d });
  return flat.reshape([...x.shape.slice(0, d), ...idx.shape, ...x.shape.slice(d + 1)]);
}

/** One-hot rows for integer classes: [...labels.shape, numClasses], float32. */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses <= 0) fail("oneHot", `numClasses must be a positive integer, got ${numClasses}`);
  checkIndex("oneHot", labels, numClasses, `numClasses ${numClasses}`, "labels");
  const classes = Tensor.arange(numClasses, "int32", labels.backend);
  return labels.unsqueeze(-1).eq(classes).float();
}
