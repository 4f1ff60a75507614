// Every GRPO setting with its default, in one place, and the check that turns a bad value into an
// error naming the field. Defaults follow TRL/verl where they agree (grpo-and-rewards.md §3.7–3.8),
// except the learning rate, which suits the tiny models this runs on in tests (real models: 1e-6).

import type { SamplingParams } from '../../generate/index.js';
import type { ScheduleKind } from '../../nn/index.js';
import type { AdvantageOptions } from './advantages.js';
import { DEFAULT_ADVANTAGE_OPTIONS } from './advantages.js';
import type { GrpoLossOptions } from './loss.js';
import { AGGREGATIONS, DEFAULT_LOSS_OPTIONS } from './loss.js';

export interface GrpoOptions {
  /** GRPO steps: each is one rollout batch, then `iterations × miniBatches` optimizer steps. */
  readonly steps: number;
  /** Prompts per rollout batch. */
  readonly promptsPerStep: number;
  /** Completions per prompt (G ≥ 2: the group is the baseline). */
  readonly groupSize: number;
  /** Completion tokens at most (also Dr. GRPO's constant length unless loss.maxLength says otherwise). */
  readonly maxTokens: number;
  /** Rollout sampling; π_old and π_ref are computed at this temperature. */
  readonly sampling: Readonly<Partial<Omit<SamplingParams, 'seed' | 'logprobs'>>>;
  readonly stop?: readonly string[];
  /** μ: passes over each rollout batch (> 1 makes later passes off-policy: the clip matters then). */
  readonly iterations: number;
  /** Optimizer steps per pass: the rollout batch is split in this many mini-batches. */
  readonly miniBatches: number;
  /** Rows per forward/backward (gradient accumulation inside a mini-batch); 0 = the whole mini-batch. */
  readonly microBatchRows: number;
  readonly loss: GrpoLossOptions;
  readonly advantages: AdvantageOptions;
  /** DAPO dynamic sampling: drop groups whose rewards are all equal. */
  readonly dynamicSampling: boolean;
  /** DAPO overlong filtering: completions cut off at maxTokens get no loss. */
  readonly maskTruncated: boolean;
  /** Replace π_ref by the current policy every N steps (0 = never; only with beta > 0). */
  readonly refRefreshSteps: number;
  readonly optimizer: { readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number };
  /** Schedule over the planned optimizer steps (steps × iterations × miniBatches). */
  readonly schedule: { readonly kind: ScheduleKind; readonly warmupSteps: number; readonly minRatio: number };
  /** Global gradient-norm clip; 0 = off. */
  readonly maxGradNorm: number;
  /** Optimizer steps in a row with a non-finite loss or gradient that are skipped before the run aborts. */
  readonly maxNonFiniteUpdates: number;
  /** Seeds the prompt order and every rollout. */
  readonly seed: number;
  /** Per-token entropy of the policy in the metrics (one more pass over the logits of the π_old forward). */
  readonly entropy: boolean;
  /** Completions scored at once (code rewards each run a process). */
  readonly rewardConcurrency: number;
  /** With a run folder: a checkpoint every N steps (0 = only at the end), `keepCheckpoints` kept. */
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  /** The progress line on stderr. */
  readonly progress: boolean;
}

export type GrpoOptionsInput = Partial<Omit<GrpoOptions, 'loss' | 'advantages' | 'optimizer' | 'schedule'>> & {
  readonly loss?: Partial<GrpoOptions['loss']>;
  readonly advantages?: Partial<AdvantageOptions>;
  readonly optimizer?: Partial<GrpoOptions['optimizer']>;
  readonly schedule?: Partial<GrpoOptions['schedule']>;
};

export const GRPO_DEFAULTS: GrpoOptions = {
  steps: 100,
  promptsPerStep: 8,
  groupSize: 8,
  maxTokens: 256,
  sampling: { temperature: 1 },
  iterations: 1,
  miniBatches: 1,
  microBatchRows: 0,
  // DAPO's clip-higher upper range; the rest as the loss's own defaults.
  loss: { ...DEFAULT_LOSS_OPTIONS, epsilonHigh: 0.28 },
  advantages: DEFAULT_ADVANTAGE_OPTIONS,
  dynamicSampling: false,
  maskTruncated: false,
  refRefreshSteps: 0,
  optimizer: { lr: 1e-5, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 },
  schedule: { kind: 'constant', warmupSteps: 0, minRatio: 0 },
  maxGradNorm: 1,
  maxNonFiniteUpdates: 5,
  seed: 0,
  entropy: true,
  rewardConcurrency: 4,
  checkpointEvery: 0,
  keepCheckpoints: 2,
  progress: true,
};

/** Defaults filled in and every field checked; throws a RangeError naming the field and what it accepts. */
export function grpoOptions(input: GrpoOptionsInput = {}): GrpoOptions {
  const o: GrpoOptions = {
    ...GRPO_DEFAULTS,
    ...input,
    loss: { ...GRPO_DEFAULTS.loss, ...input.loss },
    advantages: { ...GRPO_DEFAULTS.advantages, ...input.advantages },
    optimizer: { ...GRPO_DEFAULTS.optimizer, ...input.optimizer },
    schedule: { ...GRPO_DEFAULTS.schedule, ...input.schedule },
  };
  const fail = (field: string, want: string, got: unknown): never => {
    throw new RangeError(`grpo option ${field} must be ${want}, got ${JSON.stringify(got)}`);
  };
  const int = (field: string, v: number, min: number) => (Number.isSafeInteger(v) && v >= min) || fail(field, `an integer ≥ ${min}`, v);
  const num = (field: string, v: number, ok: boolean, want: string) => (Number.isFinite(v) && ok) || fail(field, want, v);
  int('steps', o.steps, 0);
  int('promptsPerStep', o.promptsPerStep, 1);
  int('groupSize', o.groupSize, 2);
  int('maxTokens', o.maxTokens, 1);
  int('iterations', o.iterations, 1);
  int('miniBatches', o.miniBatches, 1);
  int('microBatchRows', o.microBatchRows, 0);
  int('refRefreshSteps', o.refRefreshSteps, 0);
  int('maxNonFiniteUpdates', o.maxNonFiniteUpdates, 0);
  int('seed', o.seed, 0);
  int('rewardConcurrency', o.rewardConcurrency, 1);
  int('checkpointEvery', o.checkpointEvery, 0);
  int('keepCheckpoints', o.keepCheckpoints, 1);
  int('schedule.warmupSteps', o.schedule.warmupSteps, 0);
  const temperature = o.sampling.temperature ?? 1;
  num('sampling.temperature', temperature, temperature > 0, '> 0 (GRPO learns from sampled groups; greedy decoding gives identical completions)');
  num('loss.epsilonLow', o.loss.epsilonLow, o.loss.epsilonLow >= 0 && o.loss.epsilonLow < 1, 'in [0, 1)');
  num('loss.epsilonHigh', o.loss.epsilonHigh, o.loss.epsilonHigh >= 0, '≥ 0');
  num('loss.beta', o.loss.beta, o.loss.beta >= 0, '≥ 0');
  num('loss.logRatioClamp', o.loss.logRatioClamp, o.loss.logRatioClamp > 0, '> 0');
  if (!(o.loss.aggregation in AGGREGATIONS)) fail('loss.aggregation', `one of ${Object.keys(AGGREGATIONS).join(', ')}`, o.loss.aggregation);
  if (o.loss.maxLength !== undefined) int('loss.maxLength', o.loss.maxLength, o.maxTokens);
  num('optimizer.lr', o.optimizer.lr, o.optimizer.lr >= 0, '≥ 0');
  num('maxGradNorm', o.maxGradNorm, o.maxGradNorm >= 0, '≥ 0 (0 = no clipping)');
  num('schedule.minRatio', o.schedule.minRatio, o.schedule.minRatio >= 0 && o.schedule.minRatio <= 1, 'in [0, 1]');
  if (!['constant', 'linear', 'cosine'].includes(o.schedule.kind)) fail('schedule.kind', "'constant', 'linear' or 'cosine'", o.schedule.kind);
  if (o.refRefreshSteps > 0 && o.loss.beta === 0) fail('refRefreshSteps', '0 when loss.beta is 0 (there is no reference model to refresh)', o.refRefreshSteps);
  return o;
}
