import { noGrad } from "../autograd/mode";
import { fail } from "../errors";
import { embedding } from "../ops/indexing";
import { where } from "../ops/elementwise";
import { zeros } from "../tensor/creation";
import { Tensor } from "../tensor/tensor";
import * as init from "./init";
import { Module } from "./module";
import { Parameter } from "./parameter";

export interface EmbeddingOptions {
  /** An id whose vector starts at zero and never learns (padding in a batch of sequences). */
  paddingIdx?: number;
}

/**
 * A lookup table: integer ids of any shape [...] -> vectors [..., embeddingDim].
 * The weight [numEmbeddings, embeddingDim] starts N(0, 1), as in PyTorch.
 */
export class Embedding extends Module<[Tensor], Tensor> {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    for (const v of [numEmbeddings, embeddingDim]) {
      if (!Number.isInteger(v) || v < 1) fail("Embedding", `numEmbeddings and embeddingDim must be positive integers, got ${numEmbeddings} and ${embeddingDim}`);
    }
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        fail("Embedding", `paddingIdx ${pad} is out of range for ${numEmbeddings} embeddings`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim]));
    init.normal(this.weight);
    if (pad !== null) {
      const w = this.weight;
      const keep = Tensor.arange(numEmbeddings, "int32", w.backend).ne(pad).unsqueeze(1);
      noGrad(() => w.copy_(where(keep, w, 0)));
    }
  }

  forward(ids: Tensor): Tensor {
    const out = embedding(ids, this.weight);
    if (this.paddingIdx === null) return out;
    // the padding row's value passes through, but no gradient reaches it
    return where(ids.ne(this.paddingIdx).unsqueeze(-1), out, out.detach());
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ""}`;
  }
}
