// Grouped-query attention of the dense students (Qwen2, Llama; the R1-Distill models): H query heads
// share Hk key/value heads. Qwen2 always has q/k/v biases; Llama has biases on q/k/v/o only with
// attention_bias. Both rotate halves (x[i], x[i+D/2]) on Hugging Face weights.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { Linear, Module } from '../../nn/index.js';
import type { InitOptions } from '../../nn/index.js';
import type { LlamaConfig, Qwen2Config } from '../config.js';
import { headDim } from '../config.js';
import type { LayerCacheShape } from '../kv-cache.js';
import type { LayerContext } from './context.js';

export class GroupedQueryAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  private readonly heads: number;
  private readonly kvHeads: number;
  private readonly dim: number;

  constructor(cfg: Qwen2Config | LlamaConfig, init: InitOptions) {
    super();
    const d = cfg.hidden_size;
    this.heads = cfg.num_attention_heads;
    this.kvHeads = cfg.num_key_value_heads;
    this.dim = headDim(cfg);
    const qkvBias = cfg.model_type === 'qwen2' || cfg.attention_bias;
    const oBias = cfg.model_type === 'llama' && cfg.attention_bias;
    this.q_proj = this.child('q_proj', new Linear(d, this.heads * this.dim, { ...init, bias: qkvBias }));
    this.k_proj = this.child('k_proj', new Linear(d, this.kvHeads * this.dim, { ...init, bias: qkvBias }));
    this.v_proj = this.child('v_proj', new Linear(d, this.kvHeads * this.dim, { ...init, bias: qkvBias }));
    this.o_proj = this.child('o_proj', new Linear(this.heads * this.dim, d, { ...init, bias: oBias }));
  }

  cacheShape(): LayerCacheShape {
    return { heads: this.kvHeads, keyDim: this.dim, valueDim: this.dim };
  }

  /** x [B, T, d] → [B, T, d]. */
  forward(x: Tensor, ctx: LayerContext): Tensor {
    const { batch: B, steps: S } = ctx;
    const q = ctx.rotary.apply(T.reshape(this.q_proj.forward(x), [B, S, this.heads, this.dim]), ctx.positions);
    const k = ctx.rotary.apply(T.reshape(this.k_proj.forward(x), [B, S, this.kvHeads, this.dim]), ctx.positions);
    const v = T.reshape(this.v_proj.forward(x), [B, S, this.kvHeads, this.dim]);
    const kH = T.permute(k, [0, 2, 1, 3]);
    const vH = T.permute(v, [0, 2, 1, 3]);
    const { keys, values } = ctx.cache ? ctx.cache.write(ctx.layerIndex, kH, vH, ctx.slots) : { keys: kH, values: vH };
    const o = T.attention(T.permute(q, [0, 2, 1, 3]), keys, values, { causal: !ctx.mask, mask: ctx.mask, scale: 1 / Math.sqrt(this.dim) });
    return this.o_proj.forward(T.reshape(T.permute(o, [0, 2, 1, 3]), [B, S, this.heads * this.dim]));
  }
}
