// Answer extraction: a table of completions with the answer each must give (or none), covering every
// source (\boxed, \fbox, <answer>, ####, "the answer is", the last number), their order of trust, and
// the reasoning block rules: only text after </think> counts, an unclosed block has no answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerRegion, extractAnswer } from '../../src/rewards/extract.js';
import type { ExtractedAnswer, ExtractOptions } from '../../src/rewards/extract.js';

type Case = readonly [name: string, completion: string, options: ExtractOptions, expected: ExtractedAnswer | null];

const boxed = (text: string): ExtractedAnswer => ({ text, source: 'boxed' });

const cases: readonly Case[] = [
  // \boxed and \fbox
  ['plain box', 'So $\\boxed{5}$.', {}, boxed('5')],
  ['nested braces', '\\boxed{\\frac{1}{\\sqrt{2}}}', {}, boxed('\\frac{1}{\\sqrt{2}}')],
  ['escaped braces do not group', '\\boxed{\\{1, 2\\}}', {}, boxed('\\{1, 2\\}')],
  ['an escaped closing brace inside', '\\boxed{\\left\\{ x \\right\\}}', {}, boxed('\\left\\{ x \\right\\}')],
  ['deeply nested', '\\boxed{{{{{{x}}}}}}', {}, boxed('{{{{{x}}}}}')],
  ['the last box wins by default', '\\boxed{1} then \\boxed{2}', {}, boxed('2')],
  ['the first box when asked', '\\boxed{1} then \\boxed{2}', { boxed: 'first' }, boxed('1')],
  ['\\fbox', 'thus \\fbox{7}', {}, boxed('7')],
  ['\\fbox and \\boxed mixed', '\\fbox{7} and \\boxed{8}', {}, boxed('8')],
  ['a box without braces', 'The answer is $\\boxed 5$.', {}, boxed('5')],
  ['a box without braces before a period', '\\boxed 42.', {}, boxed('42')],
  ['a box with a space before the brace', '\\boxed {3}', {}, boxed('3')],
  ['content is trimmed', '\\boxed{  3  }', {}, boxed('3')],
  ['\\boxedfoo is not a box', '\\boxedfoo{3}', {}, null],
  ['an unclosed box is skipped', '\\boxed{3', {}, null],
  ['an unclosed box after a good one', '\\boxed{3} \\boxed{4', {}, boxed('3')],
  ['an empty last box gives no answer', '\\boxed{3} \\boxed{}', {}, null],
  ['a box beats an answer tag', '<answer>\\boxed{7}</answer>', {}, boxed('7')],
  ['a box beats a phrase', 'The answer is 6. \\boxed{7}', {}, boxed('7')],
  // <answer> tags (the R1-Zero template)
  ['answer tag', '<think>hmm</think><answer>42</answer>', {}, { text: '42', source: 'answer-tag' }],
  ['answer tag, trimmed', '<answer>\n  x = 3 \n</answer>', {}, { text: 'x = 3', source: 'answer-tag' }],
  ['the last answer tag', '<answer>1</answer><answer>2</answer>', {}, { text: '2', source: 'answer-tag' }],
  ['an unclosed answer tag is no answer', '<answer>42', {}, null],
  ['an answer tag beats ####', '#### 1\n<answer>2</answer>', {}, { text: '2', source: 'answer-tag' }],
  // GSM8K
  ['#### line', 'She pays 3*6=<<3*6=18>>18 dollars.\n#### 18', {}, { text: '18', source: 'gsm8k' }],
  ['#### with separators', '#### 1,234', {}, { text: '1,234', source: 'gsm8k' }],
  ['#### negative', 'so\n####-5', {}, { text: '-5', source: 'gsm8k' }],
  ['#### beats a phrase', 'The answer is 6.\n#### 7', {}, { text: '7', source: 'gsm8k' }],
  // "the (final) answer is …"
  ['phrase', 'The answer is 42.', {}, { text: '42', source: 'phrase' }],
  ['phrase with final', 'Therefore the final answer is 3.5.', {}, { text: '3.5', source: 'phrase' }],
  ['phrase with math', 'The final answer is $\\frac{1}{2}$. I hope it is correct.', {}, { text: '\\frac{1}{2}', source: 'phrase' }],
  ['phrase with a colon', 'Final Answer: 12', {}, { text: '12', source: 'phrase' }],
  ['phrase ends at the line', 'the answer is x = 2\nbecause …', {}, { text: 'x = 2', source: 'phrase' }],
  ['the last phrase', 'The answer is 1. No wait, the answer is 2.', {}, { text: '2', source: 'phrase' }],
  ['a decimal point is not a sentence end', 'The answer is 0.25 exactly.', {}, { text: '0.25 exactly', source: 'phrase' }],
  // the last-number fallback
  ['no fallback by default', 'I computed 12 and then 13', {}, null],
  ['fallback when asked', 'I computed 12 and then 13', { lastNumberFallback: true }, { text: '13', source: 'last-number' }],
  ['fallback keeps signs and decimals', 'x = -3.5 at the end', { lastNumberFallback: true }, { text: '-3.5', source: 'last-number' }],
  ['fallback keeps thousands separators', 'total 1,234,567 apples', { lastNumberFallback: true }, { text: '1,234,567', source: 'last-number' }],
  ['fallback with no number', 'no digits here', { lastNumberFallback: true }, null],
  ['a box beats the fallback', '\\boxed{1} then 99', { lastNumberFallback: true }, boxed('1')],
  // the reasoning block
  ['only after </think>', '<think>maybe \\boxed{1}</think> so \\boxed{2}', {}, boxed('2')],
  ['a box inside the reasoning does not count', '<think>\\boxed{1}</think> I am not sure.', {}, null],
  ['an unclosed think block has no answer', '<think>so \\boxed{1}', {}, null],
  ['the template opened <think>: no </think>, no answer', 'so \\boxed{1}', { reasoningOpened: true }, null],
  ['the template opened <think>: after </think>', 'reasoning \\boxed{1}</think>\n\\boxed{2}', { reasoningOpened: true }, boxed('2')],
  ['a second think block left open', '<think>a</think>\\boxed{1}<think>b \\boxed{2}', {}, null],
  ['the last </think> counts', '<think>a</think>\\boxed{1}<think>b</think>\\boxed{2}', {}, boxed('2')],
  ['no think block at all', 'Just \\boxed{9}', {}, boxed('9')],
  ['the fallback also respects the think block', '<think>12</think> no idea', { lastNumberFallback: true }, null],
  ['empty completion', '', {}, null],
];

for (const [name, completion, options, expected] of cases) {
  test(`extractAnswer: ${name}`, () => {
    assert.deepEqual(extractAnswer(completion, options), expected);
  });
}

test('answerRegion: the text after the last </think>, or null for an open block', () => {
  assert.equal(answerRegion('<think>a</think>b'), 'b');
  assert.equal(answerRegion('<think>a</think>b</think>c'), 'c');
  assert.equal(answerRegion('plain'), 'plain');
  assert.equal(answerRegion('plain', { reasoningOpened: true }), null);
  assert.equal(answerRegion('a</think>b', { reasoningOpened: true }), 'b');
  assert.equal(answerRegion('<think>a'), null);
  assert.equal(answerRegion('<think>a</think>b<think>c'), null);
  assert.equal(answerRegion(42 as unknown as string), null);
});

test('extraction stays linear on a long completion full of unclosed boxes', () => {
  const completion = `${'\\boxed{'.repeat(20_000)} and finally \\boxed{5}`;
  const started = performance.now();
  assert.deepEqual(extractAnswer(completion), boxed('5'));
  assert.deepEqual(extractAnswer(`${'x'.repeat(200_000)} \\boxed{5}`), boxed('5'));
  assert.ok(performance.now() - started < 2000);
});
