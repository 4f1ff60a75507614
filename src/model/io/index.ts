// Checkpoint I/O: Hugging Face model folders (config.json + safetensors, single file or sharded),
// FP8 block-quantised weights, and loading / saving a module's tensors by their HF names.

export { CheckpointError } from './errors.js';
export { decodeFp8E4M3, dequantizeBlocks, FP8_BLOCK, FP8_E4M3_VALUES, scaleGridShape } from './fp8.js';
export { isWeightDtype, SafetensorsFile, writeSafetensors } from './safetensors.js';
export type { SafetensorsDtype, TensorInfo, WeightDtype, WritableDtype, WriteEntry } from './safetensors.js';
export { CheckpointReader } from './checkpoint.js';
export { writeCheckpoint } from './checkpoint-write.js';
export type { CheckpointDtype, WriteCheckpointOptions } from './checkpoint-write.js';
export { loadWeights, saveModel } from './load.js';
export type { LoadOptions, LoadResult, SaveOptions } from './load.js';
