// Neural-network building blocks over the tensor engine: modules (Linear, Embedding, RMSNorm), rotary
// position tables (RoPE, YaRN, Llama-3 scaling), optimizers and learning-rate schedules.

export { Embedding, Linear, Module, ModuleList, RMSNorm } from './module.js';
export type { InitOptions, LinearOptions } from './module.js';
export { AdamW, SGD, clipGradNorm } from './optim.js';
export type { AdamWOptions, Optimizer, OptimizerState, SGDOptions } from './optim.js';
export { attentionScale, inverseFrequencies, ropeTables, yarnMscale } from './rope.js';
export type { Llama3Scaling, RopeScalingSpec, RopeTableOptions, YarnScaling } from './rope.js';
export { learningRate } from './schedule.js';
export type { Schedule, ScheduleKind } from './schedule.js';
