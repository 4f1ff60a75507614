// Rotary tables shared by every layer of a model, grown on demand (doubling) as longer sequences
// arrive, so a 163,840-position YaRN model does not pay for the whole context up front.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { ropeTables } from '../../nn/index.js';
import type { RopeScalingSpec } from '../../nn/index.js';

export class Rotary {
  private cos: Tensor | null = null;
  private sin: Tensor | null = null;
  private covered = 0;

  constructor(
    readonly rotaryDim: number,
    readonly theta: number,
    readonly scaling: RopeScalingSpec | null,
    /** Pairs (2i, 2i+1) as DeepSeek stores them, or halves as Qwen2/Llama do. */
    readonly interleaved: boolean,
  ) {}

  /** Rotates x [B, T, H, D] by the positions of its B·T token rows. */
  apply(x: Tensor, positions: Int32Array): Tensor {
    let top = 0;
    for (const p of positions) if (p > top) top = p;
    this.ensure(top + 1);
    return T.rope(x, this.cos!, this.sin!, positions, { interleaved: this.interleaved });
  }

  private ensure(positions: number): void {
    if (positions <= this.covered) return;
    let size = Math.max(64, this.covered);
    while (size < positions) size *= 2;
    const tables = T.noGrad(() => ropeTables({ rotaryDim: this.rotaryDim, maxPositions: size, theta: this.theta, scaling: this.scaling }));
    this.dispose();
    this.cos = T.keep(tables.cos);
    this.sin = T.keep(tables.sin);
    this.covered = size;
  }

  dispose(): void {
    this.cos?.dispose();
    this.sin?.dispose();
    this.cos = this.sin = null;
    this.covered = 0;
  }
}
