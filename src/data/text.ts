import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fail } from "../errors";
import { Tensor } from "../tensor/tensor";
import { Dataset, checkItem } from "./dataset";

/**
 * A character vocabulary: the distinct characters of a text, sorted by code
 * point, so id i is always the same character for the same text. Characters
 * are Unicode code points, not UTF-16 halves, so an emoji is one token.
 */
export class CharVocab {
  readonly chars: readonly string[];
  private readonly ids: Map<number, number>;

  constructor(text: string) {
    const points = new Set<number>();
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      points.add(cp);
      if (cp > 0xffff) i++;
    }
    const sorted = [...points].sort((a, b) => a - b);
    this.chars = sorted.map((cp) => String.fromCodePoint(cp));
    this.ids = new Map(sorted.map((cp, i) => [cp, i]));
  }

  get size(): number {
    return this.chars.length;
  }

  /** The id of each character of `text`. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i)!;
      const id = this.ids.get(cp);
      if (id === undefined) {
        fail("CharVocab.encode", `character ${JSON.stringify(String.fromCodePoint(cp))} (U+${cp.toString(16).toUpperCase().padStart(4, "0")}) at position ${i} is not in the vocabulary of ${this.size} characters`);
      }
      out[n++] = id;
      if (cp > 0xffff) i++;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** The text of a sequence of ids (an array, typed array or tensor). */
  decode(ids: ArrayLike<number> | Tensor): string {
    const v = ids instanceof Tensor ? ids.values() : ids;
    let s = "";
    for (let i = 0; i < v.length; i++) {
      const c = this.chars[v[i]];
      if (c === undefined) fail("CharVocab.decode", `id ${v[i]} at position ${i} is not an id of this vocabulary (0..${this.size - 1})`);
      s += c;
    }
    return s;
  }
}

/**
 * (input, target) pairs for a next-token model: input = ids[s, s+seqLen),
 * target = ids[s+1, s+seqLen+1), the same window shifted by one, for starts
 * s = 0, stride, 2*stride, ... The default stride seqLen cuts the text into
 * windows that do not overlap (char-rnn's batches); stride 1 gives every window.
 */
export class SequenceDataset implements Dataset<Tensor[]> {
  readonly ids: Int32Array;
  readonly stride: number;

  constructor(
    ids: Tensor | Int32Array,
    readonly seqLen: number,
    opts: { stride?: number } = {},
  ) {
    const op = "SequenceDataset";
    if (!Number.isInteger(seqLen) || seqLen < 1) fail(op, `seqLen must be a positive integer, got ${seqLen}`);
    const stride = opts.stride ?? seqLen;
    if (!Number.isInteger(stride) || stride < 1) fail(op, `stride must be a positive integer, got ${stride}`);
    if (ids instanceof Tensor) {
      if (ids.dtype !== "int32" || ids.ndim !== 1) fail(op, `ids must be a 1-D int32 tensor, got ${ids.dtype} of shape [${ids.shape.join(",")}]`);
      this.ids = ids.values() as Int32Array;
    } else {
      this.ids = ids;
    }
    if (this.ids.length < seqLen + 1) fail(op, `${this.ids.length} ids are too few for one window: seqLen ${seqLen} needs ${seqLen + 1} (input plus the next token)`);
    this.stride = stride;
  }

  get length(): number {
    return Math.floor((this.ids.length - 1 - this.seqLen) / this.stride) + 1;
  }

  get(i: number): Tensor[] {
    checkItem("SequenceDataset.get", i, this.length);
    return this.getBatch(Int32Array.of(i)).map((t) => t.reshape(this.seqLen));
  }

  /** Windows straight from the id array into two [B, seqLen] tensors: no per-sample tensors. */
  getBatch(indices: Int32Array): Tensor[] {
    const { seqLen, stride, ids } = this;
    const input = new Int32Array(indices.length * seqLen);
    const target = new Int32Array(indices.length * seqLen);
    indices.forEach((w, b) => {
      input.set(ids.subarray(w * stride, w * stride + seqLen), b * seqLen);
      target.set(ids.subarray(w * stride + 1, w * stride + seqLen + 1), b * seqLen);
    });
    const shape = [indices.length, seqLen];
    return [Tensor.fromTyped(input, shape, { dtype: "int32" }), Tensor.fromTyped(target, shape, { dtype: "int32" })];
  }
}

/** A text, its vocabulary and its ids, split by position: the first part to train on, the rest to validate. */
export interface CharCorpus {
  text: string;
  vocab: CharVocab;
  /** int32 [n] ids of the first (1 - validationFraction) of the text. */
  train: Tensor;
  /** int32 [m] ids of the rest. */
  validation: Tensor;
}

/**
 * Splits a text into a training and a validation part by position, not at
 * random: a model that saw the neighbouring characters of every validation
 * character would be graded on text it has nearly memorised.
 */
export function charCorpus(text: string, opts: { validationFraction?: number } = {}): CharCorpus {
  const frac = opts.validationFraction ?? 0.1;
  if (!(frac >= 0 && frac < 1)) fail("charCorpus", `validationFraction must be in [0, 1), got ${frac}`);
  const vocab = new CharVocab(text);
  const ids = vocab.encode(text);
  const cut = Math.round(ids.length * (1 - frac));
  return {
    text,
    vocab,
    train: Tensor.fromTyped(ids.slice(0, cut), [cut], { dtype: "int32" }),
    validation: Tensor.fromTyped(ids.slice(cut), [ids.length - cut], { dtype: "int32" }),
  };
}

/**
 * The folder of the gradlab package: the nearest folder above this file
 * with gradlab's package.json. Found by walking up rather than by a fixed
 * number of "..", so it works from src/data/ (tsx, tests) and from
 * dist/src/data/ (compiled) alike.
 */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "gradlab") return dir;
      } catch {
        // not a readable package.json: keep climbing
      }
    }
    if (dirname(dir) === dir) fail("packageRoot", `no package.json of gradlab found in ${from} or any folder above it`);
  }
}

/**
 * Tiny Shakespeare (char-rnn's corpus, 1,115,394 characters, 65 distinct),
 * split 90/10 by position unless told otherwise.
 *
 *   const { vocab, train } = shakespeare.load();
 *   const loader = new DataLoader(new SequenceDataset(train, 64), { batchSize: 32, shuffle: true });
 */
export const shakespeare = {
  /** Where the corpus lives in the package. */
  path(): string {
    return join(packageRoot(), "data", "tinyshakespeare.txt");
  },
  load(opts: { validationFraction?: number; path?: string } = {}): CharCorpus {
    const path = opts.path ?? shakespeare.path();
    if (!existsSync(path)) fail("shakespeare.load", `${path} not found; it ships with gradlab in data/tinyshakespeare.txt (see data/README.md)`);
    return charCorpus(readFileSync(path, "utf8"), opts);
  },
};
