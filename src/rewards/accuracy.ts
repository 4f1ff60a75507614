// Accuracy reward, R1's rule-based correctness signal (grpo-and-rewards.md §2.2, §4): 1 when the answer
// extracted from the completion verifies against the sample's gold answer, 0 when it is wrong or missing.
// A sample without a usable gold gives null, not a reward: open-r1 once paid 1.0 for every completion of
// such a sample, which the policy learns to exploit (§6.11); null leaves the sample out of the group.
// A gold is usable when the verifier accepts it as equal to itself: that refuses a missing or blank
// gold and one the verifier will not read (too long, too deeply nested, empty once normalised).

import { extractAnswer } from './extract.js';
import type { ExtractOptions } from './extract.js';
import { verifyAnswer } from './verify.js';
import type { VerifyOptions } from './verify.js';
import type { SyncRewardFn } from './types.js';

export interface AccuracyOptions {
  /** The prompt already opened the think block: with no `</think>` the completion holds no answer. */
  readonly reasoningOpened?: boolean;
  /** Which answer to take (first or last box, last-number fallback). */
  readonly extract?: Omit<ExtractOptions, 'reasoningOpened'>;
  readonly verify?: VerifyOptions;
}

/**
 * 1 / 0 by the verifier, null without a gold answer; details carry the extracted answer, its source and
 * the verdict. Example: `accuracyReward()('<think>\n…\n</think>\n\n\\boxed{\\frac12}', { answer: '0.5' }).reward === 1`.
 */
export function accuracyReward(options: AccuracyOptions = {}): SyncRewardFn {
  const extractOptions: ExtractOptions = { ...options.extract, reasoningOpened: options.reasoningOpened ?? false };
  return (completion, sample) => {
    const gold = sample.answer;
    if (typeof gold !== 'string' || gold.trim() === '') return { reward: null, details: { reason: 'the sample has no gold answer' } };
    const goldCheck = verifyAnswer(gold, gold, options.verify);
    if (!goldCheck.equal) return { reward: null, details: { reason: `the gold answer is unusable: ${goldCheck.reason}`, verdict: goldCheck } };
    const extracted = extractAnswer(completion, extractOptions);
    if (extracted === null) return { reward: 0, details: { reason: 'no answer found in the completion' } };
    const verdict = verifyAnswer(gold, extracted.text, options.verify);
    return {
      reward: verdict.equal ? 1 : 0,
      details: { answer: extracted.text, source: extracted.source, verdict },
    };
  };
}
