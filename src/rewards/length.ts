// Length-shaped rewards (grpo-and-rewards.md §3.2, §4):
//   - cosine length-scaled accuracy (Yeo et al., "Demystifying Long CoT", arXiv 2502.03373): a correct
//     answer earns more when short, a wrong one is punished less when long (the model may keep thinking
//     on problems it cannot yet solve): reward = long + ½(short − long)(1 + cos(π·progress)).
//   - DAPO's soft overlong punishment: 0 up to maxLength − cacheLength, then a linear ramp to −1 at
//     maxLength, −1 beyond.
// Lengths are `sample.completionTokens` when the caller knows them, else characters (UTF-16 code units);
// the options must be in the same unit, and the details say which one was used.

import { accuracyReward } from './accuracy.js';
import type { RewardResult, RewardSample } from './types.js';

type SyncReward = (completion: string, sample: RewardSample) => RewardResult;

export interface CompletionLength {
  readonly length: number;
  readonly unit: 'tokens' | 'characters';
}

/** The completion's length in tokens when the sample carries it, else in characters. */
export function completionLength(completion: string, sample: RewardSample): CompletionLength {
  const tokens = sample.completionTokens;
  if (typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0) return { length: tokens, unit: 'tokens' };
  return { length: completion.length, unit: 'characters' };
}

export interface CosineOptions {
  /** The length at which the reward reaches its `…Long` value and stays there. */
  readonly maxLength?: number;
  /** Reward for a correct answer of length 0 and of maxLength or more. */
  readonly correctShort?: number;
  readonly correctLong?: number;
  /** Reward for a wrong (or missing) answer of length 0 and of maxLength or more. */
  readonly wrongShort?: number;
  readonly wrongLong?: number;
  /**
   * Judges correctness: a positive reward is correct, 0 wrong, null no usable gold (then this reward is
   * null too). Defaults to `accuracyReward()`. Pass the same function you use elsewhere; and since the
   * cosine reward already carries correctness, use it instead of the accuracy reward in a sum, not beside it.
   */
  readonly correctness?: SyncReward;
}

const COSINE_DEFAULTS = { maxLength: 1000, correctShort: 1, correctLong: 0.5, wrongShort: -1, wrongLong: -0.5 };

/**
 * Accuracy scaled by a cosine of the length.
 * Example: `cosineScaledReward({ maxLength: 100, correctness: () => ({ reward: 1, details: {} }) })('x'.repeat(50), {}).reward === 0.75`.
 */
export function cosineScaledReward(options: CosineOptions = {}): SyncReward {
  const { maxLength, correctShort, correctLong, wrongShort, wrongLong } = { ...COSINE_DEFAULTS, ...options };
  if (!(maxLength > 0)) throw new RangeError(`cosineScaledReward: maxLength must be > 0, got ${maxLength}`);
  const correctness = options.correctness ?? accuracyReward();
  return (completion, sample) => {
    const judged = correctness(completion, sample);
    if (judged.reward === null) return { reward: null, details: { correctness: judged.details } };
    const correct = judged.reward > 0;
    const { length, unit } = completionLength(completion, sample);
    // open-r1 does not clamp, so past maxLength the cosine climbs again and a rambling wrong answer
    // drifts back towards the harshest value while a rambling right one climbs back to full reward.
    const progress = Math.min(1, length / maxLength);
    const [short, long] = correct ? [correctShort, correctLong] : [wrongShort, wrongLong];
    const reward = long + 0.5 * (short - long) * (1 + Math.cos(Math.PI * progress));
    return { reward, details: { correct, length, unit, progress, correctness: judged.details } };
  };
}

export interface OverlongOptions {
  /** Longest allowed completion: at and beyond it the reward is −1. */
  readonly maxLength?: number;
  /** Width of the ramp that ends at maxLength. */
  readonly cacheLength?: number;
}

// open-r1's CLI defaults (16,384 / 4,096 tokens); DAPO itself used 20,480 / 4,096.
const OVERLONG_DEFAULTS: Required<OverlongOptions> = { maxLength: 16384, cacheLength: 4096 };

/**
 * DAPO's soft overlong punishment, meant to be added to the other rewards.
 * Example: `softOverlongPunishment({ maxLength: 100, cacheLength: 20 })('x'.repeat(90), {}).reward === -0.5`.
 */
export function softOverlongPunishment(options: OverlongOptions = {}): (completion: string, sample: RewardSample) => RewardResult {
  const { maxLength, cacheLength } = { ...OVERLONG_DEFAULTS, ...options };
  if (!(cacheLength > 0 && cacheLength <= maxLength)) {
    throw new RangeError(`softOverlongPunishment: need 0 < cacheLength ≤ maxLength, got ${cacheLength} and ${maxLength}`);
  }
  const rampStart = maxLength - cacheLength;
  return (completion, sample) => {
    const { length, unit } = completionLength(completion, sample);
    const reward = length <= rampStart ? 0 : length <= maxLength ? (rampStart - length) / cacheLength : -1;
    return { reward, details: { length, unit } };
  };
}
