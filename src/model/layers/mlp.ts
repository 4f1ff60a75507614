// The SwiGLU feed-forward block every architecture here uses (dense FFN, each routed expert and the
// shared experts alike): down( silu(gate(x)) ⊙ up(x) ), no biases.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { Linear, Module } from '../../nn/index.js';
import type { InitOptions } from '../../nn/index.js';

export class Mlp extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  constructor(readonly hidden: number, readonly intermediate: number, init: InitOptions) {
    super();
    this.gate_proj = this.child('gate_proj', new Linear(hidden, intermediate, init));
    this.up_proj = this.child('up_proj', new Linear(hidden, intermediate, init));
    this.down_proj = this.child('down_proj', new Linear(intermediate, hidden, init));
  }

  forward(x: Tensor): Tensor {
    const g = this.gate_proj.forward(x);
    const u = this.up_proj.forward(x);
    const h = T.swiglu(g, u);
    T.release(g);
    T.release(u);
    const y = this.down_proj.forward(h);
    T.release(h);
    return y;
  }
}
