// Combining rewards: the weighted sum and its parts on hand-made rewards, null handling, metric-only
// parts, async parts, and batch scoring in order with bounded concurrency.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineRewards, scoreAll } from '../../src/rewards/combine.js';
import { lenientFormatReward, tagCountReward } from '../../src/rewards/format.js';
import type { RewardFn, RewardResult } from '../../src/rewards/types.js';

const constant = (reward: number | null): RewardFn => () => ({ reward, details: { constant: reward } });

test('weighted sum of the format rewards, each part reported', async () => {
  const combined = combineRewards([
    { name: 'format', fn: lenientFormatReward({ template: 'think-answer' }), weight: 1 },
    { name: 'tags', fn: tagCountReward({ template: 'think-answer' }), weight: 0.5 },
  ]);
  const good = await combined('<think>\nR\n</think>\n<answer>\n4\n</answer>', {});
  assert.equal(good.reward, 1.5);
  assert.deepEqual(Object.keys(good.parts), ['format', 'tags']);
  assert.equal(good.parts.format!.reward, 1);
  assert.equal(good.parts.tags!.reward, 1);
  // Lenient format passes; tag count finds none of its newline pieces except "\n</answer>": 1 + 0.5 · 0.25.
  const loose = await combined('<think>R</think> <answer>4\n</answer>', {});
  assert.equal(loose.reward, 1.125);
  assert.equal(loose.parts.tags!.reward, 0.25);
});

test('a null weighted part makes the sum null; a zero-weight part is a metric only', async () => {
  const withNull = await combineRewards([
    { name: 'a', fn: constant(1), weight: 1 },
    { name: 'gold', fn: constant(null), weight: 2 },
  ])('x', {});
  assert.deepEqual(withNull, { reward: null, parts: { a: { reward: 1, details: { constant: 1 } }, gold: { reward: null, details: { constant: null } } } });
  const metricOnly = await combineRewards([
    { name: 'a', fn: constant(0.5), weight: 2 },
    { name: 'watch', fn: constant(null), weight: 0 },
    { name: 'b', fn: constant(-1), weight: 0.25 },
    { name: 'seen', fn: constant(7), weight: 0 },
  ])('x', {});
  assert.equal(metricOnly.reward, 0.75);
  assert.equal(metricOnly.parts.watch!.reward, null);
  assert.equal(metricOnly.parts.seen!.reward, 7);
});

test('async parts are awaited and get the completion and the sample', async () => {
  const echo: RewardFn = async (completion, sample) => ({ reward: completion.length, details: { answer: sample.answer } });
  const result = await combineRewards([{ name: 'len', fn: echo, weight: 3 }])('abcd', { answer: '42' });
  assert.deepEqual(result, { reward: 12, parts: { len: { reward: 4, details: { answer: '42' } } } });
});

test('bad combinations are refused; a part that throws rejects', async () => {
  assert.throws(() => combineRewards([]), RangeError);
  assert.throws(() => combineRewards([{ name: 'a', fn: constant(1), weight: 1 }, { name: 'a', fn: constant(1), weight: 1 }]), RangeError);
  assert.throws(() => combineRewards([{ name: 'a', fn: constant(1), weight: Number.NaN }]), RangeError);
  const broken = combineRewards([{ name: 'bug', fn: () => { throw new Error('boom'); }, weight: 1 }]);
  await assert.rejects(broken('x', {}), /boom/);
});

test('scoreAll keeps the order of the items and never runs more than `concurrency` at once', async () => {
  let inFlight = 0;
  let most = 0;
  const slow: RewardFn = async (completion): Promise<RewardResult> => {
    inFlight++;
    most = Math.max(most, inFlight);
    // Later items finish sooner, so the order of completion differs from the order of the items.
    await new Promise((resolve) => setTimeout(resolve, 20 - Number(completion)));
    inFlight--;
    return { reward: Number(completion), details: {} };
  };
  const combined = combineRewards([{ name: 'n', fn: slow, weight: 2 }]);
  const items = Array.from({ length: 10 }, (_, k) => ({ completion: String(k), sample: {} }));
  const results = await scoreAll(combined, items, { concurrency: 3 });
  assert.deepEqual(results.map((r) => r.reward), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assert.equal(most, 3);
  assert.deepEqual(await scoreAll(combined, []), []);
  await assert.rejects(scoreAll(combined, items, { concurrency: 0 }), RangeError);
});
