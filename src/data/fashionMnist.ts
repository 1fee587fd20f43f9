import { readFileSync } from "node:fs";
import { fail } from "../errors";
import { ImageLoadOptions, ImageSetSpec, LabelledImages, loadImageSet } from "./images";

/** Where Debian's package dataset-fashion-mnist installs the files. */
export const DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";
/** The package's benchmark configuration (the scikit-learn classifiers and parameter grids of the paper's baselines). */
export const BASELINES_FILE = "/usr/share/doc/dataset-fashion-mnist/benchmark/baselines.json";

const INSTALL = "sudo apt-get install dataset-fashion-mnist";

const SPEC: ImageSetSpec = {
  op: "fashionMnist.load",
  files: {
    train: { images: "train-images-idx3-ubyte.gz", labels: "train-labels-idx1-ubyte.gz" },
    test: { images: "t10k-images-idx3-ubyte.gz", labels: "t10k-labels-idx1-ubyte.gz" },
  },
  // Zalando's label table, in label order.
  classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
  // Of the 60,000 training images, pixels scaled to [0, 1] (test/data checks these).
  mean: 0.286,
  std: 0.353,
  missing: (dir, file) =>
    `Fashion-MNIST not found: ${file} is missing from ${dir}. Install Debian's package with: ${INSTALL} ` +
    `(it puts the files in ${DEFAULT_DIR}), or pass {dir} naming a folder that holds the four gzip IDX files`,
};

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): Zalando's article images,
 * a drop-in replacement for MNIST (same sizes and splits) that is harder.
 * Read from Debian's dataset-fashion-mnist.
 */
export function load(opts: ImageLoadOptions = {}): LabelledImages {
  return loadImageSet(SPEC, opts.dir ?? DEFAULT_DIR, opts);
}

export const classes = SPEC.classes;

/** One classifier's parameter grid: a list of {parameter: values to try}. */
export type BaselineGrid = Record<string, unknown[]>[];

/**
 * The benchmark configuration shipped with the package: which scikit-learn
 * classifiers the Fashion-MNIST paper compared, and over which parameters.
 * (The accuracies themselves are in the paper and the package's README.)
 */
export function baselines(file = BASELINES_FILE): { common: Record<string, unknown>; classifiers: Record<string, BaselineGrid> } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    fail("fashionMnist.baselines", `${file} not found; it comes with Debian's package: ${INSTALL}`);
  }
  return JSON.parse(text) as { common: Record<string, unknown>; classifiers: Record<string, BaselineGrid> };
}

