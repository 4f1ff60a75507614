// Per-step summaries of a rollout batch for the metrics log: rewards (the total and each reward
// function, nulls left out and counted apart), accuracy when a part is named 'accuracy', and completion
// lengths. Pure: data in, a flat record of numbers out. σ here is the population one (a description of
// the batch, not an estimate).

import type { Completion } from '../../engine/index.js';
import type { CombinedReward } from '../../rewards/index.js';

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) };
}

const nonNull = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

/**
 * reward/mean, reward/std, reward/null (share of completions without a usable reward), and
 * reward/<part>/mean and /std for each reward function; `accuracy` mirrors a part named 'accuracy'.
 */
export function rewardMetrics(scored: readonly CombinedReward[]): Record<string, number> {
  const total = scored.map((s) => s.reward);
  const { mean, std } = meanStd(nonNull(total));
  const out: Record<string, number> = { 'reward/mean': mean, 'reward/std': std, 'reward/null': scored.length === 0 ? 0 : (total.length - nonNull(total).length) / total.length };
  const names = scored.length === 0 ? [] : Object.keys(scored[0]!.parts);
  for (const name of names) {
    const part = meanStd(nonNull(scored.map((s) => s.parts[name]?.reward ?? null)));
    out[`reward/${name}/mean`] = part.mean;
    out[`reward/${name}/std`] = part.std;
  }
  if (names.includes('accuracy')) out.accuracy = out['reward/accuracy/mean']!;
  return out;
}

/** completion/length_mean, /length_max (tokens) and /truncated (share cut off at the token limit). */
export function completionMetrics(completions: readonly Completion[]): Record<string, number> {
  const lengths = completions.map((c) => c.tokens.length);
  return {
    'completion/length_mean': meanStd(lengths).mean,
    'completion/length_max': lengths.length === 0 ? NaN : Math.max(...lengths),
    'completion/truncated': completions.length === 0 ? 0 : completions.filter((c) => c.finishReason === 'length').length / completions.length,
  };
}

/** Mean of `values` where `mask` > 0 (NaN when nothing counts). */
export function maskedMean(values: ArrayLike<number>, mask: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i]! > 0) {
      s += values[i]!;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}
