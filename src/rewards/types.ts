// The shape every reward function shares, so GRPO and the evaluation harness can combine any of them.
// A reward is a pure function of the completion text and the sample it answers (DESIGN.md: "Reward
// function"); code rewards run a subprocess and therefore may return a promise.

/** One problem as the rewards see it: its reference answer plus whatever fields the task carries. */
export interface RewardSample {
  /** The reference (gold) answer, e.g. "\\frac{1}{2}" or "42". */
  readonly answer?: string;
  /** Completion length in tokens, when the caller knows it (length-based rewards fall back to characters). */
  readonly completionTokens?: number;
  readonly [field: string]: unknown;
}

/**
 * What a reward function returns. `reward` is null when the sample gives no usable signal (for example a
 * gold answer that cannot be parsed): GRPO leaves such samples out of its group statistics instead of
 * rewarding them, which is how open-r1 fixed a reward-hacking bug (grpo-and-rewards.md §6.11).
 */
export interface RewardResult {
  readonly reward: number | null;
  /** Why the reward is what it is, for logs and debugging (extracted answer, counts, verdict reason …). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type RewardFn = (completion: string, sample: RewardSample) => RewardResult | Promise<RewardResult>;

/** A reward that answers at once (every rule-based check here does): usable where a caller cannot wait. */
export type SyncRewardFn = (completion: string, sample: RewardSample) => RewardResult;
