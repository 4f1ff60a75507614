// Language consistency: English, Chinese and mixed thinking with exact word counts, notation left out,
// only the thinking judged, and the template-opened and truncated cases.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languageConsistencyReward, languageWords, thinkingText } from '../../src/rewards/language.js';

test('words: Han and kana one per character, other letters by run; notation and single Latin letters left out', () => {
  assert.deepEqual(languageWords('Let x be 3, so 2x = 6.'), ['Let', 'be', 'so']);
  assert.deepEqual(languageWords('我们设x为3'), ['我', '们', '设', '为']);
  assert.deepEqual(languageWords('所以 $\\frac{ab}{cd} = 2$ 成立'), ['所', '以', '成', '立']);
  assert.deepEqual(languageWords('use \\sqrt{2} and \\(a + bc\\) or \\[de\\] then $$fg$$ done'), ['use', 'and', 'or', 'then', 'done']);
  assert.deepEqual(languageWords('Привет мир, café naïve'), ['Привет', 'мир', 'café', 'naïve']);
  assert.deepEqual(languageWords('これはテストです'), ['こ', 'れ', 'は', 'テ', 'ス', 'ト', 'で', 'す']);
  assert.deepEqual(languageWords('12 + 3 = 15; $5 costs\n$6 more'), ['costs', 'more']);
});

test('the thinking: after <think> (or from the start when the template opened it) up to </think> or the end', () => {
  assert.equal(thinkingText('<think>\nR\n</think>\n\nA', false), '\nR\n');
  assert.equal(thinkingText('R\n</think>\n\nA', true), 'R\n');
  assert.equal(thinkingText('<think>\ncut off', false), '\ncut off');
  assert.equal(thinkingText('cut off', true), 'cut off');
  assert.equal(thinkingText('no block</think>', false), null);
  assert.equal(thinkingText('Hi <think>R</think>A', false), 'R');
});

test('share of the thinking\'s words in the target language, English and Chinese mixes', () => {
  const en = languageConsistencyReward({ language: 'en' });
  const zh = languageConsistencyReward({ language: 'zh' });
  const mixed = '<think>We need 所以 the sum</think>\n\nAnswer in any language: 答案';
  // Thinking words: We, need, 所, 以, the, sum → 4 Latin, 2 Han; the answer's words do not count.
  assert.deepEqual(en(mixed, {}), { reward: 4 / 6, details: { language: 'en', words: 6, inLanguage: 4 } });
  assert.deepEqual(zh(mixed, {}), { reward: 2 / 6, details: { language: 'zh', words: 6, inLanguage: 2 } });
  assert.deepEqual(en('<think>\nLet x = 2, so $x^2 = 4$.\n</think>\n\n4', {}), { reward: 1, details: { language: 'en', words: 2, inLanguage: 2 } });
  assert.deepEqual(zh('<think>设 x = 2，则 $x^2 = 4$。</think>4', {}), { reward: 1, details: { language: 'zh', words: 2, inLanguage: 2 } });
  assert.deepEqual(zh('<think>我们 check 一下</think>', {}), { reward: 4 / 5, details: { language: 'zh', words: 5, inLanguage: 4 } });
  assert.deepEqual(languageConsistencyReward({ language: 'ru' })('<think>Итак, the answer</think>', {}), { reward: 1 / 3, details: { language: 'ru', words: 3, inLanguage: 1 } });
  assert.deepEqual(languageConsistencyReward({ language: 'ja' })('<think>これは漢字 ok</think>', {}), { reward: 5 / 6, details: { language: 'ja', words: 6, inLanguage: 5 } });
});

test('template-opened, duplicate opener, truncated, empty and missing thinking', () => {
  const opened = languageConsistencyReward({ language: 'en', reasoningOpened: true });
  assert.deepEqual(opened('Okay so 是\n</think>\n\n答案', {}), { reward: 2 / 3, details: { language: 'en', words: 3, inLanguage: 2 } });
  // A generated opener after the template's is a tag, not the English word "think".
  assert.deepEqual(opened('<think>\n我们\n</think>', {}), { reward: 0, details: { language: 'en', words: 2, inLanguage: 0 } });
  // Cut off inside the thinking: what was written is judged.
  assert.deepEqual(opened('Okay 我', {}), { reward: 0.5, details: { language: 'en', words: 2, inLanguage: 1 } });
  const en = languageConsistencyReward();
  assert.deepEqual(en('<think>\n\n</think>\n\nHello there', {}), { reward: 0, details: { language: 'en', reason: 'no words in the thinking', words: 0, inLanguage: 0 } });
  assert.deepEqual(en('<think>$1 + 1 = 2$</think>', {}), { reward: 0, details: { language: 'en', reason: 'no words in the thinking', words: 0, inLanguage: 0 } });
  assert.deepEqual(en('Hello there', {}), { reward: 0, details: { language: 'en', reason: 'no think block', words: 0, inLanguage: 0 } });
  assert.deepEqual(en('', {}), { reward: 0, details: { language: 'en', reason: 'no think block', words: 0, inLanguage: 0 } });
});
