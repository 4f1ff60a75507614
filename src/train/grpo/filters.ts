// Two filters DAPO added to GRPO (grpo-and-rewards.md §3), each a pure function of the rollout:
//   dynamic sampling   drop the groups whose rewards are all equal: their advantages are all 0, so they
//                      only dilute the batch (filter on whole-group equality, not per row: §6.15);
//   truncation masking completions cut off at the token limit get no loss (DAPO's overlong filtering,
//                      TRL's mask_truncated_completions): their reward judges an unfinished answer.

import type { FinishReason } from '../../generate/index.js';
import { checkLayout } from './advantages.js';

/**
 * Indices of the groups worth training on: those whose non-null rewards are not all equal (within
 * `tolerance`). A group with fewer than two non-null rewards has nothing to compare and is dropped.
 * Example: `informativeGroups([1, 1, 0, 1, null, null], 2)` → [1] (group 0 is all 1, group 2 all null).
 */
export function informativeGroups(rewards: readonly (number | null)[], groupSize: number, tolerance = 0): number[] {
  checkLayout('informativeGroups', rewards.length, groupSize);
  const kept: number[] = [];
  for (let g = 0; g < rewards.length / groupSize; g++) {
    const xs = rewards.slice(g * groupSize, (g + 1) * groupSize).filter((r): r is number => r !== null);
    if (xs.length >= 2 && Math.max(...xs) - Math.min(...xs) > tolerance) kept.push(g);
  }
  return kept;
}

/** The rows (completion indices) of the given groups, in order. */
export function rowsOfGroups(groups: readonly number[], groupSize: number): number[] {
  return groups.flatMap((g) => Array.from({ length: groupSize }, (_, k) => g * groupSize + k));
}

/**
 * Per completion: 1 when its tokens count in the loss, 0 when it was cut off at the token limit and
 * `maskTruncated` is on. The rewards still count in the group statistics (as in TRL); only the loss skips them.
 */
export function truncationMask(finishReasons: readonly FinishReason[], maskTruncated: boolean): Float32Array {
  return Float32Array.from(finishReasons, (f) => (maskTruncated && f === 'length' ? 0 : 1));
}
