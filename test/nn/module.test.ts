import assert from "node:assert/strict";
import { manualSeed, noGrad, ones, randn, tensor, Tensor, zeros } from "../../src";
import * as backends from "../../src/backend";
import * as nn from "../../src/nn";
import * as optim from "../../src/optim";
import { assertClose, assertThrowsOp } from "../helpers";

class Block extends nn.Module {
  lin = new nn.Linear(3, 3);
  scale = new nn.Parameter(ones([3]));
  forward(x: Tensor): Tensor {
    return this.lin.forward(x).mul(this.scale);
  }
}

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  blocks = [new Block(), new Block()];
  bn = new nn.BatchNorm1d(3);
  head = new nn.Sequential(new nn.ReLU(), new nn.Linear(3, 2, { bias: false }));
  notAParam = randn([5]); // a plain tensor field is not registered
  hidden = 7;
  forward(x: Tensor): Tensor {
    let h = this.fc1.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(this.bn.forward(h));
  }
}

describe("nn.Module", () => {
  it("registers parameters, submodules and arrays of modules by assignment, with PyTorch's dotted names", () => {
    const net = new Net();
    assert.deepEqual(net.namedParameters().map(([n]) => n), [
      "fc1.weight", "fc1.bias",
      "blocks.0.scale", "blocks.0.lin.weight", "blocks.0.lin.bias",
      "blocks.1.scale", "blocks.1.lin.weight", "blocks.1.lin.bias",
      "bn.weight", "bn.bias",
      "head.1.weight",
    ]);
    assert.equal(net.parameters().length, 11);
    assert.ok(net.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad));
    assert.deepEqual(net.namedChildren().map(([n]) => n), ["fc1", "blocks.0", "blocks.1", "bn", "head"]);
    assert.deepEqual(net.namedModules().map(([n]) => n), ["", "fc1", "blocks.0", "blocks.0.lin", "blocks.1", "blocks.1.lin", "bn", "head", "head.0", "head.1"]);
    assert.equal(net.numParameters(), 4 * 3 + 3 + 2 * (3 + 9 + 3) + 3 + 3 + 3 * 2);
  });

  it("stateDict holds parameters and buffers (BatchNorm running stats) in PyTorch's order and names", () => {
    const net = new Net();
    const keys = Object.keys(net.stateDict());
    assert.deepEqual(keys.slice(8), ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "head.1.weight"]);
    assert.deepEqual(net.namedBuffers().map(([n]) => n), ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]);
    assert.equal(net.stateDict()["bn.num_batches_tracked"].dtype, "int32");
    // detached, but sharing storage
    const w = net.stateDict()["fc1.weight"];
    assert.equal(w.requiresGrad, false);
    noGrad(() => net.fc1.weight.fill_(2));
    assertClose(w.sum(), 24);
  });

  it("a shared parameter is listed once", () => {
    class Tied extends nn.Module {
      a = new nn.Linear(2, 2);
      b = new nn.Linear(2, 2);
      constructor() {
        super();
        this.b.weight = this.a.weight;
      }
      forward(x: Tensor): Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const t = new Tied();
    assert.deepEqual(t.namedParameters().map(([n]) => n), ["a.weight", "a.bias", "b.bias"]);
  });

  it("loadStateDict copies values in; a round trip reproduces the outputs", () => {
    manualSeed(1);
    const a = new Net(), b = new Net();
    const x = randn([5, 4]);
    a.eval();
    b.eval();
    const r = b.loadStateDict(a.stateDict());
    assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [] });
    assertClose(b.forward(x), a.forward(x));
    // values are copied, not aliased
    noGrad(() => a.fc1.bias!.fill_(100));
    assert.notEqual(b.fc1.bias!.values()[0], 100);
  });

  it("loadStateDict names missing and unexpected keys, and both shapes on a mismatch", () => {
    const net = new nn.Sequential(new nn.Linear(4, 3));
    const sd = net.stateDict();
    assertThrowsOp(() => net.loadStateDict({ "0.weight": sd["0.weight"] }), "loadStateDict", 'missing keys', '"0.bias"');
    assertThrowsOp(() => net.loadStateDict({ ...sd, "0.extra": zeros([1]) }), "loadStateDict", "unexpected keys", '"0.extra"');
    assertThrowsOp(() => net.loadStateDict({ ...sd, "0.weight": zeros([3, 5]) }), "loadStateDict", '"0.weight"', "[3,5]", "[3,4]");
    // non-strict: missing and unexpected are reported, not thrown; a shape mismatch still throws
    const r = net.loadStateDict({ "0.weight": zeros([3, 4]), other: zeros([2]) }, { strict: false });
    assert.deepEqual(r, { missingKeys: ["0.bias"], unexpectedKeys: ["other"] });
    assertClose(net.at(0).stateDict().weight.abs().sum(), 0);
    assertThrowsOp(() => net.loadStateDict({ "0.weight": zeros([4, 3]) }, { strict: false }), "loadStateDict", "[4,3]", "[3,4]");
  });

  it("a failed loadStateDict changes nothing", () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 2));
    const before = net.at(0).stateDict().weight.clone();
    const sd = { "0.weight": zeros([2, 2]), "0.bias": zeros([2]), "1.weight": zeros([3, 2]), "1.bias": zeros([2]) };
    assert.throws(() => net.loadStateDict(sd));
    assertClose(net.at(0).stateDict().weight, before);
  });

  it("train() and eval() set the training flag on every submodule", () => {
    const net = new Net();
    assert.ok(net.modules().every((m) => m.training));
    assert.equal(net.eval(), net);
    assert.ok(net.modules().every((m) => !m.training));
    net.train();
    assert.ok(net.modules().every((m) => m.training));
    net.train(false);
    assert.equal(net.bn.training, false);
  });

  it("zeroGrad clears gradients; requiresGrad_(false) freezes", () => {
    const net = new nn.Sequential(new nn.Linear(2, 1));
    net.forward(ones([3, 2])).sum().backward();
    const w = net.parameters()[0];
    assertClose(w.grad!, [[3, 3]]);
    net.zeroGrad();
    assert.equal(w.grad, null);
    net.requiresGrad_(false);
    assert.ok(net.parameters().every((p) => !p.requiresGrad));
    assert.equal(net.numParameters(true), 0);
    assert.equal(net.numParameters(), 3);
  });

  it("double() converts parameters and float buffers (not int ones) to float64", () => {
    const net = new Net().double();
    assert.ok(net.parameters().every((p) => p.dtype === "float64" && p.requiresGrad && p instanceof nn.Parameter));
    assert.equal(net.bn.runningMean!.dtype, "float64");
    assert.equal(net.stateDict()["bn.num_batches_tracked"].dtype, "int32");
    const y = net.forward(randn([4, 4], { dtype: "float64" }));
    assert.equal(y.dtype, "float64");
    net.float();
    assert.ok(net.parameters().every((p) => p.dtype === "float32"));
  });

  it("apply() visits children before their parent; custom init through it", () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.Linear(2, 2)));
    const seen: string[] = [];
    net.apply((m) => {
      seen.push(m.constructor.name);
      if (m instanceof nn.Linear) nn.init.zeros(m.weight);
    });
    assert.deepEqual(seen, ["Linear", "Linear", "Sequential", "Sequential"]);
    assert.ok(net.parameters().filter((p) => p.ndim === 2).every((p) => p.abs().sum().item() === 0));
  });

  it("registerBuffer makes a tensor part of the state dict but not of parameters()", () => {
    class WithBuf extends nn.Module {
      w = new nn.Parameter(zeros([2]));
      constructor() {
        super();
        this.registerBuffer("steps", tensor([3]));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new WithBuf();
    assert.deepEqual(Object.keys(m.stateDict()), ["w", "steps"]);
    assert.equal(m.parameters().length, 1);
    assertThrowsOp(() => m.registerBuffer("a.b", zeros([1])), "registerBuffer", "a.b");
  });

  it("prints like PyTorch", () => {
    const s = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Dropout(0.2)).toString();
    assert.equal(s, "Sequential(\n  (0): Linear(inFeatures=4, outFeatures=3, bias=true)\n  (1): ReLU()\n  (2): Dropout(p=0.2)\n)");
  });

  it("Sequential: chains layers, indexes them, and is iterable", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh());
    assert.equal(seq.length, 2);
    assert.ok(seq.at(-1) instanceof nn.Tanh);
    assert.deepEqual([...seq].map((m) => m.constructor.name), ["Linear", "Tanh"]);
    seq.append(new nn.Linear(3, 1));
    assert.deepEqual(Object.keys(seq.stateDict()), ["0.weight", "0.bias", "2.weight", "2.bias"]);
    const x = randn([4, 2]);
    const lin0 = seq.at(0), lin2 = seq.at(2);
    assertClose(seq.forward(x), lin2.forward(lin0.forward(x).tanh()));
    assertThrowsOp(() => seq.at(3), "Sequential", "3", "3 layers");
  });

  describe("on another backend", () => {
    const others = backends.available().filter((b) => b !== "js");
    for (const name of others) {
      it(`to("${name}") moves parameters and buffers; forward, backward and an SGD step agree with js`, async () => {
        await backends.load(name);
        manualSeed(5);
        const make = () => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Tanh(), new nn.Linear(4, 2));
        const a = make();
        const b = make();
        b.loadStateDict(a.stateDict());
        b.to(name);
        assert.ok(b.parameters().every((p) => p.backend.name === name));
        assert.equal(b.stateDict()["1.running_mean"].backend.name, name);
        const x = randn([5, 3]);
        const y = randn([5, 2]);
        const oa = new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
        const ob = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
        for (let i = 0; i < 2; i++) {
          for (const [m, o, xx, yy] of [[a, oa, x, y], [b, ob, x.to(name), y.to(name)]] as const) {
            o.zeroGrad();
            nn.functional.mseLoss(m.forward(xx), yy).backward();
            o.step();
          }
        }
        const sa = a.stateDict(), sb = b.stateDict();
        for (const k of Object.keys(sa)) assertClose(sb[k].to("js"), sa[k], { rtol: 1e-4, atol: 1e-5 });
        b.to("js");
        assert.ok(b.parameters().every((p) => p.backend.name === "js"));
      });
    }
  });
});
