// The recipe's problems and what is made of them: seeded train problems (the cold-start levels, equal
// shares per level) and held-out problems per family, the tokenizer corpus, the SFT conversations (the
// teacher's worked solutions in R1 format) and the evaluation items.

import type { EvalItem } from '../../eval/index.js';
import type { Difficulty, FamilyName, Task } from '../../tasks/index.js';
import { generateTasks, teacherCompletion } from '../../tasks/index.js';
import { MATH_DIRECTIVE } from '../../tokenizer/index.js';
import { sftExample } from '../../train/sft/index.js';
import type { SftExample } from '../../train/sft/index.js';

export interface ProblemSets {
  readonly train: readonly Task[];
  /** Held-out problems by family (never in train: generateTasks keeps the splits disjoint). */
  readonly heldout: Readonly<Partial<Record<FamilyName, readonly Task[]>>>;
}

/** `perFamily` train problems per family, split evenly over `levels`, and `heldoutPerFamily` held-out ones. */
export function problemSets(families: readonly FamilyName[], levels: readonly Difficulty[], perFamily: number, heldoutPerFamily: number, seed: number): ProblemSets {
  const train: Task[] = [];
  const heldout: Partial<Record<FamilyName, readonly Task[]>> = {};
  for (const family of families) {
    levels.forEach((difficulty, i) => {
      const count = Math.floor(perFamily / levels.length) + (i < perFamily % levels.length ? 1 : 0);
      train.push(...generateTasks({ family, count, seed, difficulty, split: 'train' }));
    });
    // Held-out problems at the same levels as the cold-start data, so the two measure one skill.
    heldout[family] = levels.flatMap((difficulty, i) => {
      const count = Math.floor(heldoutPerFamily / levels.length) + (i < heldoutPerFamily % levels.length ? 1 : 0);
      return generateTasks({ family, count, seed, difficulty, split: 'heldout' });
    });
  }
  return { train, heldout };
}

/** The text a byte-level BPE is trained on: prompts as the template shows them and the teacher's solutions. */
export function tokenizerCorpus(tasks: readonly Task[]): string {
  return tasks.map((t) => `${t.problem}\n${MATH_DIRECTIVE}\n${teacherCompletion(t)}`).join('\n\n');
}

/** One conversation per problem: the question, and the teacher's R1-format solution as the reply. */
export function coldStartExamples(tasks: readonly Task[]): SftExample[] {
  return tasks.map((t) => sftExample({ messages: [{ role: 'user', content: t.problem }, { role: 'assistant', content: teacherCompletion(t) }] }, t.id));
}

/** Evaluation items: the question as a chat request, the task itself as the reward's sample. */
export function evalItems(tasks: readonly Task[]): EvalItem[] {
  return tasks.map((t) => ({ request: { messages: [{ role: 'user', content: t.problem }] }, sample: t }));
}
