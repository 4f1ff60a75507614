// Multi-head Latent Attention (DeepSeek-V2 §2.1, V3 §2.1; reference sheet §1). Queries optionally go
// through a low-rank latent (q_a → RMSNorm → q_b); keys and values are compressed into one
// kv_lora_rank latent per token plus one rotary key shared by all heads. Two equivalent paths:
// - expanded: decompress per-head K/V with kv_b (training; the canonical definition);
// - absorbed: fold kv_b's key half into the queries and its value half after attention, so attention
//   runs against the latent itself and a cache keeps only kv_lora_rank + rope dims per token.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { Linear, Module, RMSNorm, attentionScale } from '../../nn/index.js';
import type { InitOptions } from '../../nn/index.js';
import type { DeepseekV3Config } from '../config.js';
import type { LayerCacheShape } from '../kv-cache.js';
import type { LayerContext } from './context.js';

export type MlaPath = 'expanded' | 'absorbed';

export class MultiHeadLatentAttention extends Module {
  readonly q_proj: Linear | null = null;
  readonly q_a_proj: Linear | null = null;
  readonly q_a_layernorm: RMSNorm | null = null;
  readonly q_b_proj: Linear | null = null;
  readonly kv_a_proj_with_mqa: Linear;
  readonly kv_a_layernorm: RMSNorm;
  readonly kv_b_proj: Linear;
  readonly o_proj: Linear;
  private readonly heads: number;
  private readonly nope: number;
  private readonly ropeDim: number;
  private readonly vDim: number;
  private readonly rank: number;
  private readonly scale: number;

  constructor(cfg: DeepseekV3Config, init: InitOptions) {
    super();
    const d = cfg.hidden_size;
    this.heads = cfg.num_attention_heads;
    this.nope = cfg.qk_nope_head_dim;
    this.ropeDim = cfg.qk_rope_head_dim;
    this.vDim = cfg.v_head_dim;
    this.rank = cfg.kv_lora_rank;
    const qHead = this.nope + this.ropeDim;
    // attention_bias (off in every released V3) biases the input-side projections and o, as HF does.
    const biased = { ...init, bias: cfg.attention_bias };
    if (cfg.q_lora_rank === null) {
      this.q_proj = this.child('q_proj', new Linear(d, this.heads * qHead, init));
    } else {
      this.q_a_proj = this.child('q_a_proj', new Linear(d, cfg.q_lora_rank, biased));
      this.q_a_layernorm = this.child('q_a_layernorm', new RMSNorm(cfg.q_lora_rank, cfg.rms_norm_eps));
      this.q_b_proj = this.child('q_b_proj', new Linear(cfg.q_lora_rank, this.heads * qHead, init));
    }
    this.kv_a_proj_with_mqa = this.child('kv_a_proj_with_mqa', new Linear(d, this.rank + this.ropeDim, biased));
    this.kv_a_layernorm = this.child('kv_a_layernorm', new RMSNorm(this.rank, cfg.rms_norm_eps));
    this.kv_b_proj = this.child('kv_b_proj', new Linear(this.rank, this.heads * (this.nope + this.vDim), init));
    this.o_proj = this.child('o_proj', new Linear(this.heads * this.vDim, d, biased));
    // The softmax scale covers the whole query head (nope + rope) and YaRN's mscale², on both paths.
    this.scale = attentionScale(qHead, cfg.rope_scaling);
  }

  /** What a cache stores per token for this layer on each path. */
  cacheShape(path: MlaPath): LayerCacheShape {
    if (path === 'absorbed') return { heads: 1, keyDim: this.rank + this.ropeDim, valueDim: 'shared', sharedValueDim: this.rank };
    return { heads: this.heads, keyDim: this.nope + this.ropeDim, valueDim: this.vDim };
  }

  /** x [B, T, d] → [B, T, d]. */
  forward(x: Tensor, ctx: LayerContext, path: MlaPath): Tensor {
    const { qNope, qPe } = this.queries(x, ctx);
    const kvA = this.kv_a_proj_with_mqa.forward(x); // [B, T, rank + rope]
    const [latentRaw, kPeRaw] = T.split(kvA, [this.rank, this.ropeDim], 2);
    const latent = this.kv_a_layernorm.forward(latentRaw!); // [B, T, rank]
    const kPe = ctx.rotary.apply(T.reshape(kPeRaw!, [ctx.batch, ctx.steps, 1, this.ropeDim]), ctx.positions); // [B, T, 1, rope]
    const heads = path === 'absorbed' ? this.absorbed(qNope, qPe, latent, kPe, ctx) : this.expanded(qNope, qPe, latent, kPe, ctx);
    // heads: [B, T, H, v] → [B, T, H·v] → o_proj
    return this.o_proj.forward(T.reshape(heads, [ctx.batch, ctx.steps, this.heads * this.vDim]));
  }

  /** q_nope [B, T, H, nope] and the rotated q_pe [B, T, H, rope]. */
  private queries(x: Tensor, ctx: LayerContext): { qNope: Tensor; qPe: Tensor } {
    const q = this.q_proj
      ? this.q_proj.forward(x)
      : this.q_b_proj!.forward(this.q_a_layernorm!.forward(this.q_a_proj!.forward(x)));
    const [qNope, qPe] = T.split(T.reshape(q, [ctx.batch, ctx.steps, this.heads, this.nope + this.ropeDim]), [this.nope, this.ropeDim], 3);
    return { qNope: qNope!, qPe: ctx.rotary.apply(qPe!, ctx.positions) };
  }

  private expanded(qNope: Tensor, qPe: Tensor, latent: Tensor, kPe: Tensor, ctx: LayerContext): Tensor {
    const { batch: B, steps: S } = ctx;
    const kv = T.reshape(this.kv_b_proj.forward(latent), [B, S, this.heads, this.nope + this.vDim]);
    const [kNope, v] = T.split(kv, [this.nope, this.vDim], 3);
    const k = T.cat([kNope!, T.expand(kPe, [B, S, this.heads, this.ropeDim])], 3);
    const q = T.cat([qNope, qPe], 3);
    // [B, T, H, D] → [B, H, T, D] for attention.
    const kH = T.permute(k, [0, 2, 1, 3]);
    const vH = T.permute(v!, [0, 2, 1, 3]);
    const { keys, values } = ctx.cache ? ctx.cache.write(ctx.layerIndex, kH, vH, ctx.slots) : { keys: kH, values: vH };
    const o = T.attention(T.permute(q, [0, 2, 1, 3]), keys, values, { causal: !ctx.mask, mask: ctx.mask, scale: this.scale });
    return T.permute(o, [0, 2, 1, 3]);
  }

  private absorbed(qNope: Tensor, qPe: Tensor, latent: Tensor, kPe: Tensor, ctx: LayerContext): Tensor {
    const { batch: B, steps: S } = ctx;
    const H = this.heads;
    // kv_b rows per head: nope rows of W_UK then v rows of W_UV, each [rows, rank].
    const w = T.reshape(this.kv_b_proj.weight, [H, this.nope + this.vDim, this.rank]);
    const wUK = T.slice(w, 1, 0, this.nope); // [H, nope, rank]
    const wUV = T.slice(w, 1, this.nope, this.nope + this.vDim); // [H, v, rank]
    // Per head, q̃ = q_nope · W_UK: batch and time fold into one GEMM row block per head.
    const qHeadsFirst = T.reshape(T.permute(qNope, [2, 0, 1, 3]), [H, B * S, this.nope]);
    const qLatent = T.reshape(T.matmul(qHeadsFirst, wUK), [H, B, S, this.rank]);
    const q = T.cat([T.permute(qLatent, [1, 0, 2, 3]), T.permute(qPe, [0, 2, 1, 3])], 3); // [B, H, T, rank + rope]
    // One shared "head" per token: [latent ; k_pe], whose first rank dims are also the values.
    const entry = T.reshape(T.cat([latent, T.reshape(kPe, [B, S, this.ropeDim])], 2), [B, 1, S, this.rank + this.ropeDim]);
    const { keys, values } = ctx.cache ? ctx.cache.write(ctx.layerIndex, entry, null, ctx.slots) : { keys: entry, values: T.slice(entry, 3, 0, this.rank) };
    const oLatent = T.attention(q, keys, values, { causal: !ctx.mask, mask: ctx.mask, scale: this.scale }); // [B, H, T, rank]
    // Per head, o = W_UV · o_latent.
    const oHeadsFirst = T.reshape(T.permute(oLatent, [1, 0, 2, 3]), [H, B * S, this.rank]);
    const o = T.reshape(T.matmul(oHeadsFirst, T.transpose(wUV, 1, 2)), [H, B, S, this.vDim]);
    return T.permute(o, [1, 2, 0, 3]); // [B, T, H, v]
  }
}
