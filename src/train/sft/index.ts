// Supervised fine-tuning: JSONL conversations or prompt/completion pairs rendered through the chat
// template with the loss on the assistant tokens, length-bucketed micro-batches with gradient
// accumulation, AdamW with a warmup schedule, clipping, evaluation, checkpoints and exact resume.

export { parseSftJsonl, readSftFile, SFT_FIELDS, SftDataError, sftExample } from './data.js';
export type { SftDataOptions, SftExample, SftFields, SftFile } from './data.js';
export { fitLength, learnedTokens, tokenizeExample } from './render.js';
export type { Overflow, RenderOptions, TokenizedExample } from './render.js';
export { prepareSftData } from './dataset.js';
export type { PrepareOptions, PreparedData } from './dataset.js';
export { collate, planEpoch, shuffleInPlace } from './batching.js';
export type { EpochPlan, EpochPlanOptions, MicroBatch } from './batching.js';
export { accumulateGradients, evaluateLoss, nextTokenLoss } from './loss.js';
export type { AccumulatedStep, MicroLoss, SftLossFn } from './loss.js';
export { resolveSftOptions, SFT_DEFAULTS } from './options.js';
export type { ResolvedSftOptions, SftOptions } from './options.js';
export { SftAbortError, trainSft } from './trainer.js';
export type { SftResult } from './trainer.js';
