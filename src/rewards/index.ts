// Rule-based rewards and answer verification: what GRPO optimises and what `r1ts eval` scores. The
// verifier (extract → verify) judges final answers; the rewards are pure (completion, sample) → reward
// functions built on it and on the text's format; combineRewards weighs them; the code reward runs
// Python in a sandbox.

export type { RewardFn, RewardResult, RewardSample, SyncRewardFn } from './types.js';

export { answerRegion, extractAnswer } from './extract.js';
export type { AnswerSource, ExtractedAnswer, ExtractOptions } from './extract.js';
export { DEFAULT_VERIFY_OPTIONS, verifyAnswer } from './verify.js';
export type { Verdict, VerifyOptions } from './verify.js';

export { accuracyReward } from './accuracy.js';
export type { AccuracyOptions } from './accuracy.js';
export { lenientFormatReward, strictFormatReward, tagCountReward } from './format.js';
export type { FormatOptions, FormatTemplate } from './format.js';
export { countReasoningSteps, reasoningStepsReward } from './reasoning-steps.js';
export type { ReasoningStepsOptions } from './reasoning-steps.js';
export { completionLength, cosineScaledReward, softOverlongPunishment } from './length.js';
export type { CompletionLength, CosineOptions, OverlongOptions } from './length.js';
export { repetitionPenaltyReward } from './repetition.js';
export type { RepetitionOptions } from './repetition.js';
export { languageConsistencyReward } from './language.js';
export type { ConsistencyLanguage, LanguageOptions } from './language.js';
export { combineRewards, scoreAll } from './combine.js';
export { namedReward, REWARD_NAMES } from './registry.js';
export type { RewardName } from './registry.js';
export type { CombinedReward, CombinedRewardFn, RewardPart, ScoredItem, ScoreOptions } from './combine.js';

export { ALL_PROTECTIONS, codeReward, lastPythonBlock, runPython, SANDBOX_DEFAULTS, SandboxError, sandboxReport } from './sandbox/index.js';
export type {
  CodeRewardOptions, Isolation, Protection, SandboxJob, SandboxOptions, SandboxOutcome, SandboxReport, SandboxRun, TestOutcome, TestReport,
} from './sandbox/index.js';
