// The mini-R1 recipe: stage 1 (problems, tokenizer, cold-start SFT of a DeepSeek-V3 MoE model,
// held-out evaluation); GRPO and distillation stages build on its result.

export { runMiniR1Stage1 } from './stage1.js';
export type { Stage1Result } from './stage1.js';
export { MINI_R1_DEFAULTS, MINI_R1_QUICK, resolveMiniR1Options } from './options.js';
export type { MiniR1Options, ResolvedMiniR1Options } from './options.js';
export { coldStartExamples, evalItems, problemSets, tokenizerCorpus } from './data.js';
export type { ProblemSets } from './data.js';
export { coldStart, freshModel } from './cold-start.js';
export type { ColdStart, ColdStartSettings } from './cold-start.js';
export { evaluateStage } from './evaluate-stage.js';
export type { EvalSettings, FamilyScores, StageEval } from './evaluate-stage.js';
export { tokenizerStage } from './tokenizer-stage.js';
export type { TokenizerStage } from './tokenizer-stage.js';
