// The SFT trainer's options: what to train on and with what, with every default in one place and one
// check at the boundary that names the option at fault.

import type { CausalLM } from '../../model/index.js';
import type { ScheduleKind } from '../../nn/index.js';
import type { ChatRole, R1Options, Tokenizer } from '../../tokenizer/index.js';
import type { SftExample, SftFields } from './data.js';
import type { SftLossFn } from './loss.js';
import type { Overflow } from './render.js';

export interface SftOptions {
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
  /** A JSONL file of conversations or prompt/completion pairs, or examples already in memory. */
  readonly data: string | readonly SftExample[];
  /** Held-out data for the evaluation loss (same forms); none: no evaluation. */
  readonly evalData?: string | readonly SftExample[];
  /** Folder for metrics.jsonl and checkpoints/; null or absent: nothing is written. */
  readonly runDir?: string | null;
  /** A tokenizer folder copied into each checkpoint, so a checkpoint is a complete chat model. */
  readonly tokenizerDir?: string;

  // data
  readonly fields?: Partial<SftFields>;
  /** Role names of the data mapped to ours, e.g. {human: 'user', gpt: 'assistant'}. */
  readonly roleNames?: Readonly<Record<string, ChatRole>>;
  /** Learn every assistant turn (default) or the last one of each conversation. */
  readonly turns?: 'all' | 'last';
  /** Bad records (and records the template cannot render) stop the run (default) or are skipped and counted. */
  readonly onBadLine?: 'error' | 'skip';
  readonly r1?: R1Options;
  readonly chatTemplate?: string;
  readonly templateName?: string;
  /** Longest example in tokens. Default: the model's max_position_embeddings. */
  readonly maxLength?: number;
  readonly overflow?: Overflow;

  // schedule of work
  /** Passes over the data (default 1); maxSteps, when set, decides instead. */
  readonly epochs?: number;
  readonly maxSteps?: number;
  /** Examples per optimizer step. */
  readonly batchSize?: number;
  /** Examples per forward/backward pass (gradients are accumulated up to batchSize). */
  readonly microBatchSize?: number;
  /** Steps whose examples are sorted by length together (length bucketing; 1 = within a step only). */
  readonly bucketWindow?: number;
  readonly shuffle?: boolean;
  /** Seed of the data order. */
  readonly seed?: number;

  // optimisation
  readonly lr?: number;
  readonly schedule?: ScheduleKind;
  readonly warmupSteps?: number;
  /** Floor of the decay as a fraction of lr. */
  readonly minLrRatio?: number;
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** Global gradient-norm clip; 0 measures without clipping. */
  readonly maxGradNorm?: number;
  /** DeepSeek-V3's aux-loss-free router-bias update speed after each step (0: off). */
  readonly routerBiasGamma?: number;
  /** The micro-batch loss (default next-token cross-entropy); distillation passes its own. */
  readonly loss?: SftLossFn;

  // bookkeeping
  /** Evaluate every N steps (0: only at the end). */
  readonly evalEvery?: number;
  /** Save a checkpoint every N steps (0: only at the end). */
  readonly checkpointEvery?: number;
  /** Checkpoints kept. */
  readonly keepCheckpoints?: number;
  /** Continue from the newest checkpoint in runDir when there is one (default), or from this folder. */
  readonly resume?: boolean | string;
  /** Abort after this many non-finite steps in a row. */
  readonly maxNonFiniteSteps?: number;
  /** Show the progress line (stderr). */
  readonly progress?: boolean;
  /** Called after every step with its metrics (after they are logged). */
  readonly onStep?: (step: number, metrics: Readonly<Record<string, number>>) => void;
}

export const SFT_DEFAULTS = Object.freeze({
  turns: 'all' as const,
  onBadLine: 'error' as const,
  overflow: 'truncate' as const,
  epochs: 1,
  batchSize: 8,
  microBatchSize: 8,
  bucketWindow: 8,
  shuffle: true,
  seed: 0,
  lr: 1e-5,
  schedule: 'cosine' as ScheduleKind,
  warmupSteps: 0,
  minLrRatio: 0,
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  maxGradNorm: 1,
  routerBiasGamma: 0,
  evalEvery: 0,
  checkpointEvery: 0,
  keepCheckpoints: 2,
  resume: true as boolean | string,
  maxNonFiniteSteps: 5,
  progress: true,
});

export type ResolvedSftOptions = Omit<SftOptions, keyof typeof SFT_DEFAULTS | 'maxLength'> & typeof SFT_DEFAULTS & { readonly maxLength: number };

/** The options with defaults filled in, checked; errors name the option and the accepted values. */
export function resolveSftOptions(options: SftOptions): ResolvedSftOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...SFT_DEFAULTS, maxLength: options.model.config.max_position_embeddings, ...defined } as ResolvedSftOptions;
  const positiveInts = ['epochs', 'batchSize', 'microBatchSize', 'bucketWindow', 'maxLength', 'keepCheckpoints', 'maxNonFiniteSteps'] as const;
  for (const k of positiveInts) if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new RangeError(`trainSft: ${k} must be a whole number ≥ 1, got ${o[k]}`);
  for (const k of ['warmupSteps', 'evalEvery', 'checkpointEvery', 'seed'] as const) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 0) throw new RangeError(`trainSft: ${k} must be a whole number ≥ 0, got ${o[k]}`);
  }
  if (o.maxSteps !== undefined && (!Number.isSafeInteger(o.maxSteps) || o.maxSteps < 1)) throw new RangeError(`trainSft: maxSteps must be a whole number ≥ 1, got ${o.maxSteps}`);
  for (const k of ['lr', 'weightDecay', 'eps', 'maxGradNorm', 'routerBiasGamma', 'minLrRatio'] as const) {
    if (!(o[k] >= 0 && Number.isFinite(o[k]))) throw new RangeError(`trainSft: ${k} must be a finite number ≥ 0, got ${o[k]}`);
  }
  for (const k of ['beta1', 'beta2'] as const) if (!(o[k] >= 0 && o[k] < 1)) throw new RangeError(`trainSft: ${k} must be in [0, 1), got ${o[k]}`);
  if (o.microBatchSize > o.batchSize) throw new RangeError(`trainSft: microBatchSize (${o.microBatchSize}) must not exceed batchSize (${o.batchSize})`);
  if (!['constant', 'linear', 'cosine'].includes(o.schedule)) throw new RangeError(`trainSft: schedule must be constant, linear or cosine, got ${JSON.stringify(o.schedule)}`);
  if (!['truncate', 'drop'].includes(o.overflow)) throw new RangeError(`trainSft: overflow must be truncate or drop, got ${JSON.stringify(o.overflow)}`);
  if (!['all', 'last'].includes(o.turns)) throw new RangeError(`trainSft: turns must be all or last, got ${JSON.stringify(o.turns)}`);
  if (!['error', 'skip'].includes(o.onBadLine)) throw new RangeError(`trainSft: onBadLine must be error or skip, got ${JSON.stringify(o.onBadLine)}`);
  if (o.tokenizer.vocabSize > o.model.config.vocab_size) {
    throw new RangeError(`trainSft: the tokenizer has ${o.tokenizer.vocabSize} ids but the model's vocabulary is ${o.model.config.vocab_size}; use the tokenizer the model was built for`);
  }
  const wantsFiles = o.checkpointEvery > 0 || typeof o.resume === 'string';
  if (wantsFiles && !o.runDir) throw new RangeError('trainSft: checkpointEvery and resume from a folder need a runDir to write to; pass runDir');
  return o;
}
