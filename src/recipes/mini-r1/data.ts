// The recipe's problems and what is made of them: seeded problem sets (cold-start and distillation
// problems at the SFT levels, where the teacher's traces verify most often; GRPO and held-out problems
// at the GRPO levels, which may add harder ones), the tokenizer corpus, the SFT conversations (the
// teacher's solutions in R1 format, worked or answer-only) and the evaluation items.

import type { EvalItem } from '../../eval/index.js';
import type { Difficulty, FamilyName, Task } from '../../tasks/index.js';
import { answerOnlyCompletion, generateTasks, teacherCompletion } from '../../tasks/index.js';
import { MATH_DIRECTIVE } from '../../tokenizer/index.js';
import { sftExample } from '../../train/sft/index.js';
import type { SftExample } from '../../train/sft/index.js';

export interface ProblemSets {
  /** Cold-start problems (with the teacher's solutions). */
  readonly sft: readonly Task[];
  /** GRPO prompts (held-in, at the GRPO levels). */
  readonly grpo: readonly Task[];
  /** Prompts the GRPO model writes distillation traces for. */
  readonly distill: readonly Task[];
  /** Held-out problems by family (never in a training split: generateTasks keeps the splits disjoint). */
  readonly heldout: Readonly<Partial<Record<FamilyName, readonly Task[]>>>;
}

export interface ProblemCounts {
  readonly sftPerFamily: number;
  readonly grpoPerFamily: number;
  readonly distillPerFamily: number;
  readonly heldoutPerFamily: number;
}

/**
 * `count` problems of a family split evenly over `levels` (the first levels take the remainder), or all
 * there are at a level with fewer distinct problems (Countdown's level 1 has about 1,350 per split).
 */
function spread(family: FamilyName, levels: readonly Difficulty[], count: number, seed: number, split: 'train' | 'heldout'): Task[] {
  return levels.flatMap((difficulty, i) => {
    const n = Math.floor(count / levels.length) + (i < count % levels.length ? 1 : 0);
    return generateTasks({ family, count: n, seed, difficulty, split, allowFewer: true });
  });
}

export function problemSets(families: readonly FamilyName[], sftLevels: readonly Difficulty[], grpoLevels: readonly Difficulty[], counts: ProblemCounts, seed: number): ProblemSets {
  const heldout: Partial<Record<FamilyName, readonly Task[]>> = {};
  for (const family of families) heldout[family] = spread(family, grpoLevels, counts.heldoutPerFamily, seed, 'heldout');
  // Other seeds for the GRPO and distillation prompts, so that they are not the cold start's first problems.
  return {
    sft: families.flatMap((f) => spread(f, sftLevels, counts.sftPerFamily, seed, 'train')),
    grpo: families.flatMap((f) => spread(f, grpoLevels, counts.grpoPerFamily, seed + 1, 'train')),
    distill: families.flatMap((f) => spread(f, sftLevels, counts.distillPerFamily, seed + 2, 'train')),
    heldout,
  };
}

/** The text a byte-level BPE is trained on: prompts as the template shows them and the teacher's solutions. */
export function tokenizerCorpus(tasks: readonly Task[]): string {
  return tasks.map((t) => `${t.problem}\n${MATH_DIRECTIVE}\n${teacherCompletion(t)}`).join('\n\n');
}

/** How many of the first `n` cold-start problems get answer-only replies from coldStartExamples. */
export function answerOnlyCount(n: number, answerOnlyShare: number): number {
  return Math.floor(n * answerOnlyShare);
}

/**
 * One conversation per problem: the question, and the teacher's R1-format solution as the reply —
 * answer-only for `answerOnlyShare` of them, spread evenly (every level gets its share), worked for the rest.
 */
export function coldStartExamples(tasks: readonly Task[], answerOnlyShare = 0): SftExample[] {
  if (!(answerOnlyShare >= 0 && answerOnlyShare <= 1)) throw new RangeError(`coldStartExamples: answerOnlyShare must be in [0, 1], got ${answerOnlyShare}`);
  return tasks.map((t, i) => {
    const bare = answerOnlyCount(i + 1, answerOnlyShare) > answerOnlyCount(i, answerOnlyShare);
    const reply = bare ? answerOnlyCompletion(t) : teacherCompletion(t);
    return sftExample({ messages: [{ role: 'user', content: t.problem }, { role: 'assistant', content: reply }] }, t.id);
  });
}

/** Evaluation items: the question as a chat request, the task itself as the reward's sample. */
export function evalItems(tasks: readonly Task[]): EvalItem[] {
  return tasks.map((t) => ({ request: { messages: [{ role: 'user', content: t.problem }] }, sample: t }));
}
