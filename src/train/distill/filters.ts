// Rejection sampling of teacher traces, as R1 built its 600k reasoning samples (grpo-and-rewards.md §2.4):
// a trace is kept only when its final answer verifies against the gold one and it is readable — the
// think block closed (a truncated trace teaches the student to ramble), the thinking in one language
// (R1 filtered out "chain-of-thought with mixed languages"), and a length within bounds. Each check is a
// pure function of the completion and returns why it failed, so a run can report what it threw away.

import type { Completion } from '../../engine/index.js';
import { completionText } from '../../engine/index.js';
import { accuracyReward, languageConsistencyReward } from '../../rewards/index.js';
import type { ConsistencyLanguage, RewardSample, SyncRewardFn, VerifyOptions } from '../../rewards/index.js';

export interface TraceFilterOptions {
  /** Language the thinking must be written in, and the share of its words that must be (default en, 0.95). */
  readonly language?: ConsistencyLanguage | null;
  readonly minLanguageShare?: number;
  /** Generated tokens allowed (inclusive bounds; default 1 … unbounded). */
  readonly minTokens?: number;
  readonly maxTokens?: number;
  readonly verify?: VerifyOptions;
  /**
   * Judges the answer instead of the verifier against `sample.answer` (1 = right), for problems with
   * more than one right answer, such as Countdown, where the expression itself is checked.
   */
  readonly correct?: SyncRewardFn;
}

export const TRACE_FILTER_DEFAULTS: Required<Omit<TraceFilterOptions, 'verify' | 'correct'>> = {
  language: 'en',
  minLanguageShare: 0.95,
  minTokens: 1,
  maxTokens: Number.POSITIVE_INFINITY,
};

/** Why a trace was rejected; the first failing check wins, in the order listed. */
export type Rejection = 'truncated' | 'unclosed-think' | 'too-short' | 'too-long' | 'no-gold' | 'wrong-answer' | 'language-mixing';

export interface TraceVerdict {
  readonly keep: boolean;
  readonly rejection: Rejection | null;
  /** The extracted answer and the language share, when they were computed. */
  readonly answer?: string;
  readonly languageShare?: number;
}

/** The assistant turn in R1's format, `<think>\n…\n</think>\n\nanswer`, as SFT data holds it. */
export function traceText(c: Pick<Completion, 'reasoning' | 'content' | 'truncatedReasoning'>): string {
  return completionText(c, { openTag: true });
}

/** Judges one teacher completion against its problem: the gold answer, and whatever fields `options.correct` reads. */
export function judgeTrace(c: Completion, sample: RewardSample, options: TraceFilterOptions = {}): TraceVerdict {
  const o = { ...TRACE_FILTER_DEFAULTS, ...options };
  if (c.finishReason !== 'stop') return { keep: false, rejection: 'truncated' };
  if (c.truncatedReasoning) return { keep: false, rejection: 'unclosed-think' };
  if (c.tokens.length < o.minTokens) return { keep: false, rejection: 'too-short' };
  if (c.tokens.length > o.maxTokens) return { keep: false, rejection: 'too-long' };
  const text = traceText(c);
  const accuracy = (options.correct ?? accuracyReward({ verify: options.verify }))(text, sample);
  const answer = typeof accuracy.details.answer === 'string' ? accuracy.details.answer : undefined;
  if (accuracy.reward === null) return { keep: false, rejection: 'no-gold' };
  if (accuracy.reward < 1) return { keep: false, rejection: 'wrong-answer', answer };
  if (o.language !== null) {
    const judged = languageConsistencyReward({ language: o.language })(text);
    // Thinking without words (only formulas) cannot mix languages.
    const share = judged.details.words === 0 ? 1 : (judged.reward ?? 0);
    if (share < o.minLanguageShare) return { keep: false, rejection: 'language-mixing', answer, languageShare: share };
    return { keep: true, rejection: null, answer, languageShare: share };
  }
  return { keep: true, rejection: null, answer };
}
