// Length-shaped rewards: cosine endpoints, midpoint and clamping beyond maxLength for right and wrong
// answers, tokens versus characters, null correctness; DAPO's soft overlong ramp at its breakpoints.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completionLength, cosineScaledReward, softOverlongPunishment } from '../../src/rewards/length.js';
import type { RewardResult } from '../../src/rewards/types.js';

const judged = (reward: number | null) => (): RewardResult => ({ reward, details: { judged: reward } });
const text = (n: number): string => 'x'.repeat(n);

test('length: tokens when the sample carries them, else characters', () => {
  assert.deepEqual(completionLength('abc', {}), { length: 3, unit: 'characters' });
  assert.deepEqual(completionLength('abc', { completionTokens: 120 }), { length: 120, unit: 'tokens' });
  assert.deepEqual(completionLength('abc', { completionTokens: 0 }), { length: 0, unit: 'tokens' });
  assert.deepEqual(completionLength('abc', { completionTokens: -1 }), { length: 3, unit: 'characters' });
  assert.deepEqual(completionLength('abc', { completionTokens: Number.NaN }), { length: 3, unit: 'characters' });
});

test('cosine: correct 1.0 → 0.5 and wrong −1.0 → −0.5 over [0, maxLength], clamped beyond', () => {
  const right = cosineScaledReward({ maxLength: 100, correctness: judged(1) });
  const wrong = cosineScaledReward({ maxLength: 100, correctness: judged(0) });
  const cases: [number, number, number][] = [
    // [length, correct, wrong]
    [0, 1, -1],
    [50, 0.75, -0.75],
    [100, 0.5, -0.5],
    // open-r1 would climb back up the cosine here (1.0 / −1.0 at twice maxLength).
    [150, 0.5, -0.5],
    [200, 0.5, -0.5],
  ];
  for (const [n, r, w] of cases) {
    assert.equal(right(text(n), {}).reward, r, `correct, length ${n}`);
    assert.equal(wrong(text(n), {}).reward, w, `wrong, length ${n}`);
  }
  // A quarter of the way: 0.5 + 0.25 · (1 + cos(π/4)).
  assert.equal(right(text(25), {}).reward, 0.5 + 0.25 * (1 + Math.SQRT1_2));
  assert.deepEqual(right(text(50), {}).details, { correct: true, length: 50, unit: 'characters', progress: 0.5, correctness: { judged: 1 } });
  assert.deepEqual(wrong('short', { completionTokens: 300 }).details, { correct: false, length: 300, unit: 'tokens', progress: 1, correctness: { judged: 0 } });
});

test('cosine: custom values, the open-r1 CLI default of 0 for short wrong answers, null correctness', () => {
  const custom = cosineScaledReward({ maxLength: 10, correctShort: 2, correctLong: 1, wrongShort: 0, wrongLong: -0.5, correctness: judged(0) });
  assert.equal(custom(text(0), {}).reward, 0);
  assert.equal(custom(text(5), {}).reward, -0.25);
  assert.equal(custom(text(10), {}).reward, -0.5);
  const positive = cosineScaledReward({ maxLength: 10, correctShort: 2, correctLong: 1, correctness: judged(0.5) });
  assert.equal(positive(text(5), {}).reward, 1.5);
  const noGold = cosineScaledReward({ maxLength: 10, correctness: judged(null) });
  assert.deepEqual(noGold(text(5), {}), { reward: null, details: { correctness: { judged: null } } });
  assert.throws(() => cosineScaledReward({ maxLength: 0, correctness: judged(1) }), RangeError);
});

test('soft overlong: 0, then a linear ramp to −1 over the cache, −1 beyond', () => {
  const punish = softOverlongPunishment({ maxLength: 100, cacheLength: 20 });
  const cases: [number, number][] = [[0, 0], [80, 0], [81, -0.05], [90, -0.5], [100, -1], [101, -1], [5000, -1]];
  for (const [n, want] of cases) assert.equal(punish(text(n), {}).reward, want, `length ${n}`);
  assert.deepEqual(punish('', { completionTokens: 95 }), { reward: -0.75, details: { length: 95, unit: 'tokens' } });
  const defaults = softOverlongPunishment();
  assert.equal(defaults('', { completionTokens: 12288 }).reward, 0);
  assert.equal(defaults('', { completionTokens: 14336 }).reward, -0.5);
  assert.equal(defaults('', { completionTokens: 16384 }).reward, -1);
  assert.throws(() => softOverlongPunishment({ maxLength: 10, cacheLength: 20 }), RangeError);
  assert.throws(() => softOverlongPunishment({ maxLength: 10, cacheLength: 0 }), RangeError);
});
