// Rewards by name (run configs): every name builds its reward, the think block is taken as opened by the
// template unless said otherwise, options reach the factory, and an unknown name is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namedReward, REWARD_NAMES } from '../../src/rewards/index.js';

const OPENED = 'First, add 2 and 3.\n</think>\n\nThe answer is \\boxed{5}.';

test('each named reward scores a completion whose think block the template opened', async () => {
  const expected: Record<string, number> = {
    // cosine: correct and 12 of 1000 tokens long, 0.5 + 0.25·(1 + cos(π·0.012)).
    accuracy: 1, format: 1, 'strict-format': 1, 'tag-count': 1, 'reasoning-steps': 1 / 3, cosine: 0.5 + 0.25 * (1 + Math.cos(Math.PI * 0.012)),
    overlong: 0, repetition: 0, language: 1,
  };
  assert.deepEqual([...REWARD_NAMES].sort(), Object.keys(expected).sort());
  for (const name of REWARD_NAMES) {
    const r = await namedReward(name)(OPENED, { answer: '5', completionTokens: 12 });
    assert.ok(Math.abs(r.reward! - expected[name]!) < 1e-9, `${name}: ${r.reward} (${JSON.stringify(r.details)})`);
  }
  // Not opened by the template: there is no think block to close, so the format fails.
  assert.equal((await namedReward('format', {}, false)(OPENED, { answer: '5' })).reward, 0);
  // Options reach the factory.
  assert.equal((await namedReward('accuracy', { extract: { lastNumberFallback: true } })('</think> so 5', { answer: '5' })).reward, 1);
  assert.equal((await namedReward('accuracy')('</think> so 5', { answer: '5' })).reward, 0);
});

test('an unknown reward name lists the known ones', () => {
  assert.throws(() => namedReward('acuracy'), /unknown reward "acuracy"; known: accuracy, format/);
});
