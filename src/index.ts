// The r1ts package: the curated surfaces of each layer (each layer's index.ts lists its own).

export * from './tensor/index.js';
export * from './nn/index.js';
export * from './model/index.js';
export * from './tokenizer/index.js';
export * from './generate/index.js';
export * from './engine/index.js';
export * from './rewards/index.js';
export * from './train/index.js';
export * from './tasks/index.js';
export * from './eval/index.js';
export * from './recipes/index.js';
