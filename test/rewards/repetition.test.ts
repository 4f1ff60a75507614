// Repetition penalty: texts with known n-gram counts, Chinese split by character, and the edge cases.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repetitionPenaltyReward, repetitionWords } from '../../src/rewards/repetition.js';

test('words: lower-cased whitespace runs, each Chinese or Japanese character its own word', () => {
  assert.deepEqual(repetitionWords('The  cat\nSAT, ok.'), ['the', 'cat', 'sat,', 'ok.']);
  assert.deepEqual(repetitionWords('我们计算x=3 next'), ['我', '们', '计', '算', 'x=3', 'next']);
  assert.deepEqual(repetitionWords('ひらがなとカタカナ'), ['ひ', 'ら', 'が', 'な', 'と', 'カ', 'タ', 'カ', 'ナ']);
  assert.deepEqual(repetitionWords('   '), []);
});

test('penalty = (1 − unique/total) · maxPenalty with known n-gram counts', () => {
  const trigram = repetitionPenaltyReward();
  // 6 words → 4 trigrams, all distinct.
  assert.deepEqual(trigram('one two three four five six', {}), { reward: 0, details: { ngrams: 4, unique: 4 } });
  // "a b c a b c a b c": 7 trigrams, 3 distinct (abc, bca, cab) → (1 − 3/7) · −1.
  assert.deepEqual(trigram('a b c a b c a b c', {}), { reward: -(1 - 3 / 7), details: { ngrams: 7, unique: 3 } });
  // Case is ignored: "Go go GO go" → 2 trigrams, 1 distinct.
  assert.deepEqual(trigram('Go go GO go', {}), { reward: -0.5, details: { ngrams: 2, unique: 1 } });
  const bigram = repetitionPenaltyReward({ ngramSize: 2, maxPenalty: -0.5 });
  // "a b a b": 3 bigrams (ab, ba, ab), 2 distinct → (1 − 2/3) · −0.5.
  assert.deepEqual(bigram('a b a b', {}), { reward: -(1 - 2 / 3) * 0.5, details: { ngrams: 3, unique: 2 } });
  // Chinese repeated without spaces: 对对对对 → bigrams 对对 ×3, 1 distinct.
  assert.deepEqual(bigram('对对对对', {}), { reward: -(1 - 1 / 3) * 0.5, details: { ngrams: 3, unique: 1 } });
  // Unigrams: 4 words, 1 distinct.
  assert.deepEqual(repetitionPenaltyReward({ ngramSize: 1 })('x x x x', {}), { reward: -0.75, details: { ngrams: 4, unique: 1 } });
});

test('texts shorter than n and empty texts get 0; bad options are refused', () => {
  const trigram = repetitionPenaltyReward();
  assert.deepEqual(trigram('', {}), { reward: 0, details: { ngrams: 0, unique: 0 } });
  assert.deepEqual(trigram('two words', {}), { reward: 0, details: { ngrams: 0, unique: 0 } });
  assert.deepEqual(trigram('exactly three words', {}), { reward: 0, details: { ngrams: 1, unique: 1 } });
  // Bigrams whose words split differently stay distinct: "ab c" and "a bc".
  assert.deepEqual(repetitionPenaltyReward({ ngramSize: 2 })('ab c a bc', {}), { reward: 0, details: { ngrams: 3, unique: 3 } });
  assert.throws(() => repetitionPenaltyReward({ maxPenalty: 0.5 }), RangeError);
  assert.throws(() => repetitionPenaltyReward({ ngramSize: 0 }), RangeError);
});
