import { DISPLAY, MimeBundle } from "../display/bundle";
import { historyPlot } from "./live";

/**
 * What fit() returns: per-epoch values of the loss and every metric, for
 * training ("loss", "accuracy") and validation ("valLoss", "valAccuracy"),
 * Keras' History with camelCase names.
 */
export class History {
  readonly epochs: number[] = [];
  readonly history: Record<string, number[]> = {};
  /** Why training ended: all epochs ran, a callback stopped it, Ctrl-C, or the loss became NaN/Inf. */
  stopReason: "completed" | "stopped by callback" | "interrupted" | "diverged" = "completed";
  /** Wall time of the whole fit, in seconds. */
  seconds = 0;
  /** Training samples per second, over the whole fit. */
  samplesPerSecond = 0;

  record(epoch: number, logs: Readonly<Record<string, number>>): void {
    this.epochs.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      const series = (this.history[k] ??= []);
      // a metric that appears late is padded, so every series lines up with epochs
      while (series.length < this.epochs.length - 1) series.push(NaN);
      series.push(v);
    }
  }

  /** The last recorded value of a series. */
  last(key: string): number | undefined {
    const s = this.history[key];
    return s?.[s.length - 1];
  }

  /** In a notebook: the loss curves, with this table as the plain-text form. */
  [DISPLAY](): MimeBundle {
    return { ...historyPlot(this)[DISPLAY](), "text/plain": this.toString() };
  }

  toString(): string {
    const keys = Object.keys(this.history);
    const rows = this.epochs.map((e, i) => [String(e + 1), ...keys.map((k) => fmt(this.history[k][i]))]);
    const head = ["epoch", ...keys];
    const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
    return [head, ...rows].map((r) => r.map((c, j) => c.padStart(w[j])).join("  ")).join("\n");
  }
}

export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
}
