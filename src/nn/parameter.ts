import { fail } from "../errors";
import { isFloat } from "../tensor/dtype";
import { Tensor } from "../tensor/tensor";

/**
 * A Tensor that a Module owns as a learnable weight: a leaf that requires
 * grad (unless frozen). Assigning one to a field of a Module is what makes it
 * show up in `parameters()` and `stateDict()`; a plain tensor field does not
 * (as in PyTorch).
 *
 * It shares the given tensor's storage: `new Parameter(t)` makes no copy.
 */
export class Parameter extends Tensor {
  constructor(t: Tensor, requiresGrad = true) {
    if (!isFloat(t.dtype)) fail("Parameter", `a parameter must be a float tensor, got ${t.dtype}`);
    super(t.data, t.backend, { requiresGrad, version: t.versionBox });
  }
}
