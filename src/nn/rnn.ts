import { fail, fmtShape } from "../errors";
import { dropout } from "../ops/random";
import { stack } from "../ops/shape";
import { zeros } from "../tensor/creation";
import { sameShape } from "../tensor/shape";
import { Tensor } from "../tensor/tensor";
import * as init from "./init";
import { Module } from "./module";
import { Parameter } from "./parameter";

export interface RNNOptions {
  /** Recurrent layers stacked on top of each other (each one reads the outputs of the one below). */
  numLayers?: number;
  /** Inputs and outputs as [batch, time, features] instead of [time, batch, features]. */
  batchFirst?: boolean;
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
}

type Kind = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";
const GATES: Record<Kind, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

interface RunResult {
  out: Tensor;
  h: Tensor;
  c: Tensor | null;
}

/**
 * What RNN, LSTM and GRU share: parameters named as in PyTorch
 * (weight_ih_l0 [gates*H, inputSize], weight_hh_l0 [gates*H, H], bias_ih_l0,
 * bias_hh_l0, then _l1 ...), all initialised U(-1/sqrt(H), 1/sqrt(H)), and
 * the loop over layers and time steps.
 *
 * The input-to-hidden products of a layer do not depend on the previous
 * step, so they are computed for all time steps at once, as one matrix
 * product; only h W_hh^T is left inside the loop over time.
 */
abstract class RNNBase<In extends unknown[], Out> extends Module<In, Out> {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly bias: boolean;
  readonly dropout: number;

  constructor(protected readonly kind: Kind, readonly inputSize: number, readonly hiddenSize: number, opts: RNNOptions = {}) {
    super();
    const name = this.constructor.name;
    this.numLayers = opts.numLayers ?? 1;
    this.batchFirst = opts.batchFirst ?? false;
    this.bias = opts.bias ?? true;
    this.dropout = opts.dropout ?? 0;
    for (const [k, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize], ["numLayers", this.numLayers]] as const) {
      if (!Number.isInteger(v) || v < 1) fail(name, `${k} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1)) fail(name, `dropout must be in [0, 1], got ${this.dropout}`);
    const G = GATES[kind] * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let l = 0; l < this.numLayers; l++) {
      const shapes: [string, number[]][] = [
        [`weight_ih_l${l}`, [G, l === 0 ? inputSize : hiddenSize]],
        [`weight_hh_l${l}`, [G, hiddenSize]],
      ];
      if (this.bias) shapes.push([`bias_ih_l${l}`, [G]], [`bias_hh_l${l}`, [G]]);
      for (const [pname, shape] of shapes) {
        const p = new Parameter(zeros(shape));
        init.uniform(p, -bound, bound);
        this.registerParameter(pname, p);
      }
    }
  }

  /** Read at each call, since double() and to() replace the parameters. */
  protected param(name: string): Tensor | null {
    return ((this as unknown as Record<string, unknown>)[name] as Tensor | undefined) ?? null;
  }

  /** Checks an initial state of shape [numLayers, N, H] (or [numLayers, H] for an unbatched input). */
  private checkState(what: string, s: Tensor, want: number[]): void {
    if (!sameShape(s.shape, want)) fail(this.constructor.name, `${what} has shape ${fmtShape(s.shape)}, expected ${fmtShape(want)} ([numLayers, batch, hiddenSize])`);
  }

  protected run(x: Tensor, h0?: Tensor, c0?: Tensor): RunResult {
    const name = this.constructor.name;
    const H = this.hiddenSize;
    if (x.ndim !== 2 && x.ndim !== 3) {
      fail(name, `expected input ${this.batchFirst ? "[batch, time, features]" : "[time, batch, features]"} (or unbatched [time, features]), got ${fmtShape(x.shape)}`);
    }
    const unbatched = x.ndim === 2;
    let seq = unbatched ? x.unsqueeze(1) : this.batchFirst ? x.transpose(0, 1) : x; // [T, N, I]
    const [T, N, I] = seq.shape;
    if (I !== this.inputSize) fail(name, `input of shape ${fmtShape(x.shape)} has ${I} features, expected inputSize ${this.inputSize}`);
    const stateShape = unbatched ? [this.numLayers, H] : [this.numLayers, N, H];
    if (h0) this.checkState("initial hidden state h0", h0, stateShape);
    if (c0) this.checkState("initial cell state c0", c0, stateShape);
    const h0b = h0 && unbatched ? h0.unsqueeze(1) : h0;
    const c0b = c0 && unbatched ? c0.unsqueeze(1) : c0;
    const zero = () => zeros([N, H], { dtype: x.dtype, backend: x.backend.name });

    const hs: Tensor[] = [], cs: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const wih = this.param(`weight_ih_l${l}`)!, whh = this.param(`weight_hh_l${l}`)!;
      const bih = this.param(`bias_ih_l${l}`), bhh = this.param(`bias_hh_l${l}`);
      // x W_ih^T + b_ih (+ b_hh, except for the GRU, whose b_hn sits inside r * (...)), all steps at once
      let xw = seq.reshape([T * N, seq.shape[2]]).matmul(wih.t());
      if (bih) xw = xw.add(bih);
      if (bhh && this.kind !== "GRU") xw = xw.add(bhh);
      xw = xw.reshape([T, N, -1]);
      // one transposed view per layer, not one per step (on tfjs a transpose is a copy)
      const whhT = whh.t();
      let h = h0b ? h0b.select(0, l) : zero();
      let c = this.kind === "LSTM" ? (c0b ? c0b.select(0, l) : zero()) : null;
      const outs: Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const xt = xw.select(0, t);
        const hw = h.matmul(whhT);
        if (this.kind === "LSTM") {
          const [i, f, g, o] = xt.add(hw).chunk(4, 1);
          c = f.sigmoid().mul(c!).add(i.sigmoid().mul(g.tanh()));
          h = o.sigmoid().mul(c.tanh());
        } else if (this.kind === "GRU") {
          const [xr, xz, xn] = xt.chunk(3, 1);
          const [hr, hz, hn] = (bhh ? hw.add(bhh) : hw).chunk(3, 1);
          const r = xr.add(hr).sigmoid();
          const z = xz.add(hz).sigmoid();
          const n = xn.add(r.mul(hn)).tanh();
          h = n.add(z.mul(h.sub(n))); // (1 - z) n + z h
        } else {
          const pre = xt.add(hw);
          h = this.kind === "RNN_TANH" ? pre.tanh() : pre.relu();
        }
        outs.push(h);
      }
      seq = stack(outs, 0);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) seq = dropout(seq, this.dropout, true);
      hs.push(h);
      if (c) cs.push(c);
    }
    const fix = (s: Tensor) => (unbatched ? s.squeeze(1) : s);
    const out = unbatched ? seq.squeeze(1) : this.batchFirst ? seq.transpose(0, 1) : seq;
    return { out, h: fix(stack(hs, 0)), c: cs.length ? fix(stack(cs, 0)) : null };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.numLayers !== 1) s += `, numLayers=${this.numLayers}`;
    if (this.kind === "RNN_RELU") s += `, nonlinearity="relu"`;
    if (!this.bias) s += ", bias=false";
    if (this.batchFirst) s += ", batchFirst=true";
    if (this.dropout) s += `, dropout=${this.dropout}`;
    return s;
  }
}

export interface SimpleRNNOptions extends RNNOptions {
  nonlinearity?: "tanh" | "relu";
}

/**
 * Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).
 * forward(x, h0?) returns [output (h_t of the last layer at every step), h_n (every layer's last h_t)].
 */
export class RNN extends RNNBase<[Tensor, Tensor?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: SimpleRNNOptions = {}) {
    const nl = opts.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") fail("RNN", `nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nl)}`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const r = this.run(x, h0);
    return [r.out, r.h];
  }
}

/**
 * Long short-term memory (Hochreiter and Schmidhuber, 1997), gates in PyTorch's order i, f, g, o:
 *   i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.)   each of x_t W_ih^T + b_ih + h W_hh^T + b_hh
 *   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t).
 * forward(x, [h0, c0]?) returns [output, [h_n, c_n]].
 */
export class LSTM extends RNNBase<[Tensor, [Tensor, Tensor]?], [Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("LSTM", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const r = this.run(x, state?.[0], state?.[1]);
    return [r.out, [r.h, r.c!]];
  }
}

/**
 * Gated recurrent unit (Cho et al., 2014), gates in PyTorch's order r, z, n:
 *   r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise,
 *   n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),  h_t = (1 - z) n + z h_{t-1}.
 * forward(x, h0?) returns [output, h_n].
 */
export class GRU extends RNNBase<[Tensor, Tensor?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("GRU", inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const r = this.run(x, h0);
    return [r.out, r.h];
  }
}
