import assert from "node:assert/strict";
import { tensor, Tensor } from "../../src";
import * as optim from "../../src/optim";
import { assertClose, assertThrowsOp } from "../helpers";

/*
 * Every optimizer runs a few steps on one fixed problem,
 *   loss(p) = sum(a p^2 / 2 + b p),   so   grad = a p + b,
 * and its parameters are compared after each step with the update formulas
 * written out below in plain numbers, one coordinate at a time.
 */
const P0 = [1, -2, 3];
const A = [1, 2, 0.5];
const B = [0.5, 0, -1];
const STEPS = 4;
const gradOf = (p: number[]) => p.map((v, i) => A[i] * v + B[i]); // at P0: [1.5, -4, 0.5]

function lossOf(p: Tensor): Tensor {
  const a = tensor(A, { dtype: "float64" }), b = tensor(B, { dtype: "float64" });
  return p.mul(p).mul(a).div(2).add(p.mul(b)).sum();
}

/** Parameter values after each of STEPS steps of the real optimizer. */
function trajectory(make: (p: Tensor) => optim.Optimizer<optim.BaseOptions>): number[][] {
  const p = tensor(P0, { dtype: "float64", requiresGrad: true });
  const opt = make(p);
  const out: number[][] = [];
  for (let s = 0; s < STEPS; s++) {
    opt.zeroGrad();
    lossOf(p).backward();
    opt.step();
    out.push([...p.values()]);
  }
  return out;
}

/** The same with a hand-written update rule: update(p, g, t) changes p (t counts from 1), keeping its own state. */
function reference(update: (p: number[], g: number[], t: number) => void): number[][] {
  const p = [...P0];
  const out: number[][] = [];
  for (let t = 1; t <= STEPS; t++) {
    update(p, gradOf(p), t);
    out.push([...p]);
  }
  return out;
}

function assertSame(actual: number[][], expected: number[][]): void {
  actual.forEach((row, s) => row.forEach((v, i) => assert.ok(Math.abs(v - expected[s][i]) < 1e-6, `step ${s + 1}, coordinate ${i}: ${v} != ${expected[s][i]}`)));
}

const zeros3 = () => [0, 0, 0];

describe("optimizers follow their update formulas", () => {
  it("SGD: p -= lr g", () => {
    const got = trajectory((p) => new optim.SGD([p], { lr: 0.1 }));
    assertSame(got.slice(0, 1), [[0.85, -1.6, 2.95]]); // by hand: P0 - 0.1 * [1.5, -4, 0.5]
    assertSame(got, reference((p, g) => p.forEach((_, i) => (p[i] -= 0.1 * g[i]))));
  });

  it("SGD with momentum, dampening and weight decay", () => {
    const [lr, mu, damp, wd] = [0.1, 0.9, 0.1, 0.01];
    const got = trajectory((p) => new optim.SGD([p], { lr, momentum: mu, dampening: damp, weightDecay: wd }));
    // step 1 by hand: d = g + 0.01 p = [1.51, -4.02, 0.53]; the buffer starts as d (no dampening on the first step)
    assertSame(got.slice(0, 1), [[1 - 0.151, -2 + 0.402, 3 - 0.053]]);
    let buf: number[] | null = null;
    assertSame(got, reference((p, g) => {
      const d = g.map((gi, i) => gi + wd * p[i]);
      buf = buf ? buf.map((b, i) => mu * b + (1 - damp) * d[i]) : [...d];
      p.forEach((_, i) => (p[i] -= lr * buf![i]));
    }));
  });

  it("SGD with Nesterov momentum: p -= lr (g + mu buf)", () => {
    const [lr, mu] = [0.05, 0.9];
    const got = trajectory((p) => new optim.SGD([p], { lr, momentum: mu, nesterov: true }));
    let buf: number[] | null = null;
    assertSame(got, reference((p, g) => {
      buf = buf ? buf.map((b, i) => mu * b + g[i]) : [...g];
      p.forEach((_, i) => (p[i] -= lr * (g[i] + mu * buf![i])));
    }));
    assertThrowsOp(() => new optim.SGD([tensor([1], { requiresGrad: true })], { nesterov: true }), "SGD", "nesterov", "momentum");
  });

  it("Adagrad: G += g^2; p -= lr_t g / (sqrt(G) + eps), lr_t = lr / (1 + (t-1) lrDecay)", () => {
    const got1 = trajectory((p) => new optim.Adagrad([p], { lr: 0.1 }));
    assertSame(got1.slice(0, 1), [[0.9, -1.9, 2.9]]); // the first step is lr * sign(g)
    const [lr, decay, wd, init, eps] = [0.2, 0.1, 0.05, 0.5, 1e-10];
    const got = trajectory((p) => new optim.Adagrad([p], { lr, lrDecay: decay, weightDecay: wd, initialAccumulatorValue: init, eps }));
    const G = [init, init, init];
    assertSame(got, reference((p, g, t) => {
      const d = g.map((gi, i) => gi + wd * p[i]);
      const clr = lr / (1 + (t - 1) * decay);
      p.forEach((_, i) => {
        G[i] += d[i] * d[i];
        p[i] -= (clr * d[i]) / (Math.sqrt(G[i]) + eps);
      });
    }));
  });

  it("RMSprop: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)", () => {
    const got1 = trajectory((p) => new optim.RMSprop([p], { lr: 0.01 }));
    // step 1: v = 0.01 g^2, so the step is lr g / (0.1 |g|) = 10 lr sign(g)
    assertSame(got1.slice(0, 1), [[0.9, -1.9, 2.9]]);
    const v = zeros3();
    assertSame(got1, reference((p, g) => p.forEach((_, i) => {
      v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
      p[i] -= (0.01 * g[i]) / (Math.sqrt(v[i]) + 1e-8);
    })));
  });

  it("RMSprop centered, with momentum and weight decay", () => {
    const [lr, alpha, mu, wd, eps] = [0.01, 0.9, 0.5, 0.1, 1e-8];
    const got = trajectory((p) => new optim.RMSprop([p], { lr, alpha, momentum: mu, centered: true, weightDecay: wd }));
    const v = zeros3(), gbar = zeros3(), buf = zeros3();
    assertSame(got, reference((p, g) => p.forEach((_, i) => {
      const d = g[i] + wd * p[i];
      v[i] = alpha * v[i] + (1 - alpha) * d * d;
      gbar[i] = alpha * gbar[i] + (1 - alpha) * d;
      buf[i] = mu * buf[i] + d / (Math.sqrt(v[i] - gbar[i] * gbar[i]) + eps);
      p[i] -= lr * buf[i];
    })));
  });

  /** Adam as in source 001 §3.3: moments, bias correction, then the step. */
  function adamRef(lr: number, b1: number, b2: number, eps: number, opts: { wd?: number; decoupled?: boolean; amsgrad?: boolean } = {}) {
    const m = zeros3(), v = zeros3(), vmax = zeros3();
    return reference((p, g, t) => p.forEach((_, i) => {
      let gi = g[i];
      if (opts.wd && opts.decoupled) p[i] *= 1 - lr * opts.wd;
      else if (opts.wd) gi += opts.wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      vmax[i] = Math.max(vmax[i], v[i]);
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = (opts.amsgrad ? vmax[i] : v[i]) / (1 - b2 ** t);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }));
  }

  it("Adam: bias-corrected moments, p -= lr m^ / (sqrt(v^) + eps)", () => {
    const got = trajectory((p) => new optim.Adam([p], { lr: 0.1 }));
    // step 1: m^ = g and v^ = g^2 exactly, so the step is lr * sign(g) (up to eps)
    assertSame(got.slice(0, 1), [[0.9, -1.9, 2.9]]);
    assertSame(got, adamRef(0.1, 0.9, 0.999, 1e-8));
    const got2 = trajectory((p) => new optim.Adam([p], { lr: 0.05, betas: [0.8, 0.9], eps: 1e-3, weightDecay: 0.1 }));
    assertSame(got2, adamRef(0.05, 0.8, 0.9, 1e-3, { wd: 0.1 }));
  });

  it("Adam with amsgrad divides by the largest second moment seen", () => {
    const opts = { lr: 0.5, betas: [0.5, 0.5] as const };
    const got = trajectory((p) => new optim.Adam([p], { ...opts, amsgrad: true }));
    const expected = adamRef(0.5, 0.5, 0.5, 1e-8, { amsgrad: true });
    assertSame(got, expected);
    // the problem is chosen so that v does shrink: amsgrad makes a difference
    const plain = adamRef(0.5, 0.5, 0.5, 1e-8);
    assert.ok(Math.abs(plain[STEPS - 1][1] - expected[STEPS - 1][1]) > 1e-3);
  });

  it("AdamW decays the weights directly (decoupled), not through the gradient", () => {
    const got = trajectory((p) => new optim.AdamW([p], { lr: 0.1, weightDecay: 0.5 }));
    assertSame(got, adamRef(0.1, 0.9, 0.999, 1e-8, { wd: 0.5, decoupled: true }));
    const l2 = adamRef(0.1, 0.9, 0.999, 1e-8, { wd: 0.5 });
    assert.ok(Math.abs(got[STEPS - 1][2] - l2[STEPS - 1][2]) > 1e-3, "AdamW differs from Adam with L2");
    assert.equal(new optim.AdamW([tensor([1], { requiresGrad: true })]).paramGroups[0].weightDecay, 0.01);
  });
});

describe("Optimizer base", () => {
  it("parameter groups each use their own options; zeroGrad clears; params without grad are skipped", () => {
    const a = tensor([1, 1], { requiresGrad: true }), b = tensor([1], { requiresGrad: true }), c = tensor([5], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b, c], lr: 0.5 }], { lr: 0.1 });
    assert.equal(opt.paramGroups[0].lr, 0.1);
    assert.equal(opt.paramGroups[1].lr, 0.5);
    a.sum().add(b.sum()).backward();
    opt.step();
    assertClose(a, [0.9, 0.9]);
    assertClose(b, [0.5]);
    assertClose(c, [5]);
    opt.zeroGrad();
    assert.equal(a.grad, null);
    assert.equal(b.grad, null);
  });

  it("steps run without recording a graph, in place", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.Adam([p]);
    p.mul(p).sum().backward();
    const v0 = p.version;
    opt.step();
    assert.equal(p.isLeaf, true);
    assert.ok(p.version > v0);
    assert.equal(p.requiresGrad, true);
  });

  it("bad arguments name the optimizer and the value", () => {
    assertThrowsOp(() => new optim.SGD([]), "SGD", "empty");
    assertThrowsOp(() => new optim.SGD([tensor([1], { requiresGrad: true })], { lr: -1 }), "SGD", "lr", "-1");
    assertThrowsOp(() => new optim.Adam([tensor([1], { requiresGrad: true })], { betas: [1, 0.9] }), "Adam", "betas[0]", "1");
    const x = tensor([1], { requiresGrad: true });
    assertThrowsOp(() => new optim.SGD([x.mul(2)]), "SGD", "leaf");
    assertThrowsOp(() => new optim.SGD([x, x]), "SGD", "twice");
  });

  it("stateDict / loadStateDict resume training exactly", () => {
    const run = (p: Tensor, opt: optim.Optimizer<optim.BaseOptions>, n: number) => {
      for (let i = 0; i < n; i++) {
        opt.zeroGrad();
        lossOf(p).backward();
        opt.step();
      }
    };
    const p = tensor(P0, { dtype: "float64", requiresGrad: true });
    const opt = new optim.Adam([p], { lr: 0.1, amsgrad: true });
    run(p, opt, 2);
    const sd = opt.stateDict();
    assert.equal(sd.state[0].step, 2);
    assert.deepEqual(sd.paramGroups[0].params, [0]);
    const q = p.detach().clone().requiresGrad_();
    run(p, opt, 2);
    const opt2 = new optim.Adam([q], { lr: 0.7 });
    opt2.loadStateDict(sd);
    assert.equal(opt2.paramGroups[0].lr, 0.1);
    run(q, opt2, 2);
    assert.deepEqual(q.values(), p.values());
    // the saved state is a copy: stepping on did not change it
    assert.equal(sd.state[0].step, 2);
    assertThrowsOp(() => new optim.Adam([q, tensor([1], { requiresGrad: true })]).loadStateDict(sd), "Adam.loadStateDict", "1 parameters", "2 here");
  });
});
