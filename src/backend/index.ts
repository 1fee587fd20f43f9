import { fail } from "../errors";
import type { Backend } from "./backend";
import { JsBackend } from "./js";

export type { Backend, BackendArray } from "./backend";

/**
 * Which backend new tensors are made on. Backends register themselves here
 * by name; `use` switches the default. The tfjs fast path registers itself
 * when `src/backend/tfjs` is loaded.
 */
const registry = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current: Backend | undefined;

export function register(name: string, make: () => Backend): void {
  registry.set(name, make);
}

export function get(name: string): Backend {
  let b = instances.get(name);
  if (!b) {
    const make = registry.get(name);
    if (!make) fail("backend.use", `unknown backend "${name}"; available: ${[...registry.keys()].join(", ")}`);
    b = make();
    instances.set(name, b);
  }
  return b;
}

export function use(name: string): Backend {
  current = get(name);
  return current;
}

export function active(): Backend {
  if (!current) current = get(process.env.GRADLAB_BACKEND ?? "js");
  return current;
}

export function available(): string[] {
  return [...registry.keys()];
}

register("js", () => new JsBackend());
