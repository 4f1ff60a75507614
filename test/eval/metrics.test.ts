// pass@k and cons@k against hand-computed values (issue 9's acceptance) and the definitions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { majorityVote, passAtK } from '../../src/eval/metrics.js';

/** C(n, k) exactly, with BigInt. */
function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

test('passAtK equals hand-computed values and the binomial definition', () => {
  // By hand: n = 5, c = 2, k = 2: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7; k = 1: c/n = 0.4; n = 4, c = 1, k = 3: 1 − C(3,3)/C(4,3) = 0.75.
  assert.ok(Math.abs(passAtK(5, 2, 2) - 0.7) < 1e-15);
  assert.ok(Math.abs(passAtK(5, 2, 1) - 0.4) < 1e-15);
  assert.ok(Math.abs(passAtK(4, 1, 3) - 0.75) < 1e-15);
  assert.equal(passAtK(10, 0, 5), 0);
  assert.equal(passAtK(10, 7, 4), 1, 'fewer than k wrong samples: certain');
  assert.equal(passAtK(64, 64, 1), 1);
  for (const [n, c, k] of [[16, 3, 1], [16, 3, 4], [64, 10, 8], [100, 37, 50], [200, 1, 199]] as const) {
    const exact = 1 - Number((choose(n - c, k) * 10n ** 15n) / choose(n, k)) / 1e15;
    assert.ok(Math.abs(passAtK(n, c, k) - exact) < 1e-12, `n ${n} c ${c} k ${k}: ${passAtK(n, c, k)} vs ${exact}`);
  }
  for (const [n, c, k] of [[0, 0, 1], [5, 6, 1], [5, 2, 0], [5, 2, 6], [5, 1.5, 1]] as const) assert.throws(() => passAtK(n, c, k), /need integers/);
});

test('majorityVote groups equivalent answers, breaks ties by first appearance, ignores missing answers', () => {
  // "0.5", "\frac12" and "1/2" are one answer (3 votes) against "2" (2 votes).
  assert.deepEqual(majorityVote(['2', '0.5', '\\frac{1}{2}', '2', null, '1/2'], '\\dfrac12'), { answer: '0.5', votes: 3, answered: 5, correct: true });
  // A wrong majority loses even when the gold answer is among the samples.
  assert.deepEqual(majorityVote(['3', '4', '3'], '4'), { answer: '3', votes: 2, answered: 3, correct: false });
  // Tie (2 vs 2): the group seen first wins.
  assert.equal(majorityVote(['7', '8', '8', '7'], '8').answer, '7');
  assert.equal(majorityVote(['8', '7', '7', '8'], '8').correct, true);
  assert.deepEqual(majorityVote([null, null], '1'), { answer: null, votes: 0, answered: 0, correct: false });
});
