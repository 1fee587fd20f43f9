import type { Conv2DBackpropFilterAttrs, KernelConfig, Tensor, TensorInfo } from "@tensorflow/tfjs-core";
import { filterGrad } from "./conv";
import type { TF } from "./engine";
import * as L from "./layout";

/*
 * Kernels an engine lacks, composed from that engine's own ops and
 * registered into it under tfjs' kernel name, so that everything running on
 * the engine finds them: gradlab's tfjs backend and TensorFlow.js itself
 * (tfjs-layers' model.fit trains a conv net on wasm only with this, since
 * the wasm engine has no Conv2DBackpropFilter). Data never leaves the
 * engine: a composed kernel is tfjs ops all the way down.
 */

/** A kernel body: named inputs (tensors, as tfjs' ops pass them) and attrs, in the kernel's own terms. */
type Composed = (tf: TF, inputs: Record<string, Tensor>, attrs: object) => Tensor;

const COMPOSED: Record<string, Composed> = {
  /** dW [kh, kw, C, O] (HWIO) of the forward conv of x with stride and padding, from dy; tfjs' conv gradients have no dilation. */
  Conv2DBackpropFilter: (tf, { x, dy }, attrs) => {
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as Conv2DBackpropFilterAttrs;
    const xShape = x.shape as [number, number, number, number];
    const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode, false, format);
    const { top, bottom, left, right } = info.padInfo;
    const dw = filterGrad(tf, x, dy, dataFormat, {
      kernel: [info.filterHeight, info.filterWidth],
      stride: [info.strideHeight, info.strideWidth],
      dilation: [1, 1],
      pads: [[top, bottom], [left, right]],
      groups: 1,
    }); // [C, kh, kw, O]
    return L.transpose(tf, dw, [1, 2, 0, 3]);
  },
};

/**
 * Registers every composed kernel that the active engine has no kernel of
 * its own for; returns their names (what `backend.info().composed` shows).
 * Registering twice is harmless: a kernel already there, ours or the
 * engine's, is left alone.
 */
export function composeMissingKernels(tf: TF): string[] {
  const backendName = tf.getBackend();
  const composed: string[] = [];
  for (const [kernelName, body] of Object.entries(COMPOSED)) {
    const existing = tf.getKernel(kernelName, backendName);
    if (existing) {
      if (isOurs(existing)) composed.push(kernelName);
      continue;
    }
    const config: KernelConfig & { composedByGradlab: true } = {
      kernelName,
      backendName,
      composedByGradlab: true,
      // a tfjs Tensor (it has a rank) is taken by the engine as the output as it is;
      // tidy frees the intermediates and keeps that output
      kernelFunc: ({ inputs, attrs }) => tf.tidy(() => body(tf, asTensors(tf, inputs), attrs ?? {})) as unknown as TensorInfo,
    };
    tf.registerKernel(config);
    composed.push(kernelName);
  }
  return composed;
}

function isOurs(k: KernelConfig): boolean {
  return (k as Partial<{ composedByGradlab: boolean }>).composedByGradlab === true;
}

/** The engine hands kernels its op's tensors; a bare TensorInfo (another caller) gets a tensor over the same data, freed by the tidy. */
function asTensors(tf: TF, inputs: Record<string, TensorInfo | undefined>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (!v) continue;
    out[k] = v instanceof tf.Tensor ? v : tf.engine().makeTensorFromTensorInfo(v);
  }
  return out;
}
