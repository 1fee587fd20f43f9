import { randomBytes } from "node:crypto";
import { MimeBundle, bundleOf, displayable, Displayable } from "./bundle";
import { kernelHook, SendOptions } from "./hook";

/**
 * Showing things from library code or a cell, in place or as new outputs.
 * In gradlab's kernel these become `display_data` / `update_display_data`
 * messages; anywhere else (a script, a test) they print `text/plain`.
 */
export function newDisplayId(): string {
  return "gradlab-" + randomBytes(8).toString("hex");
}

/** An output that can be replaced in place: `const h = display(x); h.update(y)`. */
export class DisplayHandle {
  constructor(readonly id: string) {}
  update(obj: unknown): void {
    updateDisplay(this.id, obj);
  }
}

/** Shows `obj` (its rich bundle when it has one) as a new output, and returns a handle to update it. */
export function display(obj: unknown, opts: { id?: string } = {}): DisplayHandle {
  const id = opts.id ?? newDisplayId();
  send(obj, { displayId: id });
  return new DisplayHandle(id);
}

/** Replaces the output shown with `display(..., { id })` (or `handle.id`) by `obj`. */
export function updateDisplay(id: string, obj: unknown): void {
  send(obj, { displayId: id, update: true });
}

/** Clears the running cell's outputs (in a kernel; a no-op elsewhere). With wait, when the next output arrives. */
export function clearOutput(wait = false): void {
  kernelHook()?.clearOutput(wait);
}

/** Raw HTML as a displayable; `text` is what a terminal shows. */
export function html(markup: string, text = "[html]"): Displayable {
  return displayable(() => ({ "text/plain": text, "text/html": markup }), () => text);
}

/** Markdown as a displayable; terminals show the source. */
export function markdown(source: string): Displayable {
  return displayable(() => ({ "text/plain": source, "text/markdown": source }), () => source);
}

// Updates to one display must arrive in order even when some bundles are
// asynchronous: each id keeps the tail of its chain while work is pending.
const pending = new Map<string, Promise<void>>();

function send(obj: unknown, opts: SendOptions & { displayId: string }): void {
  const hook = kernelHook();
  const b = bundleOf(obj);
  const deliver = (bundle: MimeBundle): void => {
    if (hook) hook.send(bundle, opts);
    else console.log(bundle["text/plain"]);
  };
  const before = pending.get(opts.displayId);
  if (!(b instanceof Promise) && !before) {
    deliver(b);
    return;
  }
  const next = (before ?? Promise.resolve()).then(() => b).then(deliver, (err: unknown) => {
    deliver({ "text/plain": `display failed: ${err instanceof Error ? err.message : String(err)}` });
  });
  const tail = next.finally(() => {
    if (pending.get(opts.displayId) === tail) pending.delete(opts.displayId);
  });
  pending.set(opts.displayId, tail);
  hook?.track(tail);
}
