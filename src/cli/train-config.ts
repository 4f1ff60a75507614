// The run configs of `r1ts train sft | distill | grpo`: YAML files checked by these zod schemas (every field
// optional unless the run cannot start without it; defaults live with each trainer). Field names are
// the trainers' option names, so a config reads like the API.

import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();

/** A model: a Hugging Face folder (weights + tokenizer), or a preset with fresh weights plus a tokenizer folder. */
export const modelSource = z.object({
  model: z.string().min(1).describe('a model folder (config.json, model.safetensors, tokenizer files) or a preset name'),
  tokenizer: z.string().min(1).optional().describe('the tokenizer folder, when the model folder has none (presets)'),
  seed: nonNegativeInt.optional().describe('weight seed of a preset'),
});

export const sftSettings = z.object({
  epochs: positiveInt.optional(),
  maxSteps: positiveInt.optional(),
  batchSize: positiveInt.optional(),
  microBatchSize: positiveInt.optional(),
  bucketWindow: positiveInt.optional(),
  shuffle: z.boolean().optional(),
  seed: nonNegativeInt.optional(),
  lr: nonNegative.optional(),
  schedule: z.enum(['constant', 'linear', 'cosine']).optional(),
  warmupSteps: nonNegativeInt.optional(),
  minLrRatio: z.number().min(0).max(1).optional(),
  weightDecay: nonNegative.optional(),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  eps: z.number().positive().optional(),
  maxGradNorm: nonNegative.optional(),
  routerBiasGamma: nonNegative.optional(),
  evalEvery: nonNegativeInt.optional(),
  checkpointEvery: nonNegativeInt.optional(),
  keepCheckpoints: positiveInt.optional(),
  maxNonFiniteSteps: positiveInt.optional(),
  maxLength: positiveInt.optional(),
  overflow: z.enum(['truncate', 'drop']).optional(),
  turns: z.enum(['all', 'last']).optional(),
  onBadLine: z.enum(['error', 'skip']).optional(),
  chatTemplate: z.string().optional(),
  fields: z.object({ messages: z.string(), prompt: z.string(), completion: z.string(), role: z.string(), content: z.string(), reasoning: z.string() }).partial().optional(),
});

export const sftConfig = z.object({
  ...modelSource.shape,
  data: z.string().min(1).describe('JSONL of conversations or prompt/completion pairs'),
  evalData: z.string().min(1).optional(),
  runDir: z.string().min(1),
  resume: z.boolean().optional(),
  sft: sftSettings.optional(),
});
export type SftConfig = z.infer<typeof sftConfig>;

export const distillConfig = z.object({
  teacher: modelSource,
  student: modelSource,
  problems: z.string().min(1).describe('JSONL of problems with their gold answers'),
  problemField: z.string().optional(),
  answerField: z.string().optional(),
  runDir: z.string().min(1),
  resume: z.boolean().optional(),
  traces: z.object({
    samplesPerProblem: positiveInt.optional(),
    keepPerProblem: positiveInt.optional(),
    maxTokens: positiveInt.optional(),
    chunk: positiveInt.optional(),
    temperature: nonNegative.optional(),
    topP: z.number().gt(0).max(1).optional(),
    seed: nonNegativeInt.optional(),
    language: z.enum(['en', 'zh', 'ja', 'ko', 'ru']).nullable().optional(),
    minLanguageShare: z.number().min(0).max(1).optional(),
    minTokens: positiveInt.optional(),
    maxTraceTokens: positiveInt.optional(),
  }).optional(),
  kd: z.object({ temperature: z.number().positive().optional(), weight: z.number().min(0).max(1).optional() }).optional()
    .describe('logit-level distillation; the teacher must be a local model with the student\'s vocabulary'),
  sft: sftSettings.optional(),
});
export type DistillConfig = z.infer<typeof distillConfig>;

/** Reward functions a GRPO config can name, each with its weight (and its own options where it has any). */
export const rewardPart = z.object({
  name: z.enum(['accuracy', 'format', 'strict-format', 'tag-count', 'reasoning-steps', 'cosine', 'overlong', 'repetition', 'language']),
  weight: z.number(),
  /** Options passed to the reward's factory (e.g. cosine: {maxLength}; repetition: {ngramSize, maxPenalty}). */
  options: z.record(z.string(), z.unknown()).optional(),
});

export const grpoConfig = z.object({
  ...modelSource.shape,
  problems: z.string().min(1).describe('JSONL of problems with their gold answers'),
  problemField: z.string().optional(),
  answerField: z.string().optional(),
  runDir: z.string().min(1),
  rewards: z.array(rewardPart).min(1).optional().describe('default: accuracy 1 + format 0.5'),
  grpo: z.object({
    steps: nonNegativeInt.optional(),
    promptsPerStep: positiveInt.optional(),
    groupSize: z.number().int().min(2).optional(),
    maxTokens: positiveInt.optional(),
    sampling: z.object({ temperature: z.number().positive(), topP: z.number().gt(0).max(1), topK: nonNegativeInt, minP: z.number().min(0).max(1) }).partial().optional(),
    iterations: positiveInt.optional(),
    miniBatches: positiveInt.optional(),
    microBatchRows: nonNegativeInt.optional(),
    loss: z.object({
      epsilonLow: z.number().min(0).lt(1), epsilonHigh: nonNegative, beta: nonNegative,
      aggregation: z.enum(['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm']), maxLength: positiveInt, logRatioClamp: z.number().positive(),
    }).partial().optional(),
    advantages: z.object({ scale: z.enum(['group', 'batch', 'none']), std: z.enum(['sample', 'population']), epsilon: nonNegative }).partial().optional(),
    dynamicSampling: z.boolean().optional(),
    maskTruncated: z.boolean().optional(),
    refRefreshSteps: nonNegativeInt.optional(),
    optimizer: z.object({ lr: nonNegative, beta1: z.number().min(0).lt(1), beta2: z.number().min(0).lt(1), eps: z.number().positive(), weightDecay: nonNegative }).partial().optional(),
    schedule: z.object({ kind: z.enum(['constant', 'linear', 'cosine']), warmupSteps: nonNegativeInt, minRatio: z.number().min(0).max(1) }).partial().optional(),
    maxGradNorm: nonNegative.optional(),
    maxNonFiniteUpdates: nonNegativeInt.optional(),
    seed: nonNegativeInt.optional(),
    rewardConcurrency: positiveInt.optional(),
    checkpointEvery: nonNegativeInt.optional(),
    keepCheckpoints: positiveInt.optional(),
  }).optional(),
});
export type GrpoConfig = z.infer<typeof grpoConfig>;
