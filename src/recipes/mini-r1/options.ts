// The mini-R1 recipe's options: every knob of stage 1 (tokenizer, cold-start SFT, evaluation) with its
// default in one place, the `quick` setting as a table of overrides, and one check at the boundary.

import type { Difficulty, FamilyName } from '../../tasks/index.js';
import { FAMILY_NAMES } from '../../tasks/index.js';

export interface MiniR1Options {
  /** The run folder: tokenizer/, cold-start/ (HF checkpoints), eval/ and stage1.json land here. */
  readonly runDir: string;
  /** A ≤ 1 minute version of the stage (fewer problems, steps and samples). */
  readonly quick?: boolean;
  /** Seed of the problems, the model's initial weights and the data order. */
  readonly seed?: number;
  readonly families?: readonly FamilyName[];
  /** Difficulty levels of the cold-start problems (drawn in equal shares). */
  readonly sftDifficulties?: readonly Difficulty[];
  /** Worked solutions per family for the cold-start SFT. */
  readonly sftPerFamily?: number;
  /** Held-out problems per family for the evaluation. */
  readonly heldoutPerFamily?: number;
  /** Model preset of the cold-start model (the DeepSeek-V3 architecture). */
  readonly preset?: string;
  readonly vocabSize?: number;
  readonly sftSteps?: number;
  readonly batchSize?: number;
  readonly microBatchSize?: number;
  readonly lr?: number;
  readonly warmupSteps?: number;
  /** Samples per held-out problem (pass@1 is averaged over them, cons@k votes among them). */
  readonly evalK?: number;
  readonly evalMaxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  /** Show progress lines (stderr). */
  readonly progress?: boolean;
}

export const MINI_R1_DEFAULTS = Object.freeze({
  quick: false,
  seed: 0,
  families: FAMILY_NAMES as readonly FamilyName[],
  sftDifficulties: [1, 2] as readonly Difficulty[],
  sftPerFamily: 200,
  heldoutPerFamily: 20,
  preset: 'small-moe',
  vocabSize: 1024,
  sftSteps: 120,
  batchSize: 16,
  microBatchSize: 8,
  lr: 3e-3,
  warmupSteps: 10,
  evalK: 4,
  evalMaxTokens: 160,
  temperature: 0.6,
  topP: 0.95,
  progress: true,
});

/** What `quick` changes (options given explicitly still win). */
export const MINI_R1_QUICK = Object.freeze({
  sftPerFamily: 40,
  heldoutPerFamily: 4,
  preset: 'tiny-moe',
  vocabSize: 512,
  sftSteps: 100,
  batchSize: 8,
  microBatchSize: 8,
  lr: 1e-2,
  warmupSteps: 3,
  evalK: 2,
});

export type ResolvedMiniR1Options = typeof MINI_R1_DEFAULTS & { readonly runDir: string };

/** Defaults, then the quick overrides, then the caller's values; errors name the option. */
export function resolveMiniR1Options(options: MiniR1Options): ResolvedMiniR1Options {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...MINI_R1_DEFAULTS, ...(options.quick ? MINI_R1_QUICK : {}), ...defined } as ResolvedMiniR1Options;
  if (typeof o.runDir !== 'string' || o.runDir === '') throw new RangeError('miniR1: runDir must name a folder to write the run into');
  const counts = ['sftPerFamily', 'heldoutPerFamily', 'vocabSize', 'sftSteps', 'batchSize', 'microBatchSize', 'evalK', 'evalMaxTokens'] as const;
  for (const k of counts) if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new RangeError(`miniR1: ${k} must be a whole number ≥ 1, got ${o[k]}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new RangeError(`miniR1: seed must be a whole number ≥ 0, got ${o.seed}`);
  if (o.families.length === 0 || o.families.some((f) => !FAMILY_NAMES.includes(f))) throw new RangeError(`miniR1: families must be some of ${FAMILY_NAMES.join(', ')}, got ${JSON.stringify(o.families)}`);
  if (o.sftDifficulties.length === 0) throw new RangeError('miniR1: sftDifficulties must name at least one level (1, 2 or 3)');
  return o;
}
