import { fail } from "../errors";
import { Tensor } from "../tensor/tensor";
import { Module } from "./module";

/** A module that maps one tensor to one tensor: what Sequential chains. */
export type TensorModule = Module<[Tensor], Tensor>;

/**
 * Layers applied one after another: forward(x) = ... layer1(layer0(x)).
 * Children are named "0", "1", ... as in PyTorch, so its state dict keys
 * ("0.weight", "2.bias") match a torch.nn.Sequential of the same layers.
 */
export class Sequential extends Module<[Tensor], Tensor> {
  constructor(...layers: TensorModule[]) {
    super();
    layers.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.children().length;
  }

  append(layer: TensorModule): this {
    if (!(layer instanceof Module)) fail("Sequential", `layer ${this.length} is not a Module: ${String(layer)}`);
    this.registerModule(String(this.length), layer);
    return this;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): TensorModule {
    const layers = this.layers();
    const j = i < 0 ? i + layers.length : i;
    if (!Number.isInteger(j) || j < 0 || j >= layers.length) fail("Sequential", `index ${i} is out of range for ${layers.length} layers`);
    return layers[j];
  }

  private layers(): TensorModule[] {
    return this.children() as unknown as TensorModule[];
  }

  [Symbol.iterator](): Iterator<TensorModule> {
    return this.layers()[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    for (const layer of this.layers()) x = layer.forward(x);
    return x;
  }
}
