// Parameter counts and KV-cache size computed from a config's shapes (never from a table), per
// component, for DeepSeek-V3 (MLA + DeepSeekMoE + MTP, paper §2) and the dense Qwen2 / Llama models.
// Conventions follow the reference sheet §4.2: attention includes MLA's two latent norms; "norms" are
// the per-layer input/post-attention norms plus the final norm; the router bias counts under the gate.

import type { DeepseekV3Config, LlamaConfig, ModelConfig, Qwen2Config } from './config.js';
import { headDim, isMoeLayer } from './config.js';

export type ParamCounts = Readonly<{
  embedding: number;
  /** All attention projections (and biases), plus q_a/kv_a latent norms for MLA. */
  attention: number;
  /** input_layernorm + post_attention_layernorm per layer, and the final model.norm. */
  norms: number;
  /** SwiGLU FFNs of the dense layers. */
  denseMlp: number;
  /** Every routed expert of every MoE layer. */
  moeRouted: number;
  moeShared: number;
  /** Router weight and its e_score_correction_bias. */
  moeGate: number;
  /** 0 when tie_word_embeddings: the head reuses the embedding. */
  lmHead: number;
  /** Main model: the sum of the fields above. */
  total: number;
  /** Per token: total less the routed experts a token does not visit (embedding and head count). */
  activated: number;
  /** MTP modules (num_nextn_predict_layers), unique tensors only: their embedding and head copies are not counted. */
  mtp: number;
  mtpActivated: number;
}>;

/** Weights of one SwiGLU FFN (gate, up, down; no biases). */
function swiglu(hidden: number, inter: number): number {
  return 3 * hidden * inter;
}

/** One MLA block: q_a(+norm)+q_b or plain q_proj, kv_a(+norm), kv_b, o. */
function mlaParams(c: DeepseekV3Config): number {
  const d = c.hidden_size;
  const h = c.num_attention_heads;
  const qkHead = c.qk_nope_head_dim + c.qk_rope_head_dim;
  const q = c.q_lora_rank === null ? d * h * qkHead : d * c.q_lora_rank + c.q_lora_rank + c.q_lora_rank * h * qkHead;
  const kvA = d * (c.kv_lora_rank + c.qk_rope_head_dim) + c.kv_lora_rank;
  const kvB = c.kv_lora_rank * h * (c.qk_nope_head_dim + c.v_head_dim);
  const o = h * c.v_head_dim * d;
  // attention_bias puts a bias on q_a (never on a plain q_proj), kv_a and o (HF DeepseekV3Attention).
  const bias = c.attention_bias ? (c.q_lora_rank ?? 0) + c.kv_lora_rank + c.qk_rope_head_dim + d : 0;
  return q + kvA + kvB + o + bias;
}

/** One MoE layer split into its parts; `activeRouted` is what one token runs through. */
function moeParts(c: DeepseekV3Config) {
  const expert = swiglu(c.hidden_size, c.moe_intermediate_size);
  return {
    routed: c.n_routed_experts * expert,
    activeRouted: c.num_experts_per_tok * expert,
    // HF builds one shared MLP of width moe_intermediate_size × n_shared_experts: same count.
    shared: c.n_shared_experts * expert,
    // sigmoid (noaux_tc) routing carries a per-expert selection bias; softmax routing has none.
    gate: c.n_routed_experts * c.hidden_size + (c.topk_method === 'noaux_tc' ? c.n_routed_experts : 0),
  };
}

function deepseekCounts(c: DeepseekV3Config): ParamCounts {
  const d = c.hidden_size;
  const moe = moeParts(c);
  let denseMlp = 0;
  let moeRouted = 0;
  let moeActiveRouted = 0;
  let moeShared = 0;
  let moeGate = 0;
  for (let i = 0; i < c.num_hidden_layers; i++) {
    if (!isMoeLayer(c, i)) {
      denseMlp += swiglu(d, c.intermediate_size);
      continue;
    }
    moeRouted += moe.routed;
    moeActiveRouted += moe.activeRouted;
    moeShared += moe.shared;
    moeGate += moe.gate;
  }
  const embedding = c.vocab_size * d;
  const counts = {
    embedding,
    attention: c.num_hidden_layers * mlaParams(c),
    norms: (2 * c.num_hidden_layers + 1) * d,
    denseMlp,
    moeRouted,
    moeShared,
    moeGate,
    lmHead: c.tie_word_embeddings ? 0 : embedding,
  };
  const total = sum(counts);
  // Each MTP module k is decoder layer num_hidden_layers + k, plus eh_proj [d, 2d] and three norms
  // (enorm, hnorm, shared_head.norm); it shares the main embedding and head (sheet §4.3).
  let mtp = 0;
  let mtpActivated = 0;
  for (let k = 0; k < c.num_nextn_predict_layers; k++) {
    const own = mlaParams(c) + 2 * d + 2 * d * d + 3 * d;
    const moeLayer = isMoeLayer(c, c.num_hidden_layers + k);
    const ffn = moeLayer ? moe.routed + moe.shared + moe.gate : swiglu(d, c.intermediate_size);
    mtp += own + ffn;
    mtpActivated += own + (moeLayer ? moe.activeRouted + moe.shared + moe.gate : ffn);
  }
  return { ...counts, total, activated: total - moeRouted + moeActiveRouted, mtp, mtpActivated };
}

function denseCounts(c: Qwen2Config | LlamaConfig): ParamCounts {
  const d = c.hidden_size;
  const hd = headDim(c);
  const qOut = c.num_attention_heads * hd;
  const kvOut = c.num_key_value_heads * hd;
  const weights = d * qOut + 2 * d * kvOut + qOut * d;
  // Qwen2 always has q/k/v biases; Llama's attention_bias adds them to q/k/v and o.
  const bias = c.model_type === 'qwen2' ? qOut + 2 * kvOut : c.attention_bias ? qOut + 2 * kvOut + d : 0;
  const embedding = c.vocab_size * d;
  const counts = {
    embedding,
    attention: c.num_hidden_layers * (weights + bias),
    norms: (2 * c.num_hidden_layers + 1) * d,
    denseMlp: c.num_hidden_layers * swiglu(d, c.intermediate_size),
    moeRouted: 0,
    moeShared: 0,
    moeGate: 0,
    lmHead: c.tie_word_embeddings ? 0 : embedding,
  };
  const total = sum(counts);
  return { ...counts, total, activated: total, mtp: 0, mtpActivated: 0 };
}

function sum(parts: Readonly<Record<string, number>>): number {
  return Object.values(parts).reduce((a, b) => a + b, 0);
}

/** Parameter counts of a config, per component, total and activated per token. */
export function countParams(cfg: ModelConfig): ParamCounts {
  return Object.freeze(cfg.model_type === 'deepseek_v3' ? deepseekCounts(cfg) : denseCounts(cfg));
}

/**
 * Cached K/V elements per token, summed over layers. MLA's `latent` cache holds the normalised c_kv and
 * the rotated shared k_pe (kv_lora_rank + qk_rope_head_dim per layer, sheet §1.4); `naive` is the
 * equivalent MHA cache of decompressed per-head keys (nope + rope) and values. GQA models cache
 * 2 · kv_heads · head_dim per layer whatever the mode.
 */
export function kvCacheElementsPerToken(cfg: ModelConfig, mode: 'latent' | 'naive' = 'latent'): number {
  if (cfg.model_type !== 'deepseek_v3') return cfg.num_hidden_layers * 2 * cfg.num_key_value_heads * headDim(cfg);
  const perLayer = mode === 'latent'
    ? cfg.kv_lora_rank + cfg.qk_rope_head_dim
    : cfg.num_attention_heads * (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim + cfg.v_head_dim);
  return cfg.num_hidden_layers * perLayer;
}
