// GRPO (DeepSeekMath §4; R1): group-relative advantages, the clipped surrogate loss with its variants,
// DAPO's filters, and the training loop over an Engine's rollouts.

export { DEFAULT_ADVANTAGE_OPTIONS, groupAdvantages } from './advantages.js';
export type { AdvantageOptions, AdvantageScale, GroupAdvantages, StdKind } from './advantages.js';
export { informativeGroups, rowsOfGroups, truncationMask } from './filters.js';
export { AGGREGATIONS, DEFAULT_LOSS_OPTIONS, addScopes, grpoLoss, lossScope } from './loss.js';
export type { GrpoLossInputs, GrpoLossMetrics, GrpoLossOptions, LossAggregation, LossScope } from './loss.js';
export { completionLogprobs, scoreRows } from './logprobs.js';
export type { CompletionLogprobs } from './logprobs.js';
export { completionMetrics, maskedMean, rewardMetrics } from './metrics.js';
export { GRPO_DEFAULTS, grpoOptions } from './options.js';
export type { GrpoOptions, GrpoOptionsInput } from './options.js';
export { copyModel, copyWeights, pruneReferenceSnapshots, REFERENCE_FOLDER, restoreReferenceSnapshot, saveReferenceSnapshot } from './reference.js';
export { promptIds, requestSeed, rollout, rolloutRequests } from './rollout.js';
export type { GrpoTask, RolloutSettings } from './rollout.js';
export { chunks, evenSplit, rowTokens, sliceRows, tokenRows } from './rows.js';
export type { TokenRows } from './rows.js';
export { GrpoTrainer } from './trainer.js';
export type { GrpoState, GrpoTrainerArgs } from './trainer.js';
export { policyUpdate } from './update.js';
export type { NonFiniteCounter, RolloutBatch, UpdateContext, UpdateMetrics } from './update.js';
