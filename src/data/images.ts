import { existsSync } from "node:fs";
import { join } from "node:path";
import { fail, fmtShape } from "../errors";
import { Tensor } from "../tensor/tensor";
import { TensorDataset } from "./dataset";
import { readIdx } from "./idx";

export type Split = "train" | "test";

export interface ImageLoadOptions {
  /** "train" (60,000 images) or "test" (10,000); default "train". */
  split?: Split;
  /** Keep only the first `limit` images (quick experiments, tests). */
  limit?: number;
  /**
   * false (default): pixels in [0, 1]. true: standardised with the mean and
   * standard deviation of the training set's pixels, (x - mean) / std, as
   * torchvision's usual Normalize transform does.
   */
  normalize?: boolean;
  /** The folder holding the four IDX files; default: where the package installs them. */
  dir?: string;
}

/**
 * An image classification set: `images` [N, 1, H, W] float32, `labels` [N]
 * int32, the names of the classes, and a Dataset of (image, label) pairs,
 * so `new DataLoader(mnist.load(), { batchSize: 64 })` works as it is.
 */
export class LabelledImages extends TensorDataset {
  constructor(
    readonly images: Tensor,
    readonly labels: Tensor,
    readonly classes: readonly string[],
  ) {
    super(images, labels);
  }
}

/** What a loader knows about its set: file names per split, where to look, what to say when they are missing. */
export interface ImageSetSpec {
  op: string;
  files: Record<Split, { images: string; labels: string }>;
  classes: readonly string[];
  /** Mean and standard deviation of all training pixels, scaled to [0, 1]. */
  mean: number;
  std: number;
  /** The message when a file is not found, given the folder and the file. */
  missing: (dir: string, file: string) => string;
}

export function loadImageSet(spec: ImageSetSpec, dir: string, opts: ImageLoadOptions): LabelledImages {
  const { op } = spec;
  const split = opts.split ?? "train";
  const names = spec.files[split];
  if (!names) fail(op, `split must be "train" or "test", got ${JSON.stringify(split)}`);
  const limit = opts.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) fail(op, `limit must be a non-negative integer, got ${limit}`);

  const path = (file: string): string => {
    const p = join(dir, file);
    if (!existsSync(p)) fail(op, spec.missing(dir, file));
    return p;
  };
  const img = readIdx(path(names.images));
  const lab = readIdx(path(names.labels));
  if (img.type !== "ubyte" || img.shape.length !== 3) {
    fail(op, `${names.images} should hold ubyte images [N, H, W], found ${img.type} of shape ${fmtShape(img.shape)}`);
  }
  if (lab.type !== "ubyte" || lab.shape.length !== 1 || lab.shape[0] !== img.shape[0]) {
    fail(op, `${names.labels} should hold ${img.shape[0]} ubyte labels, found ${lab.type} of shape ${fmtShape(lab.shape)}`);
  }
  const [total, h, w] = img.shape;
  const n = Math.min(total, limit ?? total);

  // A table of the 256 possible pixel values: one lookup per pixel, however
  // the pixels are scaled. Pixels past `limit` are never converted.
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = opts.normalize ? (v / 255 - spec.mean) / spec.std : v / 255;
  const pixels = new Float32Array(n * h * w);
  const src = img.data as Uint8Array;
  for (let i = 0; i < pixels.length; i++) pixels[i] = table[src[i]];
  const labels = Int32Array.from(lab.data.subarray(0, n));

  return new LabelledImages(
    Tensor.fromTyped(pixels, [n, 1, h, w], { dtype: "float32" }),
    Tensor.fromTyped(labels, [n], { dtype: "int32" }),
    spec.classes,
  );
}
