import { DisplayHandle, display } from "../display/display";
import { kernelHook } from "../display/hook";
import { line } from "../display/plot";
import { Progress, progress } from "../display/progress";
import type { Callback, Logs, TrainState } from "./callbacks";
import type { History } from "./history";

/** The loss (and validation loss) curves, and each metric, of a History as one line plot. */
export function historyPlot(h: History, title = "training"): ReturnType<typeof line> {
  const series: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(h.history)) if (k === "loss" || k === "valLoss") series[k] = v;
  return line(series, { x: h.epochs.map((e) => e + 1), xLabel: "epoch", yLabel: "loss", title });
}

/**
 * Training progress inside a notebook: one output updated in place (epoch,
 * batch, loss, metrics, rate, time left) and, below it, the loss curve
 * redrawn after every epoch.
 */
export class LiveProgress implements Callback {
  private bar?: Progress;
  private chart?: DisplayHandle;
  private epoch = 0;

  onTrainBegin(s: TrainState): void {
    this.bar = progress({ total: s.epochs * s.stepsPerEpoch, label: `epoch 1/${s.epochs}` });
    this.chart = undefined;
  }
  onEpochBegin(epoch: number, s: TrainState): void {
    this.epoch = epoch;
    if (this.bar) this.bar.label = `epoch ${epoch + 1}/${s.epochs}`;
  }
  onBatchEnd(batch: number, logs: Logs, s: TrainState): void {
    this.bar?.update(this.epoch * s.stepsPerEpoch + batch + 1, rounded(logs));
  }
  onEpochEnd(_epoch: number, logs: Logs, s: TrainState): void {
    this.bar?.update(this.bar.done, rounded(logs));
    const p = historyPlot(s.history);
    if (this.chart) this.chart.update(p);
    else this.chart = display(p);
  }
  onTrainEnd(): void {
    this.bar?.close();
  }
}

function rounded(logs: Logs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(logs)) out[k] = Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
  return out;
}

/** True inside gradlab's Jupyter kernel. */
export function inKernel(): boolean {
  return kernelHook() !== undefined;
}

/** How many times the notebook's interrupt button was pressed so far (undefined outside a kernel). */
export function kernelInterrupts(): number | undefined {
  return kernelHook()?.interrupts;
}
