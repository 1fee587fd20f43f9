import type { MimeBundle } from "./bundle";

/**
 * How library code reaches the Jupyter kernel it runs in, without importing
 * tslab (which may be another copy, "Not ready"): gradlab's kernel entry
 * (kernel-ext/kernel.ts) puts an object under this `Symbol.for` key on
 * `globalThis`. Outside a kernel there is none, and displays fall back to the
 * console.
 */
export const KERNEL_HOOK: unique symbol = Symbol.for("gradlab.jupyter.kernel") as never;

export interface SendOptions {
  /** Names the output so later updates replace it in place. */
  displayId?: string;
  /** Send `update_display_data` for `displayId` instead of a new `display_data`. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

export interface KernelHook {
  /** Sends a bundle to the cell that is running (or ran last). */
  send(bundle: MimeBundle, opts?: SendOptions): void;
  /** `clear_output`; with wait, the frontend clears when the next output arrives. */
  clearOutput(wait?: boolean): void;
  /** The kernel waits for these before it ends the cell, so late outputs still land in it. */
  track(work: Promise<unknown>): void;
  /** Bumped by every interrupt, so long-running library loops can notice and stop. */
  readonly interrupts: number;
  /** Unique per kernel process: things sent once per session (plotly.js) key on it. */
  readonly session: string;
}

export function kernelHook(): KernelHook | undefined {
  return (globalThis as { [KERNEL_HOOK]?: KernelHook })[KERNEL_HOOK];
}

export function installKernelHook(hook: KernelHook | undefined): void {
  (globalThis as { [KERNEL_HOOK]?: KernelHook })[KERNEL_HOOK] = hook;
}
