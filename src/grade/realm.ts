/**
 * A snapshot of the built-ins (Object, Array, JSON, Promise, Math, Date, ...),
 * their prototypes, and any other objects the grader names (gradlab's
 * exports, Tensor.prototype, the backends), taken before a submission runs,
 * so that what the submission changed can be undone before the tests run
 * and at every assertion.
 *
 * Restoring puts back every property that existed (value, getter, setter,
 * attributes) and the prototype, and removes properties the submission added
 * (an added `Object.prototype.then` or `toJSON` would change how every object
 * behaves), except on the objects named in `keepAdded` (globalThis: a
 * submission may keep its own globals). What cannot be undone (an object the
 * submission froze after changing it) is reported by `restore()`, and the
 * grader treats the step that did it as one that broke the process.
 */
const {
  getOwnPropertyDescriptor, defineProperty, getPrototypeOf, setPrototypeOf, isExtensible,
} = Reflect;
const ownKeys = Reflect.ownKeys;
const deleteProperty = Reflect.deleteProperty;
const apply = Reflect.apply;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapHas = Map.prototype.has;
const setHas = Set.prototype.has;
const setAdd = Set.prototype.add;
const arrayPush = Array.prototype.push;
const MapCtor = Map;
const SetCtor = Set;
const objectIs = Object.is;

interface Entry {
  obj: object;
  proto: object | null;
  extensible: boolean;
  keys: PropertyKey[];
  props: Map<PropertyKey, PropertyDescriptor>;
  keepAdded: boolean;
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return objectIs(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
}

export class RealmSnapshot {
  private readonly entries: Entry[] = [];

  /**
   * Records `roots` and what they hold, `depth` levels down (values of data
   * properties that are objects or functions, and prototypes).
   */
  constructor(roots: readonly object[], opts: { depth?: number; keepAdded?: readonly object[]; skip?: readonly object[]; shallow?: readonly object[] } = {}) {
    const depth = opts.depth ?? 3;
    const keep = new SetCtor<object>(opts.keepAdded ?? []);
    // skip: state that changes by design (the kernel, the notebook's variables); shallow: own properties only (process)
    const seen = new SetCtor<object>(opts.skip ?? []);
    const shallow = new SetCtor<object>(opts.shallow ?? []);
    let level: object[] = [...roots];
    for (let d = 0; d <= depth && level.length; d++) {
      const next: object[] = [];
      for (const obj of level) {
        if (apply(setHas, seen, [obj])) continue;
        apply(setAdd, seen, [obj]);
        const props = new MapCtor<PropertyKey, PropertyDescriptor>();
        const keys = ownKeys(obj);
        for (const k of keys) {
          const desc = getOwnPropertyDescriptor(obj, k) as PropertyDescriptor;
          apply(mapSet, props, [k, desc]);
          if (apply(setHas, shallow, [obj])) continue;
          for (const v of [desc.value, desc.get, desc.set]) {
            if ((typeof v === "object" && v !== null) || typeof v === "function") apply(arrayPush, next, [v]);
          }
        }
        const proto = getPrototypeOf(obj);
        if (proto && !apply(setHas, shallow, [obj])) apply(arrayPush, next, [proto]);
        apply(arrayPush, this.entries, [{ obj, proto, extensible: isExtensible(obj), keys, props, keepAdded: apply(setHas, keep, [obj]) }]);
      }
      level = next;
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** Undoes changes; returns what could not be undone (empty when everything is as recorded). */
  restore(): string[] {
    const stuck: string[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      const obj = e.obj;
      if (getPrototypeOf(obj) !== e.proto && !setPrototypeOf(obj, e.proto)) apply(arrayPush, stuck, ["the prototype of " + nameOf(e)]);
      if (!e.keepAdded) {
        const now = ownKeys(obj);
        for (let j = 0; j < now.length; j++) {
          const k = now[j];
          if (!apply(mapHas, e.props, [k]) && !deleteProperty(obj, k)) apply(arrayPush, stuck, [`an added property ${String(k)} of ${nameOf(e)}`]);
        }
      }
      for (let j = 0; j < e.keys.length; j++) {
        const k = e.keys[j];
        const want = apply(mapGet, e.props, [k]) as PropertyDescriptor;
        const have = getOwnPropertyDescriptor(obj, k);
        if (have && sameDescriptor(have, want)) continue;
        if (!defineProperty(obj, k, want)) apply(arrayPush, stuck, [`the property ${String(k)} of ${nameOf(e)}`]);
      }
      if (e.extensible && !isExtensible(obj)) apply(arrayPush, stuck, [nameOf(e) + " (made non-extensible)"]);
    }
    return stuck;
  }
}

function nameOf(e: Entry): string {
  const ctor = (apply(mapGet, e.props, ["constructor"]) as PropertyDescriptor | undefined)?.value as { name?: unknown } | undefined;
  const own = (apply(mapGet, e.props, ["name"]) as PropertyDescriptor | undefined)?.value;
  if (typeof own === "string" && own) return own;
  if (ctor && typeof ctor.name === "string") return ctor.name + ".prototype";
  return "a built-in object";
}
