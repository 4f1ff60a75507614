// Model configs under their Hugging Face config.json names, so a real DeepSeek-V3/R1, Qwen2 or Llama
// config file loads as is. Three architectures (DeepSeek-V3 paper §2; Qwen2 / Llama-3 for the R1
// distills), one discriminated union on `model_type`, one parser that validates at the boundary.
// Fields are grouped as in DeepSeek's ModelArgs: # base, # moe, # mla, # yarn / rope.
// Unknown extra fields (quantization_config, torch_dtype, auto_map, …) are ignored, not kept.

import { ConfigError, FieldReader, isObject } from './validate.js';

import type { Llama3Scaling, RopeScalingSpec, YarnScaling } from '../nn/index.js';

export { ConfigError } from './validate.js';

// The rope_scaling shapes are the ones nn's rotary tables consume (src/nn/rope.ts), so a parsed config
// flows into them unchanged: YaRN for DeepSeek-V3 (factor 40 from 4096), Llama-3.1 for R1-Distill-Llama.
export type YarnRopeScaling = YarnScaling;
export type Llama3RopeScaling = Llama3Scaling;
export type RopeScaling = RopeScalingSpec;

/** Fields every architecture has. */
type BaseFields = {
  // # base
  architectures: readonly [string];
  vocab_size: number;
  hidden_size: number;
  /** Dense FFN width (DeepSeek: the first_k_dense_replace layers only). */
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** GQA groups; nominal for MLA (DeepSeek-V3 lists 128, MLA caches no per-head K/V). */
  num_key_value_heads: number;
  hidden_act: 'silu';
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
  bos_token_id?: number | readonly number[];
  eos_token_id?: number | readonly number[];
  // # rope
  rope_theta: number;
  rope_scaling: RopeScaling | null;
};

export type DeepseekV3Config = Readonly<
  BaseFields & {
    model_type: 'deepseek_v3';
    attention_bias: boolean;
    // # moe
    moe_intermediate_size: number;
    n_routed_experts: number;
    n_shared_experts: number;
    num_experts_per_tok: number;
    n_group: number;
    topk_group: number;
    routed_scaling_factor: number;
    scoring_func: 'sigmoid' | 'softmax';
    topk_method: 'noaux_tc' | 'greedy' | 'group_limited_greedy';
    norm_topk_prob: boolean;
    /** Weight α of the complementary sequence-wise balance loss (training only). */
    aux_loss_alpha: number;
    first_k_dense_replace: number;
    moe_layer_freq: number;
    // # mla
    /** null: queries use a plain q_proj (V2-Lite); V3/R1 compress queries to 1536. */
    q_lora_rank: number | null;
    kv_lora_rank: number;
    qk_nope_head_dim: number;
    qk_rope_head_dim: number;
    v_head_dim: number;
    // # mtp
    num_nextn_predict_layers: number;
  }
>;

/** Qwen2: q/k/v projections always carry a bias, o_proj never (no config field for it). */
export type Qwen2Config = Readonly<BaseFields & { model_type: 'qwen2'; head_dim?: number }>;

/** Llama: attention_bias switches biases on q/k/v/o together (false for every Llama-3). */
export type LlamaConfig = Readonly<BaseFields & { model_type: 'llama'; attention_bias: boolean; head_dim?: number }>;

export type ModelConfig = DeepseekV3Config | Qwen2Config | LlamaConfig;
export type ModelType = ModelConfig['model_type'];

/** HF class name (architectures[0]) for each model_type. */
export const ARCHITECTURES = {
  deepseek_v3: 'DeepseekV3ForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  llama: 'LlamaForCausalLM',
} as const satisfies Record<ModelType, string>;

/**
 * Defaults, in one place, for fields a real config.json may omit. Sizes are never defaulted: a config
 * without hidden_size is broken, not a 671B model. num_key_value_heads defaults to num_attention_heads
 * (plain MHA, as HF does); head_dim to hidden_size / num_attention_heads.
 */
export const DEFAULTS = {
  hidden_act: 'silu',
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: false,
  attention_bias: false,
  deepseek_v3: {
    n_group: 1,
    topk_group: 1,
    routed_scaling_factor: 1,
    scoring_func: 'sigmoid',
    topk_method: 'noaux_tc',
    norm_topk_prob: true,
    // V3 paper §4.2: "an extremely small" α = 0.0001 (HF's class default 0.001 was V2's).
    aux_loss_alpha: 0.0001,
    first_k_dense_replace: 0,
    moe_layer_freq: 1,
    // Absent means the checkpoint holds no MTP layer to load.
    num_nextn_predict_layers: 0,
  },
  yarn: { beta_fast: 32, beta_slow: 1, mscale: 1, mscale_all_dim: 0 },
} as const;

/** Per-head width of the dense models' attention. */
export function headDim(cfg: Qwen2Config | LlamaConfig): number {
  return cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
}

/** Whether decoder layer `i` uses MoE instead of the dense FFN (HF DeepseekV3DecoderLayer's rule). */
export function isMoeLayer(cfg: DeepseekV3Config, i: number): boolean {
  return cfg.n_routed_experts > 0 && i >= cfg.first_k_dense_replace && i % cfg.moe_layer_freq === 0;
}

/**
 * Validates a parsed config.json and returns a frozen typed config. The architecture comes from
 * `architectures[0]`, else `model_type`. Throws ConfigError naming the field on the first problem.
 */
export function parseConfig(json: unknown, source = 'config.json'): ModelConfig {
  if (!isObject(json)) {
    const got = Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json;
    throw new ConfigError('', `${source}: must be a JSON object, got ${got}`);
  }
  const r = new FieldReader(json, source);
  const modelType = resolveModelType(r);
  const cfg = modelType === 'deepseek_v3' ? readDeepseek(r) : modelType === 'qwen2' ? readQwen2(r) : readLlama(r);
  checkShapes(r, cfg);
  return deepFreeze(cfg);
}

function resolveModelType(r: FieldReader): ModelType {
  const known = Object.keys(ARCHITECTURES) as ModelType[];
  const arch = r.obj.architectures;
  if (arch != null) {
    const names = Object.values(ARCHITECTURES) as string[];
    if (!Array.isArray(arch) || typeof arch[0] !== 'string' || !names.includes(arch[0])) {
      r.fail('architectures', `must start with one of ${names.map((n) => JSON.stringify(n)).join(', ')}, got ${JSON.stringify(arch)}`);
    }
    return known.find((t) => ARCHITECTURES[t] === arch[0]) as ModelType;
  }
  return r.oneOf('model_type', known);
}

function readBase<T extends ModelType>(r: FieldReader, model_type: T) {
  const heads = r.int('num_attention_heads');
  return {
    architectures: [ARCHITECTURES[model_type]] as const,
    model_type,
    vocab_size: r.int('vocab_size'),
    hidden_size: r.int('hidden_size'),
    intermediate_size: r.int('intermediate_size'),
    num_hidden_layers: r.int('num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: r.int('num_key_value_heads', { default: heads }),
    hidden_act: r.oneOf('hidden_act', ['silu'], DEFAULTS.hidden_act),
    rms_norm_eps: r.positive('rms_norm_eps', DEFAULTS.rms_norm_eps),
    tie_word_embeddings: r.bool('tie_word_embeddings', DEFAULTS.tie_word_embeddings),
    // HF pads the position table for no architecture here, so any positive limit is usable.
    max_position_embeddings: r.int('max_position_embeddings'),
    ...optional('bos_token_id', r.tokenIds('bos_token_id')),
    ...optional('eos_token_id', r.tokenIds('eos_token_id')),
    rope_theta: r.positive('rope_theta', DEFAULTS.rope_theta),
    rope_scaling: readRopeScaling(r),
  };
}

/** Spreads `{key: value}` only when value is defined, so absent fields stay absent after a round trip. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function readRopeScaling(r: FieldReader): RopeScaling | null {
  const s = r.objectOrNull('rope_scaling');
  if (s === null) return null;
  // transformers writes `rope_type`; DeepSeek's own config.json still says `type`.
  const kind = s.obj.rope_type != null ? s.oneOf('rope_type', ['yarn', 'llama3']) : s.oneOf('type', ['yarn', 'llama3']);
  if (kind === 'yarn') {
    const y = DEFAULTS.yarn;
    return {
      rope_type: 'yarn',
      factor: s.positive('factor'),
      original_max_position_embeddings: s.int('original_max_position_embeddings'),
      beta_fast: s.positive('beta_fast', y.beta_fast),
      beta_slow: s.positive('beta_slow', y.beta_slow),
      mscale: s.nonNegative('mscale', y.mscale),
      mscale_all_dim: s.nonNegative('mscale_all_dim', y.mscale_all_dim),
    };
  }
  return {
    rope_type: 'llama3',
    factor: s.positive('factor'),
    low_freq_factor: s.positive('low_freq_factor'),
    high_freq_factor: s.positive('high_freq_factor'),
    original_max_position_embeddings: s.int('original_max_position_embeddings'),
  };
}

function readDeepseek(r: FieldReader): DeepseekV3Config {
  const d = DEFAULTS.deepseek_v3;
  return {
    ...readBase(r, 'deepseek_v3'),
    attention_bias: r.bool('attention_bias', DEFAULTS.attention_bias),
    // # moe
    moe_intermediate_size: r.int('moe_intermediate_size'),
    n_routed_experts: r.int('n_routed_experts'),
    n_shared_experts: r.int('n_shared_experts', { min: 0 }),
    num_experts_per_tok: r.int('num_experts_per_tok'),
    n_group: r.int('n_group', { default: d.n_group }),
    topk_group: r.int('topk_group', { default: d.topk_group }),
    routed_scaling_factor: r.positive('routed_scaling_factor', d.routed_scaling_factor),
    scoring_func: r.oneOf('scoring_func', ['sigmoid', 'softmax'], d.scoring_func),
    topk_method: r.oneOf('topk_method', ['noaux_tc', 'greedy', 'group_limited_greedy'], d.topk_method),
    norm_topk_prob: r.bool('norm_topk_prob', d.norm_topk_prob),
    aux_loss_alpha: r.nonNegative('aux_loss_alpha', d.aux_loss_alpha),
    first_k_dense_replace: r.int('first_k_dense_replace', { min: 0, default: d.first_k_dense_replace }),
    moe_layer_freq: r.int('moe_layer_freq', { default: d.moe_layer_freq }),
    // # mla
    q_lora_rank: r.intOrNull('q_lora_rank'),
    kv_lora_rank: r.int('kv_lora_rank'),
    qk_nope_head_dim: r.int('qk_nope_head_dim'),
    qk_rope_head_dim: r.int('qk_rope_head_dim'),
    v_head_dim: r.int('v_head_dim'),
    // # mtp
    num_nextn_predict_layers: r.int('num_nextn_predict_layers', { min: 0, default: d.num_nextn_predict_layers }),
  };
}

function readQwen2(r: FieldReader): Qwen2Config {
  return { ...readBase(r, 'qwen2'), ...optional('head_dim', r.obj.head_dim == null ? undefined : r.int('head_dim')) };
}

function readLlama(r: FieldReader): LlamaConfig {
  return {
    ...readBase(r, 'llama'),
    attention_bias: r.bool('attention_bias', DEFAULTS.attention_bias),
    ...optional('head_dim', r.obj.head_dim == null ? undefined : r.int('head_dim')),
  };
}

/** Relations between fields that no single-field check sees. */
function checkShapes(r: FieldReader, c: ModelConfig): void {
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    r.fail('num_key_value_heads', `must divide num_attention_heads (${c.num_attention_heads}), got ${c.num_key_value_heads}`);
  }
  if (c.model_type !== 'deepseek_v3') {
    if (c.head_dim === undefined && c.hidden_size % c.num_attention_heads !== 0) {
      r.fail('num_attention_heads', `must divide hidden_size (${c.hidden_size}) when head_dim is not given, got ${c.num_attention_heads}`);
    }
    return;
  }
  if (c.num_experts_per_tok > c.n_routed_experts) {
    r.fail('num_experts_per_tok', `must be at most n_routed_experts (${c.n_routed_experts}), got ${c.num_experts_per_tok}`);
  }
  if (c.n_routed_experts % c.n_group !== 0) {
    r.fail('n_group', `must divide n_routed_experts (${c.n_routed_experts}) into equal groups, got ${c.n_group}`);
  }
  if (c.topk_group > c.n_group) r.fail('topk_group', `must be at most n_group (${c.n_group}), got ${c.topk_group}`);
  // Group-limited routing must leave at least k experts to choose from.
  if (c.topk_group * (c.n_routed_experts / c.n_group) < c.num_experts_per_tok) {
    r.fail('topk_group', `must keep at least num_experts_per_tok (${c.num_experts_per_tok}) experts in the chosen groups, got ${c.topk_group}`);
  }
  if (c.first_k_dense_replace > c.num_hidden_layers) {
    r.fail('first_k_dense_replace', `must be at most num_hidden_layers (${c.num_hidden_layers}), got ${c.first_k_dense_replace}`);
  }
  if (c.qk_rope_head_dim % 2 !== 0) r.fail('qk_rope_head_dim', `must be even (RoPE rotates pairs), got ${c.qk_rope_head_dim}`);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
