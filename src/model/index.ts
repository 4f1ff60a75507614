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
