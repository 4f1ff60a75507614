// The model layer: configs under Hugging Face names, named presets and parameter / KV-cache counts.

export { ARCHITECTURES, ConfigError, DEFAULTS, headDim, isMoeLayer, parseConfig } from './config.js';
export type {
  DeepseekV3Config,
  Llama3RopeScaling,
  LlamaConfig,
  ModelConfig,
  ModelType,
  Qwen2Config,
  RopeScaling,
  YarnRopeScaling,
} from './config.js';
export { countParams, kvCacheElementsPerToken } from './params.js';
export type { ParamCounts } from './params.js';
export { getPreset, PRESET_NAMES, TINY_VOCAB_SIZE } from './presets.js';
export type { PresetName } from './presets.js';
export { CausalLM } from './causal-lm.js';
export type { CreateModelOptions, ForwardOptions, ForwardResult, LossResult } from './causal-lm.js';
export { KVCache } from './kv-cache.js';
export type { LayerCacheShape } from './kv-cache.js';
export type { MlaPath } from './layers/mla.js';
export { dispatchPlan, selectExperts } from './layers/routing.js';
export type { DispatchPlan, RoutingRule } from './layers/routing.js';
