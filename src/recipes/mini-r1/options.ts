// The mini-R1 recipe's options: every knob of every stage with its default in one place, the `quick`
// setting as a table of overrides, and one check at the boundary.

import type { Difficulty, FamilyName } from '../../tasks/index.js';
import { FAMILY_NAMES } from '../../tasks/index.js';

export interface MiniR1Options {
  /** The run folder: every stage writes its checkpoints, metrics and figures under it. */
  readonly runDir: string;
  /** A ≤ 2 minute version (smaller models, fewer problems, steps and samples). */
  readonly quick?: boolean;
  /** Seed of the problems, the models' initial weights, the data order and every sample. */
  readonly seed?: number;
  readonly families?: readonly FamilyName[];
  /** Difficulty levels of the cold-start problems (drawn in equal shares). */
  readonly sftDifficulties?: readonly Difficulty[];
  /**
   * Difficulty levels of the GRPO problems and of the held-out evaluation. The default keeps the cold
   * start's level: a tiny model cold-started on 3-operation chains solves almost no longer ones (measured:
   * 3% of level 2, 6% in 8 samples), so RL on them has nothing to reinforce; cold-starting on [1, 2]
   * and running GRPO on [1, 2] works (+18 / +15 points measured) but takes twice the time.
   */
  readonly grpoDifficulties?: readonly Difficulty[];
  /** Cold-start problems per family (each with the teacher's solution). */
  readonly sftPerFamily?: number;
  /**
   * Share of the cold-start solutions that give the answer without the work (the rest are worked): the
   * cold-start model then sometimes reasons and sometimes answers at once, and GRPO's reward is what
   * teaches it that reasoning pays (R1's finding: RL makes the model think longer).
   */
  readonly answerOnlyShare?: number;
  /** GRPO prompts per family. */
  readonly grpoPerFamily?: number;
  /** Distillation prompts per family (at the cold-start levels). */
  readonly distillPerFamily?: number;
  /** Held-out problems per family for the evaluation. */
  readonly heldoutPerFamily?: number;
  /** Model preset of the main model (the DeepSeek-V3 architecture). */
  readonly preset?: string;
  /** Dense student preset for the distillation-vs-RL comparison. */
  readonly studentPreset?: string;
  readonly vocabSize?: number;
  readonly sftSteps?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly warmupSteps?: number;
  readonly grpoSteps?: number;
  readonly grpoPromptsPerStep?: number;
  readonly grpoGroupSize?: number;
  readonly grpoLr?: number;
  /** Rollout temperature and top-p of GRPO. */
  readonly grpoTemperature?: number;
  readonly grpoTopP?: number;
  /** The student's cold-start SFT steps before its own GRPO (the direct-RL arm). */
  readonly studentSftSteps?: number;
  readonly studentLr?: number;
  /** GRPO steps of the direct-RL arm. */
  readonly studentGrpoSteps?: number;
  /** Teacher samples per distillation prompt (the verified ones are kept). */
  readonly distillSamples?: number;
  /** SFT steps of the distilled student. */
  readonly distillSteps?: number;
  /** Samples per held-out problem (pass@1 is averaged over them, cons@k votes among them). */
  readonly evalK?: number;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  /** Progress lines with ETA on stderr. */
  readonly progress?: boolean;
}

export const MINI_R1_DEFAULTS = Object.freeze({
  quick: false,
  seed: 0,
  families: ['arithmetic'] as readonly FamilyName[],
  sftDifficulties: [1] as readonly Difficulty[],
  grpoDifficulties: [1] as readonly Difficulty[],
  sftPerFamily: 20000,
  // At T = 0.6 a cold start on 25% answer-only solutions answers at once 41% of the time, on 35% 65%
  // (sampling at T < 1 favours the single answer-only path over the many ways a first step starts);
  // more answer-only data also leaves fewer worked examples, and the worked ones must be learned well
  // for the reward to tell the two apart (measured: worked right 63% at 25%, 37% at 35%).
  answerOnlyShare: 0.3,
  // Enough that GRPO never sees a prompt twice: tiny models memorise repeated prompts' answers
  // (measured: rollout accuracy up, held-out accuracy down).
  grpoPerFamily: 2000,
  distillPerFamily: 2000,
  heldoutPerFamily: 100,
  // tiny-moe, not small-moe: on 2 cores it learns these tasks about 3× faster per wall second
  // (measured: equal held-out accuracy after 100 s against 300 s), and the budget is minutes.
  preset: 'tiny-moe',
  studentPreset: 'tiny-qwen2',
  vocabSize: 1024,
  // The worked solutions must be learned well before RL can tell reasoning from guessing (measured,
  // seed 0: after 4500 steps held-out pass@1 0.325 → 0.56 under GRPO; after 4000, 0.18 → 0.27).
  sftSteps: 4500,
  batchSize: 16,
  // 1e-2 kept these models on a plateau where they never learned to copy numbers between lines
  // (a copy task: nothing learned in 500 steps at 1e-2, learned by step 300 at 1e-3); at 2e-3 the
  // cold start solves most level-1 problems.
  lr: 2e-3,
  warmupSteps: 50,
  grpoSteps: 150,
  grpoPromptsPerStep: 8,
  grpoGroupSize: 8,
  // Measured from one cold start: 5e-5 barely moves it in 150 steps, 3e-4 wrecks it (held-out pass@1
  // 0.37 → 0.11 in 100 steps: every Adam step moves every weight by about lr, mostly along noise).
  grpoLr: 1e-4,
  grpoTemperature: 0.6,
  grpoTopP: 0.95,
  studentSftSteps: 2000,
  studentLr: 2e-3,
  studentGrpoSteps: 60,
  distillSamples: 2,
  distillSteps: 2000,
  evalK: 4,
  maxTokens: 160,
  temperature: 0.6,
  topP: 0.95,
  progress: true,
});

/** What `quick` changes (options given explicitly still win). */
export const MINI_R1_QUICK = Object.freeze({
  sftPerFamily: 4000,
  grpoPerFamily: 256,
  distillPerFamily: 128,
  heldoutPerFamily: 24,
  vocabSize: 512,
  // A cold start cut short while the format is still being learned, and a GRPO that samples at T = 1
  // with a high learning rate: the format reward then visibly rises within 30 steps.
  sftSteps: 60,
  lr: 1e-2,
  warmupSteps: 20,
  grpoSteps: 30,
  grpoLr: 2e-3,
  grpoTemperature: 1,
  grpoTopP: 1,
  studentSftSteps: 150,
  studentLr: 1e-2,
  studentGrpoSteps: 10,
  distillSamples: 2,
  distillSteps: 150,
  evalK: 2,
  // Half-trained models often ramble to the limit; a short one keeps the run under 2 minutes
  // (measured on a slow day: 92 s, against 252 s at the full run's 160 tokens).
  maxTokens: 64,
});

export type ResolvedMiniR1Options = typeof MINI_R1_DEFAULTS & { readonly runDir: string };

/** Defaults, then the quick overrides, then the caller's values; errors name the option. */
export function resolveMiniR1Options(options: MiniR1Options): ResolvedMiniR1Options {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...MINI_R1_DEFAULTS, ...(options.quick ? MINI_R1_QUICK : {}), ...defined } as ResolvedMiniR1Options;
  if (typeof o.runDir !== 'string' || o.runDir === '') throw new RangeError('miniR1: runDir must name a folder to write the run into');
  const counts = [
    'sftPerFamily', 'grpoPerFamily', 'distillPerFamily', 'heldoutPerFamily', 'vocabSize', 'sftSteps', 'batchSize', 'grpoSteps', 'grpoPromptsPerStep',
    'studentSftSteps', 'studentGrpoSteps', 'distillSamples', 'distillSteps', 'evalK', 'maxTokens',
  ] as const;
  for (const k of counts) if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new RangeError(`miniR1: ${k} must be a whole number ≥ 1, got ${o[k]}`);
  if (!Number.isSafeInteger(o.grpoGroupSize) || o.grpoGroupSize < 2) throw new RangeError(`miniR1: grpoGroupSize must be a whole number ≥ 2 (the group is the baseline), got ${o.grpoGroupSize}`);
  if (!(o.answerOnlyShare >= 0 && o.answerOnlyShare < 1)) throw new RangeError(`miniR1: answerOnlyShare must be in [0, 1) (some solutions must show the work), got ${o.answerOnlyShare}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new RangeError(`miniR1: seed must be a whole number ≥ 0, got ${o.seed}`);
  for (const k of ['lr', 'grpoLr', 'studentLr', 'grpoTemperature', 'temperature'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new RangeError(`miniR1: ${k} must be a number > 0, got ${o[k]}`);
  }
  for (const k of ['topP', 'grpoTopP'] as const) if (!(o[k] > 0 && o[k] <= 1)) throw new RangeError(`miniR1: ${k} must be in (0, 1], got ${o[k]}`);
  if (o.families.length === 0 || o.families.some((f) => !FAMILY_NAMES.includes(f))) throw new RangeError(`miniR1: families must be some of ${FAMILY_NAMES.join(', ')}, got ${JSON.stringify(o.families)}`);
  for (const k of ['sftDifficulties', 'grpoDifficulties'] as const) {
    if (o[k].length === 0 || o[k].some((d) => ![1, 2, 3].includes(d))) throw new RangeError(`miniR1: ${k} must name at least one level of 1, 2 and 3, got ${JSON.stringify(o[k])}`);
  }
  return o;
}
