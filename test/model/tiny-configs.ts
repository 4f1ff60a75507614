// Small configs that switch on every feature the model code has, shared by the model tests and the
// PyTorch oracle tests: V3 (q_lora, YaRN, grouped sigmoid routing with bias, shared expert, dense
// first layer), a V2-Lite-like variant (plain q_proj, softmax group-limited routing, two shared
// experts, no normalisation), Qwen2 (q/k/v bias, tied embeddings) and Llama (llama3 rope scaling).

import type { ModelConfig } from '../../src/model/index.js';
import { getPreset, parseConfig } from '../../src/model/index.js';

const v3Base = getPreset('tiny-moe');

export const tinyV3: ModelConfig = parseConfig({
  ...v3Base,
  vocab_size: 97, hidden_size: 48, intermediate_size: 64, num_hidden_layers: 3, first_k_dense_replace: 1,
  num_attention_heads: 3, num_key_value_heads: 3, q_lora_rank: 24, kv_lora_rank: 16,
  qk_nope_head_dim: 8, qk_rope_head_dim: 8, v_head_dim: 12,
  n_routed_experts: 8, num_experts_per_tok: 3, n_group: 4, topk_group: 2, n_shared_experts: 1, moe_intermediate_size: 16,
  routed_scaling_factor: 2.5, aux_loss_alpha: 0.01, max_position_embeddings: 128,
  rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32, beta_fast: 32, beta_slow: 1, mscale: 1, mscale_all_dim: 1 },
});

export const tinyV2Lite: ModelConfig = parseConfig({
  ...v3Base,
  vocab_size: 61, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, first_k_dense_replace: 1,
  num_attention_heads: 2, num_key_value_heads: 2, q_lora_rank: null, kv_lora_rank: 12,
  qk_nope_head_dim: 8, qk_rope_head_dim: 4, v_head_dim: 8,
  n_routed_experts: 12, num_experts_per_tok: 2, n_group: 4, topk_group: 1, n_shared_experts: 2, moe_intermediate_size: 8,
  scoring_func: 'softmax', topk_method: 'group_limited_greedy', norm_topk_prob: false, routed_scaling_factor: 1.5,
  aux_loss_alpha: 0.01, max_position_embeddings: 128, rope_scaling: null,
});

export const tinyQwen2: ModelConfig = parseConfig({
  ...getPreset('tiny-qwen2'),
  vocab_size: 89, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  tie_word_embeddings: true, rope_theta: 1000,
});

export const tinyLlama: ModelConfig = parseConfig({
  ...getPreset('tiny-llama'),
  vocab_size: 71, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1,
  rope_theta: 500000,
  rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
});

export const TINY_MODELS = { tinyV3, tinyV2Lite, tinyQwen2, tinyLlama } as const;

/** Deterministic token ids in [0, vocab) for `count` positions. */
export function tokens(count: number, vocab: number, seed: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => (i * 7919 + seed * 104729 + ((i * i) % 13)) % vocab);
}
