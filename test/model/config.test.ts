// parseConfig: every preset survives a JSON round trip, real config.json spellings load, and bad
// configs fail with a ConfigError that names the field, what was wrong and what was expected.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeepseekV3Config, ModelConfig } from '../../src/model/index.js';
import { ConfigError, DEFAULTS, getPreset, isMoeLayer, parseConfig, PRESET_NAMES } from '../../src/model/index.js';

/** The 671B preset as a mutable JSON object, to break one field at a time. */
function v3Json(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(getPreset('deepseek-v3'))) as Record<string, unknown>;
}

/** parseConfig(json) must throw a ConfigError for `field` with exactly `message`. */
function rejects(json: unknown, field: string, message: string): void {
  assert.throws(() => parseConfig(json), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.equal(e.message, message);
    return true;
  });
}

test('every preset round-trips through JSON unchanged', () => {
  assert.equal(PRESET_NAMES.length, 13);
  for (const name of PRESET_NAMES) {
    const cfg = getPreset(name);
    const again = parseConfig(JSON.parse(JSON.stringify(cfg)));
    assert.deepEqual(again, cfg, name);
    assert.ok(Object.isFrozen(again) && Object.isFrozen(again.architectures), `${name} is frozen`);
  }
});

test('the DeepSeek config.json as published loads: `type: "yarn"`, other extra fields ignored', () => {
  const json = v3Json();
  json.rope_scaling = {
    beta_fast: 32, beta_slow: 1, factor: 40, mscale: 1.0, mscale_all_dim: 1.0,
    original_max_position_embeddings: 4096, type: 'yarn',
  };
  Object.assign(json, {
    quantization_config: { activation_scheme: 'dynamic', fmt: 'e4m3', quant_method: 'fp8', weight_block_size: [128, 128] },
    torch_dtype: 'bfloat16', ep_size: 1, aux_loss_alpha: 0.001, seq_aux: true, use_cache: true,
  });
  const cfg = parseConfig(json) as DeepseekV3Config;
  // aux_loss_alpha is read when a file states it (HF's class default 0.001); the preset keeps V3's 0.0001.
  assert.deepEqual(cfg, { ...getPreset('deepseek-r1'), aux_loss_alpha: 0.001 });
  assert.equal(cfg.rope_scaling?.rope_type, 'yarn');
  assert.equal('quantization_config' in cfg, false);
  // Layers 0–2 are dense, 3–60 MoE, and the MTP layer 61 is MoE too.
  assert.deepEqual([0, 2, 3, 60, 61].map((i) => isMoeLayer(cfg, i)), [false, false, true, true, true]);
});

test('model_type selects the architecture when architectures is absent; defaults fill the rest', () => {
  const cfg: ModelConfig = parseConfig({
    model_type: 'llama', vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, max_position_embeddings: 128, eos_token_id: [7, 8],
  });
  assert.equal(cfg.model_type, 'llama');
  assert.deepEqual(cfg.architectures, ['LlamaForCausalLM']);
  // num_key_value_heads defaults to plain MHA; the rest come from DEFAULTS.
  assert.equal(cfg.num_key_value_heads, 4);
  assert.equal(cfg.rms_norm_eps, DEFAULTS.rms_norm_eps);
  assert.equal(cfg.rope_theta, DEFAULTS.rope_theta);
  assert.equal(cfg.rope_scaling, null);
  assert.deepEqual(cfg.eos_token_id, [7, 8]);
  assert.equal('bos_token_id' in cfg, false);
});

test('a wrong type or range names the field and shows the value as JSON', () => {
  rejects({ ...v3Json(), num_attention_heads: '8' }, 'num_attention_heads',
    'config.json: num_attention_heads must be a positive integer, got "8"');
  rejects({ ...v3Json(), hidden_size: 0 }, 'hidden_size', 'config.json: hidden_size must be a positive integer, got 0');
  rejects({ ...v3Json(), first_k_dense_replace: -1 }, 'first_k_dense_replace',
    'config.json: first_k_dense_replace must be a non-negative integer, got -1');
  rejects({ ...v3Json(), rms_norm_eps: -1e-6 }, 'rms_norm_eps', 'config.json: rms_norm_eps must be a positive number, got -0.000001');
  rejects({ ...v3Json(), norm_topk_prob: 'true' }, 'norm_topk_prob', 'config.json: norm_topk_prob must be true or false, got "true"');
  rejects({ ...v3Json(), scoring_func: 'relu' }, 'scoring_func',
    'config.json: scoring_func must be one of "sigmoid", "softmax", got "relu"');
  rejects({ ...v3Json(), q_lora_rank: 1.5 }, 'q_lora_rank', 'config.json: q_lora_rank must be a positive integer, got 1.5');
});

test('missing required fields and nested rope_scaling fields are named', () => {
  const json = v3Json();
  delete json.kv_lora_rank;
  rejects(json, 'kv_lora_rank', 'config.json: kv_lora_rank is missing; expected a positive integer');
  rejects({ ...v3Json(), rope_scaling: { type: 'yarn', factor: '40', original_max_position_embeddings: 4096 } },
    'rope_scaling.factor', 'config.json: rope_scaling.factor must be a positive number, got "40"');
  rejects({ ...v3Json(), rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling.type',
    'config.json: rope_scaling.type must be one of "yarn", "llama3", got "dynamic"');
  rejects({ ...v3Json(), rope_scaling: [40] }, 'rope_scaling', 'config.json: rope_scaling must be an object or null, got [40]');
});

test('unknown architectures, non-objects and inconsistent shapes are refused', () => {
  rejects({ ...v3Json(), architectures: ['MistralForCausalLM'] }, 'architectures',
    'config.json: architectures must start with one of "DeepseekV3ForCausalLM", "Qwen2ForCausalLM", "LlamaForCausalLM", got ["MistralForCausalLM"]');
  const noArch = v3Json();
  delete noArch.architectures;
  delete noArch.model_type;
  rejects(noArch, 'model_type', 'config.json: model_type is missing; expected one of "deepseek_v3", "qwen2", "llama"');
  rejects([1, 2], '', 'config.json: must be a JSON object, got an array');
  rejects(null, '', 'config.json: must be a JSON object, got null');
  rejects({ ...v3Json(), num_experts_per_tok: 300 }, 'num_experts_per_tok',
    'config.json: num_experts_per_tok must be at most n_routed_experts (256), got 300');
  rejects({ ...v3Json(), n_group: 7 }, 'n_group', 'config.json: n_group must divide n_routed_experts (256) into equal groups, got 7');
  // Keeping 1 of 64 groups leaves 4 experts, fewer than the top-8 a token needs.
  rejects({ ...v3Json(), n_group: 64, topk_group: 1 }, 'topk_group',
    'config.json: topk_group must keep at least num_experts_per_tok (8) experts in the chosen groups, got 1');
  rejects({ ...JSON.parse(JSON.stringify(getPreset('tiny-llama'))), num_key_value_heads: 3 }, 'num_key_value_heads',
    'config.json: num_key_value_heads must divide num_attention_heads (4), got 3');
});

test('getPreset names the known presets when the name is wrong', () => {
  assert.throws(() => getPreset('deepseek-v4'), (e: unknown) =>
    e instanceof ConfigError && e.message.startsWith('unknown model preset "deepseek-v4"; known presets: deepseek-v3, deepseek-r1,')
    && e.message.includes('tiny-moe'));
  // Object.prototype names are not presets.
  assert.throws(() => getPreset('toString'), ConfigError);
});

test('tiny-moe exercises every DeepSeek-V3 feature', () => {
  const c = getPreset('tiny-moe') as DeepseekV3Config;
  assert.equal(c.model_type, 'deepseek_v3');
  assert.ok(c.q_lora_rank !== null && c.q_lora_rank < c.hidden_size, 'compressed queries');
  assert.equal(c.scoring_func, 'sigmoid');
  assert.equal(c.topk_method, 'noaux_tc');
  assert.ok(c.n_group > 1 && c.topk_group < c.n_group, 'group-limited routing');
  assert.ok(c.n_shared_experts >= 1);
  assert.deepEqual([0, 1].map((i) => isMoeLayer(c, i)), [false, true]);
});
