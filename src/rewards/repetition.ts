// N-gram repetition penalty (open-r1's get_repetition_penalty_reward, grpo-and-rewards.md §4): the share
// of repeated word n-grams, scaled to [maxPenalty, 0], to push back on R1-Zero's endless repetition.
// Words are lower-cased whitespace-separated runs, except that Chinese and Japanese characters (written
// without spaces) count one word each; open-r1 segments Chinese with jieba, and without some split a
// whole Chinese paragraph would be one "word" and never repeat.

import type { RewardResult, RewardSample } from './types.js';

export interface RepetitionOptions {
  readonly ngramSize?: number;
  /** The reward when every n-gram is a repeat; ≤ 0. */
  readonly maxPenalty?: number;
}

const REPETITION_DEFAULTS: Required<RepetitionOptions> = { ngramSize: 3, maxPenalty: -1 };

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])\S)+/gu;

/** The text's words, as the penalty counts them. */
export function repetitionWords(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/**
 * (1 − unique n-grams / all n-grams) · maxPenalty; 0 for a text with fewer words than n.
 * Example: `repetitionPenaltyReward({ ngramSize: 2 })('a b a b', {}).reward === -1/3` (3 bigrams, 2 unique).
 */
export function repetitionPenaltyReward(options: RepetitionOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  const { ngramSize, maxPenalty } = { ...REPETITION_DEFAULTS, ...options };
  if (!(Number.isInteger(ngramSize) && ngramSize >= 1)) throw new RangeError(`repetitionPenaltyReward: ngramSize must be a positive integer, got ${ngramSize}`);
  if (!(maxPenalty <= 0)) throw new RangeError(`repetitionPenaltyReward: maxPenalty must be ≤ 0, got ${maxPenalty}`);
  return (completion) => {
    const words = repetitionWords(completion);
    const total = Math.max(0, words.length - ngramSize + 1);
    if (total === 0) return { reward: 0, details: { ngrams: 0, unique: 0 } };
    const seen = new Set<string>();
    // A separator no word contains (words hold no whitespace), so distinct n-grams never join alike.
    for (let i = 0; i < total; i++) seen.add(words.slice(i, i + ngramSize).join(' '));
    const reward = (1 - seen.size / total) * maxPenalty;
    // -0 when nothing repeats reads badly in logs.
    return { reward: reward === 0 ? 0 : reward, details: { ngrams: total, unique: seen.size } };
  };
}
