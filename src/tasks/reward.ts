// taskReward: one reward for a mix of task families. A Countdown problem has many right answers, so it
// is judged by countdownReward (the expression is parsed and evaluated); every other family has one
// gold answer, judged by the verifier through accuracyReward. A sample without a known family is
// treated as a plain gold-answer problem.

import { accuracyReward } from '../rewards/index.js';
import type { SyncRewardFn } from '../rewards/index.js';
import { countdownReward } from './countdown.js';

export interface TaskRewardOptions {
  /** The prompt already opened <think> (R1's template does): without </think> there is no answer. */
  readonly reasoningOpened?: boolean;
}

/** Dispatches on sample.family: countdown → countdownReward; anything else → accuracyReward. */
export function taskReward(options: TaskRewardOptions = {}): SyncRewardFn {
  const reasoningOpened = options.reasoningOpened ?? false;
  const byFamily: Readonly<Record<string, SyncRewardFn>> = { countdown: countdownReward({ reasoningOpened }) };
  const fallback = accuracyReward({ reasoningOpened });
  return (completion, sample) => (typeof sample.family === 'string' ? byFamily[sample.family] : undefined)?.(completion, sample) ?? fallback(completion, sample);
}
