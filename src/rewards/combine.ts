// Combining rewards: a weighted sum of named reward functions that also returns every part's own result,
// so a trainer can log each one as a metric (R1 sums accuracy and format with equal weight,
// grpo-and-rewards.md §2.1; open-r1 defaults to accuracy + format + tag_count, weights 1). Parts may be
// async (code rewards run a subprocess), so the combination is async and a batch is scored concurrently.

import { availableParallelism } from 'node:os';
import type { RewardFn, RewardResult, RewardSample } from './types.js';

export interface RewardPart {
  /** The metric name, unique within a combination. */
  readonly name: string;
  readonly fn: RewardFn;
  /** 0 computes and reports the part without adding it (a metric only). */
  readonly weight: number;
}

export interface CombinedReward {
  /** Σ weight · reward over the parts with a non-zero weight; null when any of those parts is null. */
  readonly reward: number | null;
  readonly parts: Readonly<Record<string, RewardResult>>;
}

export type CombinedRewardFn = (completion: string, sample: RewardSample) => Promise<CombinedReward>;

/**
 * The weighted sum of `parts`. A null from a weighted part (no usable gold, say) makes the sum null, so
 * the trainer leaves the sample out instead of scoring it as if that part were 0. A part that throws is
 * a bug, not bad model output, and rejects the promise.
 * Example: `await combineRewards([{ name: 'format', fn: lenientFormatReward(), weight: 1 }])(text, sample)`
 * gives `{ reward: 1, parts: { format: { reward: 1, details: … } } }` for a well-formed text.
 */
export function combineRewards(parts: readonly RewardPart[]): CombinedRewardFn {
  if (parts.length === 0) throw new RangeError('combineRewards: give at least one part');
  const names = new Set<string>();
  for (const { name, weight } of parts) {
    if (names.has(name)) throw new RangeError(`combineRewards: two parts are named ${JSON.stringify(name)}`);
    if (!Number.isFinite(weight)) throw new RangeError(`combineRewards: the weight of ${JSON.stringify(name)} must be finite, got ${weight}`);
    names.add(name);
  }
  return async (completion, sample) => {
    const results = await Promise.all(parts.map(async (part) => part.fn(completion, sample)));
    let reward: number | null = 0;
    for (let k = 0; k < parts.length; k++) {
      const { weight } = parts[k]!;
      const partReward = results[k]!.reward;
      if (weight === 0 || reward === null) continue;
      reward = partReward === null ? null : reward + weight * partReward;
    }
    return { reward, parts: Object.fromEntries(parts.map((part, k) => [part.name, results[k]!])) };
  };
}

export interface ScoredItem {
  readonly completion: string;
  readonly sample: RewardSample;
}

export interface ScoreOptions {
  /** How many completions are scored at once; defaults to the number of CPUs (code rewards each run a process). */
  readonly concurrency?: number;
}

/**
 * Scores many completions with at most `concurrency` in flight; results come in the order of `items`.
 * Example: `await scoreAll(combineRewards(parts), group.map((completion) => ({ completion, sample })))`.
 */
export async function scoreAll(reward: CombinedRewardFn, items: readonly ScoredItem[], options: ScoreOptions = {}): Promise<CombinedReward[]> {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`scoreAll: concurrency must be a positive integer, got ${concurrency}`);
  const results: CombinedReward[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      const { completion, sample } = items[k]!;
      results[k] = await reward(completion, sample);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
