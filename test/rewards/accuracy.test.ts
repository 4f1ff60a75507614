// Accuracy reward: right, wrong and missing answers on hand-made completions (the reasoning never counts,
// an unclosed think block holds no answer), samples without a usable gold give null, and the cosine
// reward uses it by default.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracyReward } from '../../src/rewards/accuracy.js';
import { cosineScaledReward } from '../../src/rewards/length.js';

const done = (answer: string): string => `<think>\nLet me work it out.\n</think>\n\n${answer}`;

test('1 when the extracted answer verifies, with its text, source and verdict', () => {
  const acc = accuracyReward();
  const half = acc(done('So \\boxed{\\frac12}.'), { answer: '0.5' });
  assert.equal(half.reward, 1);
  assert.equal(half.details.answer, '\\frac12');
  assert.equal(half.details.source, 'boxed');
  assert.equal((half.details.verdict as { equal: boolean }).equal, true);
  const cases: [string, string, string][] = [
    // [answer part, gold, source]
    ['The answer is 4.', '4', 'phrase'],
    ['#### 1,000', '1000', 'gsm8k'],
    ['<answer>\n\\{1, 2\\}\n</answer>', '\\{2, 1\\}', 'answer-tag'],
    ['First \\boxed{3}, no: \\boxed{5}', '5', 'boxed'],
  ];
  for (const [answer, gold, source] of cases) {
    const got = acc(done(answer), { answer: gold });
    assert.equal(got.reward, 1, answer);
    assert.equal(got.details.source, source, answer);
  }
});

test('0 for a wrong answer, no answer, an answer only in the reasoning, or a truncated think block', () => {
  const acc = accuracyReward();
  const wrong = acc(done('\\boxed{5}'), { answer: '4' });
  assert.equal(wrong.reward, 0);
  assert.equal(wrong.details.answer, '5');
  assert.equal((wrong.details.verdict as { equal: boolean }).equal, false);
  const none = { reward: 0, details: { reason: 'no answer found in the completion' } };
  assert.deepEqual(acc(done('I am not sure.'), { answer: '4' }), none);
  assert.deepEqual(acc('<think>\nSo \\boxed{4}.\n</think>\n\nDone.', { answer: '4' }), none);
  assert.deepEqual(acc('<think>\nSo \\boxed{4} and then', { answer: '4' }), none);
  assert.deepEqual(acc('', { answer: '4' }), none);
});

test('the template-opened think block: no </think>, no answer', () => {
  const acc = accuracyReward({ reasoningOpened: true });
  assert.equal(acc('So it is 4.\n</think>\n\n\\boxed{4}', { answer: '4' }).reward, 1);
  assert.deepEqual(acc('So it is \\boxed{4}', { answer: '4' }), { reward: 0, details: { reason: 'no answer found in the completion' } });
  assert.equal(accuracyReward()('So it is \\boxed{4}', { answer: '4' }).reward, 1);
});

test('extraction options pass through: the first box, the last-number fallback', () => {
  assert.equal(accuracyReward({ extract: { boxed: 'first' } })(done('\\boxed{3} or \\boxed{5}'), { answer: '3' }).reward, 1);
  assert.equal(accuracyReward()(done('It is 12 apples'), { answer: '12' }).reward, 0);
  assert.equal(accuracyReward({ extract: { lastNumberFallback: true } })(done('It is 12 apples'), { answer: '12' }).reward, 1);
});

test('null when the sample has no usable gold, whatever the completion says', () => {
  const acc = accuracyReward();
  assert.deepEqual(acc(done('\\boxed{4}'), {}), { reward: null, details: { reason: 'the sample has no gold answer' } });
  assert.deepEqual(acc(done('\\boxed{4}'), { answer: '  ' }), { reward: null, details: { reason: 'the sample has no gold answer' } });
  assert.deepEqual(acc(done('\\boxed{4}'), { answer: 4 as unknown as string }), { reward: null, details: { reason: 'the sample has no gold answer' } });
  // Empty once normalised, too long: the verifier refuses them, so they cannot pay out.
  for (const gold of ['$$', '9'.repeat(5000)]) {
    const got = acc(done('\\boxed{4}'), { answer: gold });
    assert.equal(got.reward, null, gold.slice(0, 10));
    assert.match(String(got.details.reason), /^the gold answer is unusable: /);
  }
});

test('the cosine reward judges correctness with the accuracy reward by default', () => {
  const cosine = cosineScaledReward({ maxLength: 1000 });
  const right = done('\\boxed{4}');
  assert.equal(cosine(right, { answer: '4', completionTokens: 0 }).reward, 1);
  assert.equal(cosine(right, { answer: '4', completionTokens: 500 }).reward, 0.75);
  assert.equal(cosine(right, { answer: '5', completionTokens: 500 }).reward, -0.75);
  assert.equal(cosine(right, { answer: '5', completionTokens: 1000 }).reward, -0.5);
  assert.equal(cosine(right, { completionTokens: 500 }).reward, null);
});
