// The mini-R1 recipe: problems and a tokenizer, cold-start SFT of a DeepSeek-V3 MoE model, GRPO,
// distillation into a dense student against the student's own RL, held-out evaluation of every stage
// and a report (pipeline.ts runs them in order).

export { runMiniR1 } from './pipeline.js';
export type { MiniR1Result } from './pipeline.js';
export { MINI_R1_DEFAULTS, MINI_R1_QUICK, resolveMiniR1Options } from './options.js';
export type { MiniR1Options, ResolvedMiniR1Options } from './options.js';
export { answerOnlyCount, coldStartExamples, evalItems, problemSets, tokenizerCorpus } from './data.js';
export type { ProblemCounts, ProblemSets } from './data.js';
export { freshModel, parameterCount, quarterly, sftStage, stageSftOptions } from './sft-stage.js';
export type { SftStage, SftStageSettings } from './sft-stage.js';
export { FORMAT_WEIGHT, grpoStage, grpoTasks, recipeReward } from './grpo-stage.js';
export type { GrpoStageSettings } from './grpo-stage.js';
export { distillStage } from './distill-stage.js';
export type { DistillStage, DistillStageSettings } from './distill-stage.js';
export { evaluateStage } from './evaluate-stage.js';
export type { EvalSettings, FamilyScores, StageEval, StageTranscript } from './evaluate-stage.js';
export { formatStageTable, reportInput, runPlots, stageRow, stageTranscripts } from './run-report.js';
export type { StageSummary } from './run-report.js';
export { tokenizerStage } from './tokenizer-stage.js';
export type { TokenizerStage } from './tokenizer-stage.js';
