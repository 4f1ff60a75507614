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
export {
  CheckpointError, CheckpointReader, decodeFp8E4M3, dequantizeBlocks, FP8_BLOCK, FP8_E4M3_VALUES, isWeightDtype, loadWeights,
  SafetensorsFile, saveModel, scaleGridShape, writeCheckpoint, writeSafetensors,
} from './io/index.js';
export type {
  CheckpointDtype, LoadOptions, LoadResult, SafetensorsDtype, SaveOptions, TensorInfo, WeightDtype, WritableDtype, WriteCheckpointOptions, WriteEntry,
} from './io/index.js';
export { loadPretrained, openModel } from './pretrained.js';
export type { LoadModelOptions, OpenedModel } from './pretrained.js';
