// The shapes every task family shares: a generated problem with its gold answer and the teacher's
// worked solution, and the family that makes, keys and rewards such problems.

import type { RewardFn } from '../rewards/index.js';
import type { SeededRandom } from '../util/index.js';

export const DIFFICULTIES = [1, 2, 3] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

export const SPLITS = ['train', 'heldout'] as const;
export type Split = (typeof SPLITS)[number];

export const FAMILY_NAMES = ['arithmetic', 'countdown', 'linear'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/**
 * What a family's generator makes; generateTasks adds the id and the split. These are type aliases, not
 * interfaces, so a task passes as a RewardSample (which has an index signature) as it is.
 */
export type TaskDraft = {
  readonly family: FamilyName;
  readonly difficulty: Difficulty;
  /** The question as the model sees it. */
  readonly problem: string;
  /** The gold answer as text (what accuracyReward compares with). */
  readonly answer: string;
  /**
   * The teacher's worked solution in R1 form: the reasoning steps, one a line, as they go inside
   * <think>…</think>, then a last line with the answer in \boxed{}. teacherCompletion() wraps it.
   */
  readonly solution: string;
}

export type ArithmeticDraft = TaskDraft & {
  readonly family: 'arithmetic';
  /** The expression to evaluate, e.g. "5 + 7 × 3 - 4". */
  readonly expression: string;
}

export type CountdownDraft = TaskDraft & {
  readonly family: 'countdown';
  /** The numbers given, each usable at most once. */
  readonly numbers: readonly number[];
  readonly target: number;
}

export type LinearDraft = TaskDraft & {
  readonly family: 'linear';
  /** The equation in x, e.g. "3(x - 2) + 4 = 5x - 8". */
  readonly equation: string;
}

export type AnyDraft = ArithmeticDraft | CountdownDraft | LinearDraft;

/** A generated problem: a draft with a stable id and the split it belongs to. */
export type Task = AnyDraft & { readonly id: string; readonly split: Split };

export interface TaskFamily {
  readonly name: FamilyName;
  /** One line for --help and docs. */
  readonly summary: string;
  /** What each difficulty level means, by level. */
  readonly levels: Readonly<Record<Difficulty, string>>;
  /** One random problem at the level (deterministic for the generator's state). */
  draft(random: SeededRandom, difficulty: Difficulty): AnyDraft;
  /** A canonical key: two problems with the same key are the same problem (dedupe, split check). */
  key(task: AnyDraft): string;
  /** The reward that judges a completion for this family's problems. */
  reward(): RewardFn;
}
