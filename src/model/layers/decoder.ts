// One pre-norm decoder block, the same for all three architectures:
// h = h + Attn(RMSNorm(h)); h = h + FFN(RMSNorm(h)), where Attn is MLA (DeepSeek) or GQA (students)
// and FFN is a dense SwiGLU MLP or DeepSeekMoE.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { Module, RMSNorm } from '../../nn/index.js';
import type { InitOptions } from '../../nn/index.js';
import type { ModelConfig } from '../config.js';
import { isMoeLayer } from '../config.js';
import type { LayerCacheShape } from '../kv-cache.js';
import type { LayerContext } from './context.js';
import { GroupedQueryAttention } from './gqa.js';
import type { MlaPath } from './mla.js';
import { MultiHeadLatentAttention } from './mla.js';
import { Mlp } from './mlp.js';
import { MoE } from './moe.js';

export interface BlockOutput {
  readonly h: Tensor;
  readonly auxLoss: Tensor | null;
  /** Per-expert load of an MoE block, null for a dense one. */
  readonly load: Float32Array | null;
}

export class DecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: MultiHeadLatentAttention | GroupedQueryAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: Mlp | MoE;

  constructor(cfg: ModelConfig, index: number, init: InitOptions) {
    super();
    const d = cfg.hidden_size;
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(d, cfg.rms_norm_eps));
    const deepseek = cfg.model_type === 'deepseek_v3';
    this.self_attn = this.child('self_attn', deepseek ? new MultiHeadLatentAttention(cfg, init) : new GroupedQueryAttention(cfg, init));
    this.post_attention_layernorm = this.child('post_attention_layernorm', new RMSNorm(d, cfg.rms_norm_eps));
    this.mlp = this.child('mlp', deepseek && isMoeLayer(cfg, index) ? new MoE(cfg, init) : new Mlp(d, cfg.intermediate_size, init));
  }

  cacheShape(path: MlaPath): LayerCacheShape {
    return this.self_attn instanceof MultiHeadLatentAttention ? this.self_attn.cacheShape(path) : this.self_attn.cacheShape();
  }

  forward(h: Tensor, ctx: LayerContext, path: MlaPath, auxAlpha: number): BlockOutput {
    const a = this.input_layernorm.forward(h);
    const attn = this.self_attn instanceof MultiHeadLatentAttention ? this.self_attn.forward(a, ctx, path) : this.self_attn.forward(a, ctx);
    const h1 = T.add(h, attn);
    const m = this.post_attention_layernorm.forward(h1);
    if (this.mlp instanceof MoE) {
      const out = this.mlp.forward(m, ctx.batch, auxAlpha);
      return { h: T.add(h1, out.y), auxLoss: out.auxLoss, load: out.load };
    }
    return { h: T.add(h1, this.mlp.forward(m)), auxLoss: null, load: null };
  }
}
