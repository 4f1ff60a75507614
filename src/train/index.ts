// Training: SFT, distillation and GRPO on our models, and the run folder they share (checkpoints,
// resume, metrics, configs). The public surface for users of the package; each subfolder's index.ts
// lists its finer pieces.

export { distill, collectTraces, distillationKl, distillationLoss, judgeTrace, traceText } from './distill/index.js';
export type { DistillOptions, DistillResult, KdLossOptions, Problem, Rejection, Trace, TraceFilterOptions, TraceOptions, TraceReport, TraceVerdict } from './distill/index.js';
export { GRPO_DEFAULTS, GrpoTrainer, groupAdvantages, grpoLoss, grpoOptions, informativeGroups, truncationMask } from './grpo/index.js';
export type { AdvantageOptions, GrpoLossOptions, GrpoOptions, GrpoOptionsInput, GrpoState, GrpoTask, GrpoTrainerArgs, LossAggregation } from './grpo/index.js';
export { latestCheckpoint, loadCheckpoint, loadRunConfig, MetricsLog, Progress, RunConfigError, saveCheckpoint } from './run/index.js';
export type { CheckpointParts, TrainState } from './run/index.js';
export { readSftFile, SFT_DEFAULTS, SftAbortError, SftDataError, trainSft } from './sft/index.js';
export type { SftExample, SftLossFn, SftOptions, SftResult } from './sft/index.js';
