// Reasoning-step reward: does the completion lay its reasoning out in steps? It counts step markers, as
// open-r1's reasoning_steps_reward does (grpo-and-rewards.md §4): "Step N:", a numbered line "N. ", a
// bulleted line "- " or "* ", and the transition words "First,", "Second,", "Next,", "Finally,". Unlike
// open-r1 (`\d+\.`, `\n-`, `\n\*`), a number or bullet must be followed by a space, so a line that starts
// with "3.14", "-5" or a "---" rule is not a step. Each marker counts, so "1. First, …" is two.

import type { RewardResult, RewardSample } from './types.js';

export interface ReasoningStepsOptions {
  /** How many markers earn the full reward; fewer earn a proportional share. */
  readonly stepsForFullReward?: number;
}

const STEPS_DEFAULTS: Required<ReasoningStepsOptions> = { stepsForFullReward: 3 };

const STEP_MARKER = /Step \d+:|^[ \t]*(?:\d+\.|[-*])[ \t]|\b(?:First|Second|Next|Finally),/gm;

/** How many step markers the text holds. */
export function countReasoningSteps(text: string): number {
  return text.match(STEP_MARKER)?.length ?? 0;
}

/**
 * min(1, markers / stepsForFullReward).
 * Example: `reasoningStepsReward()('Step 1: a\nStep 2: b\nFinally, c', {}).reward === 1`.
 */
export function reasoningStepsReward(options: ReasoningStepsOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  const { stepsForFullReward } = { ...STEPS_DEFAULTS, ...options };
  if (!(Number.isInteger(stepsForFullReward) && stepsForFullReward >= 1)) {
    throw new RangeError(`reasoningStepsReward: stepsForFullReward must be a positive integer, got ${stepsForFullReward}`);
  }
  return (completion) => {
    const steps = countReasoningSteps(completion);
    return { reward: Math.min(1, steps / stepsForFullReward), details: { steps } };
  };
}
