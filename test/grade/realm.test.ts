import assert from "node:assert/strict";
import { RealmSnapshot } from "../../src/grade/realm";

/** The snapshot the grader restores built-ins from, on objects of the test's own (not the real built-ins). */
describe("RealmSnapshot", () => {
  function world() {
    class Thing {
      size(): number {
        return 1;
      }
    }
    const lib = { Thing, helper: (x: number) => x + 1, nested: { deep: { value: 3 } } };
    return { lib, Thing };
  }

  it("puts back changed, deleted and re-prototyped properties, and removes added ones", () => {
    const { lib, Thing } = world();
    const snap = new RealmSnapshot([lib], { depth: 3 });
    const original = lib.helper;
    lib.helper = () => 42;
    Thing.prototype.size = () => 99;
    (Thing.prototype as unknown as Record<string, unknown>).toJSON = () => "fake";
    delete (lib.nested.deep as { value?: number }).value;
    Object.setPrototypeOf(lib.nested, { then: () => undefined });
    assert.deepEqual(snap.restore(), []);
    assert.equal(lib.helper, original);
    assert.equal(new Thing().size(), 1);
    assert.equal("toJSON" in Thing.prototype, false);
    assert.equal(lib.nested.deep.value, 3);
    assert.equal(Object.getPrototypeOf(lib.nested), Object.prototype);
    assert.deepEqual(snap.restore(), []);
  });

  it("keeps what is added to objects named in keepAdded, and restores getters", () => {
    const { lib, Thing } = world();
    Object.defineProperty(lib, "computed", { get: () => 7, configurable: true });
    const snap = new RealmSnapshot([lib], { keepAdded: [Thing.prototype] });
    (Thing.prototype as unknown as Record<string, unknown>).myOp = () => "mine";
    Object.defineProperty(lib, "computed", { get: () => 8, configurable: true });
    assert.deepEqual(snap.restore(), []);
    assert.equal((new Thing() as unknown as { myOp(): string }).myOp(), "mine");
    assert.equal((lib as unknown as { computed: number }).computed, 7);
  });

  it("reports what it cannot undo: an object frozen after it was changed", () => {
    const { lib } = world();
    const snap = new RealmSnapshot([lib]);
    lib.nested.deep.value = 5;
    Object.freeze(lib.nested.deep);
    const stuck = snap.restore();
    assert.equal(stuck.length, 2);
    assert.match(stuck[0], /the property value of/);
    assert.match(stuck[1], /made non-extensible/);
  });

  it("leaves alone the objects it is told to skip, and goes one level into shallow ones", () => {
    const { lib } = world();
    const state = { count: 0 };
    const host = { state, lib, inner: { x: 1 } };
    const snap = new RealmSnapshot([host], { skip: [state], shallow: [host] });
    state.count = 5;
    lib.nested.deep.value = 9;
    host.inner = { x: 2 };
    assert.deepEqual(snap.restore(), []);
    assert.equal(state.count, 5);
    assert.equal(lib.nested.deep.value, 9); // not recorded: host is shallow
    assert.equal(host.inner.x, 1); // host's own property is
  });
});
