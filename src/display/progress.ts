import { DISPLAY, MimeBundle, escapeHtml } from "./bundle";
import { DisplayHandle, display } from "./display";
import { kernelHook } from "./hook";

export interface ProgressOptions {
  /** Steps to reach 100%; without it the bar shows counts and rate only. */
  total?: number;
  /** Shown before the bar, e.g. "epoch 3/10". */
  label?: string;
  /** Least time between two redraws; the final state is always drawn. Default 150 ms in a notebook, 100 ms in a terminal. */
  minIntervalMs?: number;
}

export type ProgressFields = Record<string, number | string>;

/** Thrown by `Progress.update` after the kernel was interrupted, so a loop that reports progress stops too. */
export class Interrupted extends Error {
  constructor() {
    super("interrupted by the user");
    this.name = "Interrupted";
  }
}

/**
 * A live progress display: one output updated in place in a notebook, a bar
 * redrawn on one line in a terminal, a line now and then in a log.
 *
 *   const bar = progress({ total: batches, label: "epoch 1/3" });
 *   for (...) bar.update(i + 1, { loss: loss.item() });
 *   bar.close();
 *
 * Updates are throttled, so calling update on every batch is cheap.
 */
export class Progress {
  done = 0;
  total?: number;
  label: string;
  fields: ProgressFields = {};
  private readonly start = Date.now();
  private lastDraw = -Infinity;
  private lastLog = Date.now();
  private handle?: DisplayHandle;
  private closed = false;
  private readonly interruptsAtStart: number | undefined;
  private readonly minInterval: number;

  constructor(opts: ProgressOptions = {}) {
    this.total = opts.total;
    this.label = opts.label ?? "";
    const hook = kernelHook();
    this.interruptsAtStart = hook?.interrupts;
    this.minInterval = opts.minIntervalMs ?? (hook ? 150 : 100);
  }

  /** Sets the count (and any fields, such as loss), redrawing when enough time has passed. */
  update(done: number, fields?: ProgressFields): void {
    const hook = kernelHook();
    if (hook && this.interruptsAtStart !== undefined && hook.interrupts !== this.interruptsAtStart) throw new Interrupted();
    this.done = done;
    if (fields) Object.assign(this.fields, fields);
    if (Date.now() - this.lastDraw >= this.minInterval) this.draw(false);
  }

  /** Advances the count by n. */
  tick(n = 1, fields?: ProgressFields): void {
    this.update(this.done + n, fields);
  }

  // update, tick and close return nothing: as a cell's last value the bar would show a second time.

  /** Draws the final state (always, whatever the throttle says) and ends the line in a terminal. */
  close(fields?: ProgressFields): void {
    if (fields) Object.assign(this.fields, fields);
    if (this.closed) return;
    this.closed = true;
    this.draw(true);
  }

  get elapsedMs(): number {
    return Date.now() - this.start;
  }

  /** The one-line form: `epoch 1/3 ━━━━━━╸     45% 180/400 [00:03<00:04, 52.1 it/s] loss=0.2345`. */
  text(): string {
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    const frac = this.fraction();
    if (frac !== undefined) parts.push(textBar(frac, 24), `${Math.floor(frac * 100)}%`.padStart(4));
    parts.push(this.total !== undefined ? `${this.done}/${this.total}` : String(this.done));
    parts.push(`[${this.timing()}]`);
    const f = fmtFields(this.fields);
    if (f) parts.push(f);
    return parts.join(" ");
  }

  html(): string {
    const frac = this.fraction();
    const pct = frac === undefined ? 100 : Math.round(frac * 1000) / 10;
    const finished = this.closed && (frac === undefined || frac >= 1);
    const color = finished ? "#2e9e44" : "#3b78e7";
    const bar =
      `<div style="display:inline-block;vertical-align:middle;width:220px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden">` +
      `<div style="width:${pct}%;height:100%;background:${color}"></div></div>`;
    const count = this.total !== undefined ? `${this.done}/${this.total}` : String(this.done);
    const fields = Object.entries(this.fields)
      .map(([k, v]) => `<span style="margin-left:10px"><span style="color:#666">${escapeHtml(k)}</span> <b>${escapeHtml(fmtValue(v))}</b></span>`)
      .join("");
    const label = this.label ? `<span style="margin-right:8px">${escapeHtml(this.label)}</span>` : "";
    return (
      `<div class="gradlab-progress" style="font:12px/1.6 ui-monospace,Menlo,Consolas,monospace">` +
      `${label}${bar} <span style="margin-left:6px">${frac === undefined ? "" : Math.floor(frac * 100) + "% "}${count}</span>` +
      ` <span style="color:#666">[${escapeHtml(this.timing())}]</span>${fields}</div>`
    );
  }

  [DISPLAY](): MimeBundle {
    return { "text/plain": this.text(), "text/html": this.html() };
  }

  toString(): string {
    return this.text();
  }

  private fraction(): number | undefined {
    if (this.total === undefined || this.total <= 0) return undefined;
    return Math.min(1, Math.max(0, this.done / this.total));
  }

  private timing(): string {
    const secs = this.elapsedMs / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = this.total !== undefined && rate > 0 && !this.closed ? `<${fmtDuration((this.total - this.done) / rate)}` : "";
    const r = rate >= 1 || rate === 0 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
    return `${fmtDuration(secs)}${eta}, ${r}`;
  }

  private draw(final: boolean): void {
    this.lastDraw = Date.now();
    if (kernelHook()) {
      if (!this.handle) this.handle = display(this);
      else this.handle.update(this);
      return;
    }
    const out = process.stdout;
    if (out.isTTY) {
      const line = this.text();
      const width = out.columns ? out.columns - 1 : 120;
      out.write("\r" + line.slice(0, width).padEnd(Math.min(width, line.length + 2)) + (final ? "\n" : ""));
    } else if (final || Date.now() - this.lastLog > 10_000) {
      // A log file gets a line every 10 s and the final state, not a redraw per batch.
      this.lastLog = Date.now();
      out.write(this.text() + "\n");
    }
  }
}

export function progress(opts: ProgressOptions = {}): Progress {
  return new Progress(opts);
}

function textBar(frac: number, width: number): string {
  const full = Math.floor(frac * width);
  const partial = frac * width - full > 0.5 && full < width ? "╸" : "";
  return "━".repeat(full) + partial + " ".repeat(width - full - partial.length);
}

function fmtValue(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4);
}

function fmtFields(f: ProgressFields): string {
  return Object.entries(f).map(([k, v]) => `${k}=${fmtValue(v)}`).join(" ");
}

function fmtDuration(secs: number): string {
  if (!Number.isFinite(secs)) return "?";
  const s = Math.round(secs);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
