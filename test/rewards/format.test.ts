// Format rewards: a table of hand-made completions, each judged strict and lenient with the exact reason
// when it fails, for both templates, with and without a template-opened think block; and tag counting.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FormatOptions } from '../../src/rewards/format.js';
import { countOccurrences, lenientFormatReward, strictFormatReward, tagCountReward } from '../../src/rewards/format.js';

/** [completion, options, strict verdict, lenient verdict]: a verdict is 'ok' or the expected reason. */
type Case = readonly [string, FormatOptions, string, string];

const THINK: FormatOptions = { template: 'think' };
const OPENED: FormatOptions = { template: 'think', reasoningOpened: true };
const ZERO: FormatOptions = { template: 'think-answer' };
const ZERO_OPENED: FormatOptions = { template: 'think-answer', reasoningOpened: true };

const NEWLINES_R = 'the reasoning needs a newline right after <think> and right before </think>';
const NEWLINES_A = 'the answer needs a newline right after <answer> and right before </answer>';

const cases: Case[] = [
  // R1's layout.
  ['<think>\nR\n</think>\n\nThe answer is 4.', THINK, 'ok', 'ok'],
  ['<think>\nline 1\n\nline 2\n</think>\n\n4', THINK, 'ok', 'ok'],
  ['<think>R</think>4', THINK, NEWLINES_R, 'ok'],
  ['<think>\nR</think>\n\n4', THINK, NEWLINES_R, 'ok'],
  ['<think>\nR\n</think>\n4', THINK, 'the answer needs a blank line after </think>, then the answer', 'ok'],
  ['<think>\nR\n</think>\n\n\n4', THINK, 'the answer needs a blank line after </think>, then the answer', 'ok'],
  ['\n<think>\nR\n</think>\n\n4', THINK, 'the text before <think> needs nothing', 'ok'],
  ['Sure. <think>\nR\n</think>\n\n4', THINK, 'the text before <think> needs nothing but whitespace', 'the text before <think> needs nothing but whitespace'],
  ['<think>\nR\n</think>\n\n', THINK, 'the answer needs some text', 'the answer needs some text'],
  ['<think>\n\n</think>\n\n4', THINK, 'the reasoning needs some text', 'the reasoning needs some text'],
  ['<think>\nR is cut off here', THINK, 'expected one </think>, found 0', 'expected one </think>, found 0'],
  ['', THINK, 'expected one <think>, found 0', 'expected one <think>, found 0'],
  ['Just 4.', THINK, 'expected one <think>, found 0', 'expected one <think>, found 0'],
  ['<think>\na <think> b\n</think>\n\n4', THINK, 'expected one <think>, found 2', 'expected one <think>, found 2'],
  ['<think>\nR\n</think>\n\n4 </think>', THINK, 'expected one </think>, found 2', 'expected one </think>, found 2'],
  ['</think>\n\n<think>\nR', THINK, '</think> comes before <think>', '</think> comes before <think>'],
  // The template opened the block: the completion starts inside it.
  ['R\n</think>\n\n4', OPENED, 'ok', 'ok'],
  ['R</think>\n\n4', OPENED, NEWLINES_R, 'ok'],
  ['<think>\nR\n</think>\n\n4', OPENED, 'expected one <think>, found 2', 'ok'],
  ['\n<think>R</think>4', OPENED, 'expected one <think>, found 2', 'ok'],
  ['<think>\n<think>\nR\n</think>\n\n4', OPENED, 'expected one <think>, found 3', 'expected one <think>, found 2'],
  ['R, cut off', OPENED, 'expected one </think>, found 0', 'expected one </think>, found 0'],
  ['\n</think>\n\n4', OPENED, 'the reasoning needs some text', 'the reasoning needs some text'],
  ['R\n</think>\n\n4', THINK, 'expected one <think>, found 0', 'expected one <think>, found 0'],
  // The R1-Zero template.
  ['<think>\nR\n</think>\n<answer>\n4\n</answer>', ZERO, 'ok', 'ok'],
  ['<think>\nR\n</think>\n<answer>\n4\n</answer>\n', ZERO, 'ok', 'ok'],
  ['<think> R </think> <answer> 4 </answer>', ZERO, NEWLINES_R, 'ok'],
  ['<think>\nR\n</think><answer>\n4\n</answer>', ZERO, 'the text between </think> and <answer> needs one newline', 'ok'],
  ['<think>\nR\n</think>\n\n<answer>\n4\n</answer>', ZERO, 'the text between </think> and <answer> needs one newline', 'ok'],
  ['<think>\nR\n</think>\n<answer>4</answer>', ZERO, NEWLINES_A, 'ok'],
  ['<think>\nR\n</think>\n<answer>\n\n</answer>', ZERO, 'the answer needs some text', 'the answer needs some text'],
  ['<think>\nR\n</think>\nso <answer>\n4\n</answer>', ZERO, 'the text between </think> and <answer> needs nothing but whitespace', 'the text between </think> and <answer> needs nothing but whitespace'],
  ['<think>\nR\n</think>\n<answer>\n4\n</answer>\nHope this helps.', ZERO, 'the text after </answer> needs nothing but whitespace', 'the text after </answer> needs nothing but whitespace'],
  // open-r1's regex accepts this (its `$` matches at the first line end); a second answer must not pass.
  ['<think>\nR\n</think>\n<answer>\n4\n</answer>\n<think>\nS\n</think>\n<answer>\n5\n</answer>', ZERO, 'expected one <think>, found 2', 'expected one <think>, found 2'],
  ['<think>\nR\n</think>\n<answer>\n4', ZERO, 'expected one </answer>, found 0', 'expected one </answer>, found 0'],
  ['<think>\nR\n</think>\n\n4', ZERO, 'expected one <answer>, found 0', 'expected one <answer>, found 0'],
  ['<think>\nR\n<answer>\n4\n</answer>\n</think>\n', ZERO, '<answer> comes before </think>', '<answer> comes before </think>'],
  ['R\n</think>\n<answer>\n4\n</answer>', ZERO_OPENED, 'ok', 'ok'],
  ['R</think><answer>4</answer>', ZERO_OPENED, NEWLINES_R, 'ok'],
];

test('strict and lenient format: verdict and reason for each hand-made completion', () => {
  for (const [text, options, strict, lenient] of cases) {
    for (const [want, fn, label] of [[strict, strictFormatReward(options), 'strict'], [lenient, lenientFormatReward(options), 'lenient']] as const) {
      const got = fn(text, {});
      const what = `${label} ${JSON.stringify(options)} ${JSON.stringify(text)}`;
      assert.equal(got.reward, want === 'ok' ? 1 : 0, what);
      assert.deepEqual(got.details, { template: options.template, strict: label === 'strict', reason: want === 'ok' ? 'format ok' : want }, what);
    }
  }
});

test('the default template is R1\'s think + answer, the block not opened by the prompt', () => {
  assert.equal(strictFormatReward()('<think>\nR\n</think>\n\n4', {}).reward, 1);
  assert.equal(strictFormatReward()('R\n</think>\n\n4', {}).reward, 0);
  assert.equal(lenientFormatReward()('<think>\nR\n</think>\n<answer>\n4\n</answer>', {}).reward, 1);
});

test('tag count: a share for each newline-bearing tag piece that occurs exactly once', () => {
  const cases: [string, FormatOptions, number, Record<string, number>][] = [
    ['<think>\nR\n</think>\n<answer>\n4\n</answer>', ZERO, 1, { '<think>\n': 1, '\n</think>\n': 1, '\n<answer>\n': 1, '\n</answer>': 1 }],
    ['<think>R</think><answer>4</answer>', ZERO, 0, { '<think>\n': 0, '\n</think>\n': 0, '\n<answer>\n': 0, '\n</answer>': 0 }],
    ['<think>\nR</think>\n<answer>\n4\n</answer>', ZERO, 0.75, { '<think>\n': 1, '\n</think>\n': 0, '\n<answer>\n': 1, '\n</answer>': 1 }],
    ['<think>\nR\n</think>\n<think>\nS\n</think>\n<answer>\n4\n</answer>', ZERO, 0.5, { '<think>\n': 2, '\n</think>\n': 2, '\n<answer>\n': 1, '\n</answer>': 1 }],
    ['R\n</think>\n<answer>\n4\n</answer>', ZERO_OPENED, 1, { '<think>\n': 1, '\n</think>\n': 1, '\n<answer>\n': 1, '\n</answer>': 1 }],
    ['<think>\nR\n</think>\n\n4', THINK, 1, { '<think>\n': 1, '\n</think>\n': 1 }],
    ['R\n</think>\n\n4', OPENED, 1, { '<think>\n': 1, '\n</think>\n': 1 }],
    ['R\n</think>\n\n4', THINK, 0.5, { '<think>\n': 0, '\n</think>\n': 1 }],
    ['<think>\nR\n</think>\n\n4', OPENED, 0.5, { '<think>\n': 2, '\n</think>\n': 1 }],
    ['', THINK, 0, { '<think>\n': 0, '\n</think>\n': 0 }],
  ];
  for (const [text, options, reward, counts] of cases) {
    assert.deepEqual(tagCountReward(options)(text, {}), { reward, details: { template: options.template, counts } }, JSON.stringify(text));
  }
});

test('occurrences are counted without overlap, as Python\'s str.count does', () => {
  assert.equal(countOccurrences('aaaa', 'aa'), 2);
  assert.equal(countOccurrences('aaa', 'aa'), 1);
  assert.equal(countOccurrences('\n</think>\n</think>\n', '\n</think>\n'), 1);
  assert.equal(countOccurrences('', '<think>'), 0);
});
