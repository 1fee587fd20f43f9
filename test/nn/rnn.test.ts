import assert from "node:assert/strict";
import { manualSeed, randn, tensor, Tensor } from "../../src";
import { SGD } from "../../src/optim";
import * as nn from "../../src/nn";
import { assertClose, assertThrowsOp, countSliceAssigns } from "../helpers";
import { gradcheckModule } from "./util";

type Mat = number[][];
type Vec = number[];
type Kind = "rnn" | "lstm" | "gru";

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const matOf = (t: Tensor): Mat => t.toArray() as Mat;
/** W v + b, row by row. */
const affine = (W: Mat, v: Vec, b: Vec | null): Vec => W.map((row, i) => row.reduce((s, w, j) => s + w * v[j], b ? b[i] : 0));

/**
 * The cell equations written out with plain numbers, one sample at a time:
 * the reference the layers are checked against.
 */
function cellStep(kind: Kind, p: { wih: Mat; whh: Mat; bih: Vec | null; bhh: Vec | null }, x: Vec, h: Vec, c: Vec): [Vec, Vec] {
  const H = h.length;
  const gi = affine(p.wih, x, p.bih), gh = affine(p.whh, h, p.bhh);
  const part = (g: Vec, k: number) => g.slice(k * H, (k + 1) * H);
  if (kind === "rnn") return [gi.map((v, j) => Math.tanh(v + gh[j])), c];
  if (kind === "lstm") {
    const i = part(gi, 0).map((v, j) => sig(v + part(gh, 0)[j]));
    const f = part(gi, 1).map((v, j) => sig(v + part(gh, 1)[j]));
    const g = part(gi, 2).map((v, j) => Math.tanh(v + part(gh, 2)[j]));
    const o = part(gi, 3).map((v, j) => sig(v + part(gh, 3)[j]));
    const c2 = c.map((cj, j) => f[j] * cj + i[j] * g[j]);
    return [c2.map((cj, j) => o[j] * Math.tanh(cj)), c2];
  }
  const r = part(gi, 0).map((v, j) => sig(v + part(gh, 0)[j]));
  const z = part(gi, 1).map((v, j) => sig(v + part(gh, 1)[j]));
  const n = part(gi, 2).map((v, j) => Math.tanh(v + r[j] * part(gh, 2)[j]));
  return [n.map((nj, j) => (1 - z[j]) * nj + z[j] * h[j]), c];
}

/** Runs the reference over x [T, N, I] through every layer; returns output [T][N][H] and final h, c [L][N][H]. */
function reference(kind: Kind, m: nn.Module<never, unknown>, x: Tensor, layers: number, H: number, h0?: Tensor, c0?: Tensor) {
  const sd = m.stateDict();
  let seq = x.toArray() as number[][][];
  const T = seq.length, N = seq[0].length;
  const hs: Vec[][] = [], cs: Vec[][] = [];
  for (let l = 0; l < layers; l++) {
    const p = {
      wih: matOf(sd[`weight_ih_l${l}`]), whh: matOf(sd[`weight_hh_l${l}`]),
      bih: sd[`bias_ih_l${l}`] ? (sd[`bias_ih_l${l}`].toArray() as Vec) : null,
      bhh: sd[`bias_hh_l${l}`] ? (sd[`bias_hh_l${l}`].toArray() as Vec) : null,
    };
    let h: Vec[] = h0 ? (h0.toArray() as Mat[])[l] : Array.from({ length: N }, () => new Array<number>(H).fill(0));
    let c: Vec[] = c0 ? (c0.toArray() as Mat[])[l] : Array.from({ length: N }, () => new Array<number>(H).fill(0));
    const out: number[][][] = [];
    for (let t = 0; t < T; t++) {
      const next = seq[t].map((xn, n) => cellStep(kind, p, xn, h[n], c[n]));
      h = next.map(([hn]) => hn);
      c = next.map(([, cn]) => cn);
      out.push(h);
    }
    seq = out;
    hs.push(h);
    cs.push(c);
  }
  return { out: seq, h: hs, c: cs };
}

const f64 = (shape: number[]) => randn(shape, { dtype: "float64" });

describe("nn recurrent layers", () => {
  beforeEach(() => manualSeed(0));

  it("parameters have PyTorch's names and shapes (gates i,f,g,o for LSTM; r,z,n for GRU)", () => {
    const lstm = new nn.LSTM(3, 5, { numLayers: 2 });
    assert.deepEqual(lstm.namedParameters().map(([n, p]) => `${n}:${p.shape}`), [
      "weight_ih_l0:20,3", "weight_hh_l0:20,5", "bias_ih_l0:20", "bias_hh_l0:20",
      "weight_ih_l1:20,5", "weight_hh_l1:20,5", "bias_ih_l1:20", "bias_hh_l1:20",
    ]);
    assert.deepEqual(new nn.GRU(3, 4, { bias: false }).namedParameters().map(([n, p]) => `${n}:${p.shape}`), ["weight_ih_l0:12,3", "weight_hh_l0:12,4"]);
    // U(-1/sqrt(H), 1/sqrt(H))
    const bound = 1 / Math.sqrt(5);
    assert.ok(lstm.parameters().every((p) => p.abs().max().item() <= bound));
  });

  for (const kind of ["rnn", "lstm", "gru"] as const) {
    const make = (I: number, H: number, opts: nn.RNNOptions = {}) =>
      (kind === "rnn" ? new nn.RNN(I, H, opts) : kind === "lstm" ? new nn.LSTM(I, H, opts) : new nn.GRU(I, H, opts)).double();
    /** forward with a uniform result shape: [out, h, c]. */
    const run = (m: ReturnType<typeof make>, x: Tensor, h0?: Tensor, c0?: Tensor): [Tensor, Tensor, Tensor | null] => {
      if (m instanceof nn.LSTM) {
        const [out, [h, c]] = m.forward(x, h0 && c0 ? [h0, c0] : undefined);
        return [out, h, c];
      }
      const [out, h] = (m as nn.RNN).forward(x, h0);
      return [out, h, null];
    };

    describe(kind.toUpperCase(), () => {
      it("matches the cell equations step by step (2 layers, given initial state)", () => {
        const m = make(3, 4, { numLayers: 2 });
        const x = f64([5, 2, 3]);
        const h0 = f64([2, 2, 4]), c0 = f64([2, 2, 4]);
        const [out, h, c] = run(m, x, h0, kind === "lstm" ? c0 : undefined);
        const ref = reference(kind, m, x, 2, 4, h0, kind === "lstm" ? c0 : undefined);
        assertClose(out, ref.out);
        assertClose(h, ref.h);
        if (c) assertClose(c, ref.c);
        assert.deepEqual(out.shape, [5, 2, 4]);
        assert.deepEqual(h.shape, [2, 2, 4]);
        // the output's last step is the last layer's final state
        assertClose(out.select(0, 4), h.select(0, 1));
      });

      it("batchFirst takes and returns [batch, time, features]; an unbatched [time, features] input works", () => {
        const m = make(3, 2, { batchFirst: true, bias: false });
        const x = f64([2, 4, 3]);
        const [out, h] = run(m, x);
        const ref = reference(kind, m, x.transpose(0, 1), 1, 2);
        assertClose(out.transpose(0, 1), ref.out);
        assertClose(h, ref.h);
        const [o1, h1] = run(m, x.select(0, 1));
        assert.deepEqual(o1.shape, [4, 2]);
        assert.deepEqual(h1.shape, [1, 2]);
        assertClose(o1, out.select(0, 1));
      });

      it("gradients check in float64 through time", () => {
        const m = make(2, 2, { numLayers: 2 });
        gradcheckModule(m, [f64([3, 2, 2])], (x) => run(m, x)[0]);
      });

      it("backward through 50 steps gathers the per-step slices: no step's gradient is padded to the whole sequence", () => {
        // padding each step's gradient to [T, N, gates*H] and adding them costs T^2 N H: a long sequence would crawl
        const m = make(3, 4, { numLayers: 2 });
        const x = f64([50, 2, 3]).requiresGrad_(true);
        const padded = countSliceAssigns(() => run(m, x)[0].sum().backward());
        assert.equal(padded, 0);
        assert.deepEqual(x.grad!.shape, [50, 2, 3]);
      });

      it("names the layer and the shapes on a wrong input or state", () => {
        const m = make(3, 4);
        const name = kind === "rnn" ? "RNN" : kind.toUpperCase();
        assertThrowsOp(() => run(m, f64([5, 2, 2])), name, "[5,2,2]", "inputSize 3");
        assertThrowsOp(() => run(m, f64([5, 2, 3]), f64([1, 3, 4]), f64([1, 3, 4])), name, "[1,3,4]", "[1,2,4]");
      });
    });
  }

  it("Embedding -> LSTM -> Linear (001 §4.2's RNNModel) trains: the loss goes down", () => {
    class RNNModel extends nn.Module {
      embed = new nn.Embedding(5, 4);
      lstm = new nn.LSTM(4, 8, { batchFirst: true });
      fc = new nn.Linear(8, 5);
      forward(x: Tensor): Tensor {
        const [out] = this.lstm.forward(this.embed.forward(x));
        return this.fc.forward(out);
      }
    }
    const model = new RNNModel();
    // predict the next id of 0 1 2 3 4 0 1 ...
    const x = tensor([[0, 1, 2, 3], [2, 3, 4, 0]], { dtype: "int32" });
    const y = tensor([[1, 2, 3, 4], [3, 4, 0, 1]], { dtype: "int32" });
    const opt = new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x).reshape([-1, 5]), y.reshape([-1]));
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses[29] < losses[0] * 0.2, `loss ${losses[0]} -> ${losses[29]}`);
  });
});
