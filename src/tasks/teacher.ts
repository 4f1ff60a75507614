// The teacher's side shared by every family: the last line of a worked solution, and the solution
// wrapped in R1's completion format (`<think>\n steps \n</think>\n\n final line`), in full or answer-only.

import type { TaskDraft } from './types.js';

/** The solution's last line, with the answer boxed as the verifier expects it. */
export function finalLine(boxed: string): string {
  return `The answer is \\boxed{${boxed}}.`;
}

/** Steps (one a line) and the final line, as TaskDraft.solution holds them. */
export function solutionText(steps: readonly string[], boxed: string): string {
  return [...steps, finalLine(boxed)].join('\n');
}

/** The teacher's solution as an R1 completion: the steps inside <think>…</think>, then the final line. */
export function teacherCompletion(task: Pick<TaskDraft, 'solution'>): string {
  const cut = task.solution.lastIndexOf('\n');
  const steps = cut < 0 ? '' : task.solution.slice(0, cut);
  const final = task.solution.slice(cut + 1);
  return `<think>\n${steps}\n</think>\n\n${final}`;
}

/**
 * The same completion without the work: the think block keeps only the solution's first line (the
 * problem restated) and the answer follows at once. Real instruction data mixes such bare answers with
 * worked ones; a model trained on both can do either, and only the reward tells it which pays.
 */
export function answerOnlyCompletion(task: Pick<TaskDraft, 'solution'>): string {
  const lines = task.solution.split('\n');
  const steps = lines.length > 1 ? lines[0]! : '';
  return `<think>\n${steps}\n</think>\n\n${lines[lines.length - 1]!}`;
}
