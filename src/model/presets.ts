// Named configs: the real 671B DeepSeek-V3 / R1 (HF config.json, reference sheet §4.1), the six R1
// distills (sheet §7) and tiny configs of the same architectures sized for a laptop CPU.
// Every preset goes through parseConfig, so a preset is exactly what its config.json would load as.

import type { DeepseekV3Config, LlamaConfig, ModelConfig, Qwen2Config } from './config.js';
import { ConfigError, parseConfig } from './config.js';

/** The 671B config, identical for V3 and R1 (R1 is trained from V3-Base). [VERIFIED] in the sheet. */
const deepseek671B = {
  architectures: ['DeepseekV3ForCausalLM'],
  model_type: 'deepseek_v3',
  vocab_size: 129280,
  hidden_size: 7168,
  intermediate_size: 18432,
  num_hidden_layers: 61,
  num_attention_heads: 128,
  num_key_value_heads: 128,
  hidden_act: 'silu',
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
  max_position_embeddings: 163840,
  bos_token_id: 0,
  eos_token_id: 1,
  rope_theta: 10000,
  rope_scaling: {
    rope_type: 'yarn', factor: 40, original_max_position_embeddings: 4096,
    beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0,
  },
  attention_bias: false,
  // # moe
  moe_intermediate_size: 2048,
  n_routed_experts: 256,
  n_shared_experts: 1,
  num_experts_per_tok: 8,
  n_group: 8,
  topk_group: 4,
  routed_scaling_factor: 2.5,
  scoring_func: 'sigmoid',
  topk_method: 'noaux_tc',
  norm_topk_prob: true,
  aux_loss_alpha: 0.0001,
  first_k_dense_replace: 3,
  moe_layer_freq: 1,
  // # mla
  q_lora_rank: 1536,
  kv_lora_rank: 512,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  v_head_dim: 128,
  // # mtp
  num_nextn_predict_layers: 1,
} satisfies DeepseekV3Config;

/** The sizes each dense preset must give; the helpers below fill in the rest. */
type DenseSizes = Pick<Qwen2Config, 'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads' | 'num_key_value_heads'>;

/** The Qwen distills' shared fields (Qwen2.5 shapes; config.json lists bos = eos = 151643). */
function qwen(over: DenseSizes & Partial<Qwen2Config>): Qwen2Config {
  return {
    architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_act: 'silu', tie_word_embeddings: false,
    max_position_embeddings: 131072, bos_token_id: 151643, eos_token_id: 151643, rope_scaling: null,
    vocab_size: 152064, rms_norm_eps: 1e-6, rope_theta: 10000, ...over,
  };
}

/** The Llama distills: Llama-3.1/3.3 shapes with llama3 RoPE scaling (factor 8 from 8192). */
function llama(over: DenseSizes & Partial<LlamaConfig>): LlamaConfig {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_act: 'silu', tie_word_embeddings: false,
    attention_bias: false, max_position_embeddings: 131072, bos_token_id: 128000, eos_token_id: 128001,
    vocab_size: 128256, rms_norm_eps: 1e-5, rope_theta: 500000,
    rope_scaling: {
      rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192,
    },
    ...over,
  };
}

/**
 * Vocabulary of every tiny preset: one shared size so that a tiny-moe / small-moe teacher can be
 * distilled into the tiny dense students token for token (a small BPE trained for this machine).
 */
export const TINY_VOCAB_SIZE = 1024;

/** tiny-moe and small-moe share these routing and YaRN-free settings; sizes differ. */
const tinyDeepseekBase = {
  ...deepseek671B,
  vocab_size: TINY_VOCAB_SIZE,
  max_position_embeddings: 2048,
  bos_token_id: 0,
  eos_token_id: 1,
  // Short contexts need no YaRN extension.
  rope_scaling: null,
  num_nextn_predict_layers: 0,
} satisfies DeepseekV3Config;

const presets = {
  'deepseek-v3': deepseek671B,
  'deepseek-r1': deepseek671B,
  // Sheet §7: 1.5B values read from its config.json; the others are the standard base shapes.
  'deepseek-r1-distill-qwen-1.5b': qwen({
    vocab_size: 151936, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28,
    num_attention_heads: 12, num_key_value_heads: 2,
  }),
  'deepseek-r1-distill-qwen-7b': qwen({
    hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4,
  }),
  // 14B/32B rms_norm_eps 1e-5 and rope_theta 1e6 follow Qwen2.5-14B/32B ([UNCERTAIN] eps in the sheet).
  'deepseek-r1-distill-qwen-14b': qwen({
    hidden_size: 5120, intermediate_size: 13824, num_hidden_layers: 48, num_attention_heads: 40, num_key_value_heads: 8,
    rms_norm_eps: 1e-5, rope_theta: 1_000_000,
  }),
  'deepseek-r1-distill-qwen-32b': qwen({
    hidden_size: 5120, intermediate_size: 27648, num_hidden_layers: 64, num_attention_heads: 40, num_key_value_heads: 8,
    rms_norm_eps: 1e-5, rope_theta: 1_000_000,
  }),
  'deepseek-r1-distill-llama-8b': llama({
    hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8,
  }),
  'deepseek-r1-distill-llama-70b': llama({
    hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8,
  }),
  // ≈1.9M parameters: every V3 feature at toy size — compressed queries (q_lora), 16 experts in 4
  // groups with 2 kept, sigmoid + bias routing, one shared expert, one dense first layer.
  'tiny-moe': {
    ...tinyDeepseekBase,
    hidden_size: 128, intermediate_size: 384, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4,
    moe_intermediate_size: 64, n_routed_experts: 16, n_shared_experts: 1, num_experts_per_tok: 4,
    n_group: 4, topk_group: 2, first_k_dense_replace: 1,
    q_lora_rank: 64, kv_lora_rank: 32, qk_nope_head_dim: 32, qk_rope_head_dim: 16, v_head_dim: 32,
  },
  // ≈27M parameters: the same design, wide enough to learn small reasoning tasks.
  'small-moe': {
    ...tinyDeepseekBase,
    hidden_size: 256, intermediate_size: 1024, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 8,
    moe_intermediate_size: 128, n_routed_experts: 32, n_shared_experts: 1, num_experts_per_tok: 4,
    n_group: 4, topk_group: 2, first_k_dense_replace: 1,
    q_lora_rank: 128, kv_lora_rank: 64, qk_nope_head_dim: 32, qk_rope_head_dim: 16, v_head_dim: 32,
  },
  // The dense student of small-moe: ≈6M parameters, about 4× fewer than small-moe and about as many as
  // small-moe activates per token (as R1's 32B Qwen student stands to V3's 671B total, 37B active).
  'small-qwen2': qwen({
    vocab_size: TINY_VOCAB_SIZE, hidden_size: 256, intermediate_size: 768, num_hidden_layers: 8,
    num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 2048, bos_token_id: 0, eos_token_id: 1,
  }),
  // Dense students ≈0.44M parameters, about 4× smaller than tiny-moe (embedding included).
  'tiny-qwen2': qwen({
    vocab_size: TINY_VOCAB_SIZE, hidden_size: 64, intermediate_size: 256, num_hidden_layers: 5,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 2048, bos_token_id: 0, eos_token_id: 1,
  }),
  'tiny-llama': llama({
    vocab_size: TINY_VOCAB_SIZE, hidden_size: 64, intermediate_size: 256, num_hidden_layers: 5,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 2048, bos_token_id: 0, eos_token_id: 1,
    rope_theta: 10000, rope_scaling: null,
  }),
} satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof presets;
export const PRESET_NAMES = Object.freeze(Object.keys(presets) as PresetName[]);

/** The config of a named preset, validated and frozen; a ConfigError lists the known names otherwise. */
export function getPreset(name: string): ModelConfig {
  if (!Object.hasOwn(presets, name)) {
    throw new ConfigError('', `unknown model preset ${JSON.stringify(name)}; known presets: ${PRESET_NAMES.join(', ')}`);
  }
  return parseConfig(presets[name as PresetName], `preset ${name}`);
}
