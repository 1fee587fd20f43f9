import {
  add, autograd, avgPool2d, backend, cat, clamp, conv2d, dropout, embedding, gradcheck, indexAdd, maxPool2d, oneHot,
  ones, randn, split, stack, tensor, where, zeros,
} from "../src";
import type { NestedArray } from "../src";
import { assertThrowsOp, forEachBackend } from "./helpers";

/*
 * Bad input must fail at the call that was wrong, with a message that names
 * the op and the shapes or values at fault: what a student reads first.
 */
const int = (data: NestedArray) => tensor(data, { dtype: "int32" });

forEachBackend("errors name the op and what is wrong", () => {
  describe("linear algebra and broadcasting", () => {
    it("matmul: inner dimensions differ", () => {
      assertThrowsOp(() => zeros([2, 3]).matmul(zeros([4, 5])), "matmul", "matmul: [2,3] @ [4,5]: inner dimensions 3 and 4 differ");
      assertThrowsOp(() => zeros([3]).matmul(zeros([4])), "matmul", "[3] @ [4]", "3 and 4");
    });

    it("matmul: batch dimensions that do not broadcast, and 0-d operands", () => {
      assertThrowsOp(() => zeros([2, 2, 3]).matmul(zeros([3, 3, 4])), "matmul", "[2,2,3] @ [3,3,4]", "batch");
      assertThrowsOp(() => zeros([]).matmul(zeros([2])), "matmul", "[] @ [2]");
    });

    it("add: shapes that do not broadcast", () => {
      assertThrowsOp(() => add(zeros([2, 3]), zeros([4, 3])), "add", "[2,3] and [4,3]", "size 2 and 4");
      assertThrowsOp(() => zeros([5, 1, 3]).mul(zeros([2, 4])), "mul", "[5,1,3] and [2,4]", "size 3 and 4");
    });

    it("where: condition and values that do not broadcast", () => {
      assertThrowsOp(() => where(zeros([2]).gt(0), zeros([3]), zeros([3])), "where", "[2]", "[3]");
    });

    it("expand and copy_: a shape the tensor cannot be broadcast to", () => {
      assertThrowsOp(() => zeros([2, 3]).expand(4, 3), "expand", "[2,3]", "[4,3]");
      assertThrowsOp(() => zeros([2, 3]).expand(3), "expand", "[2,3]", "fewer dimensions");
      assertThrowsOp(() => zeros([2, 3]).copy_(ones([3, 2])), "copy_", "[3,2]", "[2,3]");
      assertThrowsOp(() => zeros([3]).expand(-1, 3), "expand", "-1", "[-1,3]", "last 1 dims");
    });
  });

  describe("dims", () => {
    it("reductions: dim out of range", () => {
      assertThrowsOp(() => zeros([2, 3]).sum(2), "sum", "dim 2", "rank 2", "-2..1");
      assertThrowsOp(() => zeros([2, 3]).mean(-3), "mean", "dim -3", "rank 2");
      assertThrowsOp(() => zeros([2]).argmax(1), "argmax", "dim 1", "rank 1");
      assertThrowsOp(() => zeros([2, 3]).sum([0, -2]), "sum", "same dimension twice");
    });

    it("softmax, transpose, squeeze, unsqueeze: dim out of range", () => {
      assertThrowsOp(() => zeros([2, 3]).softmax(3), "softmax", "dim 3", "rank 2");
      assertThrowsOp(() => zeros([2, 3]).transpose(0, 2), "transpose", "dim 2", "rank 2");
      assertThrowsOp(() => zeros([2, 3]).squeeze(-3), "squeeze", "dim -3");
      assertThrowsOp(() => zeros([2, 3]).unsqueeze(4), "unsqueeze", "dim 4", "rank 3");
    });

    it("permute: wrong number of dims or a repeated dim", () => {
      assertThrowsOp(() => zeros([2, 3]).permute(0), "permute", "[0]", "rank 2", "[2,3]");
      assertThrowsOp(() => zeros([2, 3]).permute(1, -1), "permute", "[1,-1]", "repeat");
    });

    it("flatten: startDim after endDim", () => {
      assertThrowsOp(() => zeros([2, 3, 4]).flatten(2, 1), "flatten", "startDim 2", "endDim 1", "[2,3,4]");
    });
  });

  describe("reshaping, joining, splitting", () => {
    it("reshape: element counts differ", () => {
      assertThrowsOp(() => zeros([2, 3]).reshape(4, 2), "reshape", "[2,3] (6 elements)", "[4,2] (8 elements)");
      assertThrowsOp(() => zeros([2, 3]).reshape(-1, 4), "reshape", "[2,3]", "[-1,4]");
      assertThrowsOp(() => zeros([2, 3]).reshape(-1, -1), "reshape", "only one dimension can be -1");
    });

    it("cat: sizes off the cat dim differ, dtypes differ, nothing to cat", () => {
      assertThrowsOp(() => cat([zeros([2, 3]), zeros([2, 4])]), "cat", "tensor 1 has shape [2,4]", "[2,3]", "dimension 0");
      assertThrowsOp(() => cat([zeros([2, 3]), zeros([2, 3], { dtype: "int32" })], 1), "cat", "int32", "float32");
      assertThrowsOp(() => cat([]), "cat", "at least one");
    });

    it("stack: shapes differ", () => {
      assertThrowsOp(() => stack([zeros([2, 3]), zeros([3, 2])]), "stack", "tensor 1 has shape [3,2]", "[2,3]");
    });

    it("split: sizes that do not add up, a zero size; chunk: zero chunks", () => {
      assertThrowsOp(() => split(zeros([5, 2]), [2, 2]), "split", "[2,2] add up to 4", "[5,2]", "size 5");
      assertThrowsOp(() => zeros([5]).split(0), "split", "positive integer", "0");
      assertThrowsOp(() => zeros([5]).chunk(0), "chunk", "positive integer", "0");
    });

    it("select: index out of range or not an integer", () => {
      assertThrowsOp(() => zeros([2, 3]).select(1, 3), "select", "index 3", "dimension 1 of size 3", "[2,3]");
      assertThrowsOp(() => zeros([2, 3]).select(0, -3), "select", "index -3");
      assertThrowsOp(() => zeros([2, 3]).select(0, 0.5), "select", "integer", "0.5");
    });

    it("slice: step not a positive integer", () => {
      assertThrowsOp(() => zeros([4]).slice(0, 0, 4, 0), "slice", "step", "0");
      assertThrowsOp(() => zeros([4]).slice(0, 3, 0, -1), "slice", "step", "-1");
      assertThrowsOp(() => zeros([4]).slice(0, 0.5, 2), "slice", "integers", "0.5");
    });

    it("pad: odd length, too many dims, negative sizes", () => {
      assertThrowsOp(() => zeros([2, 3]).pad([1]), "pad", "[1]", "pairs", "[2,3]");
      assertThrowsOp(() => zeros([3]).pad([1, 1, 1, 1]), "pad", "[1,1,1,1]", "at most 1 dims");
      assertThrowsOp(() => zeros([2, 3]).pad([-1, 1]), "pad", "[-1,1]", "non-negative");
    });
  });

  describe("convolution and pooling", () => {
    it("conv2d: input channels differ from the weight's", () => {
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 4, 3, 3])), "conv2d", "[1,3,5,5] has 3 channels", "[2,4,3,3] expects 4");
    });

    it("conv2d: kernel larger than the padded input", () => {
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 7, 7])), "conv2d", "kernel 7x7", "5x5", "[1,3,5,5]");
      assertThrowsOp(() => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { dilation: 2 }), "conv2d", "dilation 2x2");
    });

    it("conv2d: groups, ranks, bias, stride and padding", () => {
      assertThrowsOp(() => conv2d(zeros([1, 4, 5, 5]), zeros([3, 2, 3, 3]), null, { groups: 2 }), "conv2d", "groups=2", "4", "3");
      assertThrowsOp(() => conv2d(zeros([3, 5, 5]), zeros([2, 3, 3, 3])), "conv2d", "[N, C, H, W]", "[3,5,5]");
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3])), "conv2d", "weight", "[2,3,3]");
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), zeros([3])), "conv2d", "bias", "[2]", "[3]");
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), null, { stride: 0 }), "conv2d", "stride [0,0]");
      assertThrowsOp(() => conv2d(zeros([1, 3, 5, 5]), zeros([2, 3, 3, 3]), null, { padding: -1 }), "conv2d", "padding", "[-1,-1]");
    });

    it("maxPool2d and avgPool2d: kernel too large, wrong rank, bad padding or kernel", () => {
      assertThrowsOp(() => maxPool2d(zeros([1, 1, 2, 2]), 3), "maxPool2d", "kernel 3x3", "[1,1,2,2]");
      assertThrowsOp(() => avgPool2d(zeros([1, 2, 2]), 2), "avgPool2d", "[N, C, H, W]", "[1,2,2]");
      assertThrowsOp(() => maxPool2d(zeros([1, 1, 4, 4]), 2, { padding: 2 }), "maxPool2d", "padding 2", "kernel size 2");
      assertThrowsOp(() => avgPool2d(zeros([1, 1, 4, 4]), [2, 0]), "avgPool2d", "kernel [2,0]");
      assertThrowsOp(() => maxPool2d(zeros([1, 1, 4, 4]), 1.5), "maxPool2d", "positive integers", "1.5");
    });
  });

  describe("indexing", () => {
    it("gather: index out of range, negative, or not int32", () => {
      assertThrowsOp(() => zeros([2, 3]).gather(1, int([[0, 3]])), "gather", "holds 3", "dimension 1 of input [2,3]", "0..2");
      assertThrowsOp(() => zeros([2, 3]).gather(0, int([[-1, 0]])), "gather", "holds -1", "0..1");
      assertThrowsOp(() => zeros([2, 3]).gather(1, tensor([[0, 1]])), "gather", "int32", "float32");
    });

    it("gather and scatterAdd: index and src shapes", () => {
      assertThrowsOp(() => zeros([2, 3]).gather(1, int([0, 1])), "gather", "[2]", "rank", "[2,3]");
      assertThrowsOp(() => zeros([2, 3]).gather(1, int([[0], [1], [1]])), "gather", "[3,1]", "[2,3]", "dimension 0");
      assertThrowsOp(() => zeros([2, 3]).scatterAdd(1, int([[0, 1]]), zeros([1, 1])), "scatterAdd", "src of shape [1,1]", "[1,2]");
    });

    it("indexSelect, indexAdd, index: out of range, not int32, wrong shapes", () => {
      assertThrowsOp(() => zeros([2, 3]).indexSelect(0, int([1, 2])), "indexSelect", "holds 2", "position 1", "[2,3]");
      assertThrowsOp(() => zeros([2, 3]).indexSelect(1, tensor([0.0])), "indexSelect", "int32", "float32");
      assertThrowsOp(() => zeros([2, 3]).indexSelect(1, int([[0]])), "indexSelect", "1-D", "[1,1]");
      assertThrowsOp(() => indexAdd(zeros([2, 3]), 0, int([0]), zeros([2, 3])), "indexAdd", "[2,3]", "expected [1,3]");
      assertThrowsOp(() => zeros([2, 3]).index(int([[5]]), 0), "index", "holds 5", "0..1");
    });

    it("oneHot: class out of range, non-int labels, bad numClasses", () => {
      assertThrowsOp(() => oneHot(int([0, 5]), 3), "oneHot", "labels holds 5", "numClasses 3", "0..2");
      assertThrowsOp(() => oneHot(tensor([0, 1]), 3), "oneHot", "labels must be an int32", "float32");
      assertThrowsOp(() => oneHot(int([0]), 0), "oneHot", "numClasses", "0");
    });

    it("embedding: id out of range, weight not 2-D", () => {
      assertThrowsOp(() => embedding(int([[0, 4]]), zeros([4, 2])), "embedding", "ids holds 4", "[4,2]", "0..3");
      assertThrowsOp(() => embedding(int([0]), zeros([4])), "embedding", "[numEmbeddings, dim]", "[4]");
    });
  });

  describe("dtypes and autograd", () => {
    it("requiresGrad on an integer or bool tensor", () => {
      assertThrowsOp(() => tensor([1, 2], { dtype: "int32", requiresGrad: true }), "requiresGrad", "float", "int32");
      assertThrowsOp(() => tensor([1, 2], { dtype: "int32" }).requiresGrad_(), "requiresGrad_", "int32");
      assertThrowsOp(() => zeros([2]).gt(0).requiresGrad_(), "requiresGrad_", "bool");
    });

    it("backward on a non-scalar without a gradient, or with one of the wrong shape", () => {
      const y = randn([2, 3], { requiresGrad: true }).mul(2);
      assertThrowsOp(() => y.backward(), "backward", "shape [2,3] without a gradient", ".sum()");
      assertThrowsOp(() => y.backward(zeros([3])), "backward", "[3]", "[2,3]");
    });

    it("backward and autograd.grad on something that does not require grad", () => {
      assertThrowsOp(() => zeros([1]).sum().backward(), "backward", "does not require grad");
      assertThrowsOp(() => autograd.grad(zeros([1]).sum(), zeros([1])), "grad", "output 0 does not require grad");
    });

    it("gradcheck in float32", () => {
      assertThrowsOp(() => gradcheck((a) => a.mul(2), [zeros([2])]), "gradcheck", "input 0 is float32", "float64");
    });
  });

  describe("creation and conversion", () => {
    it("item() on a tensor with more than one element", () => {
      assertThrowsOp(() => zeros([2, 2]).item(), "item", "one element", "[2,2]");
    });

    it("tensor(): ragged nested arrays and non-numbers, with the path to the bad element", () => {
      assertThrowsOp(() => tensor([[1, 2], [3]]), "tensor", "ragged", "[1]", "length 1", "expected 2");
      assertThrowsOp(() => tensor([[[1], [2]], [[3], 4]] as NestedArray), "tensor", "ragged", "[1,1]");
      assertThrowsOp(() => tensor([1, "a"] as unknown as NestedArray), "tensor", "[1]", "string");
    });

    it("shapes with negative sizes", () => {
      assertThrowsOp(() => zeros([-1, 2]), "zeros", "[-1,2]", "non-negative");
      assertThrowsOp(() => randn([2, -3]), "randn", "[2,-3]");
    });

    it("clamp with min > max, and with no bound", () => {
      assertThrowsOp(() => clamp(zeros([2]), 2, 1), "clamp", "min 2", "max 1");
      assertThrowsOp(() => zeros([2]).clamp(), "clamp", "min", "max");
    });

    it("reductions over empty dims", () => {
      assertThrowsOp(() => zeros([0]).mean(), "mean", "empty", "[0]");
      assertThrowsOp(() => zeros([0, 2]).max(0), "max", "dimension 0 of size 0", "[0,2]");
      assertThrowsOp(() => zeros([1]).var(), "var", "at least 2", "[1]");
    });

    it("dropout p outside [0, 1]; unknown backend", () => {
      assertThrowsOp(() => dropout(zeros([2]), 1.5), "dropout", "[0, 1]", "1.5");
      assertThrowsOp(() => dropout(zeros([2]), -0.1), "dropout", "-0.1");
      assertThrowsOp(() => backend.use("nope"), "backend.use", "\"nope\"", "js");
    });
  });
});
