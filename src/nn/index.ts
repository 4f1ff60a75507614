// Neural-network building blocks over the tensor engine: optimizers and learning-rate schedules.

export { AdamW, SGD, clipGradNorm } from './optim.js';
export type { AdamWOptions, Optimizer, SGDOptions } from './optim.js';
export { learningRate } from './schedule.js';
export type { Schedule, ScheduleKind } from './schedule.js';
