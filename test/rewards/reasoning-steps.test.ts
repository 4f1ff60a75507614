// Reasoning-step reward: exact marker counts on hand-made texts, including look-alikes that are not steps.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countReasoningSteps, reasoningStepsReward } from '../../src/rewards/reasoning-steps.js';

test('each kind of step marker counts; look-alikes do not', () => {
  const cases: [string, number][] = [
    ['', 0],
    ['Step 1: add. Step 2: divide.', 2],
    ['1. add\n2. divide\n10. check', 3],
    ['  1. indented\n\t2. tabbed', 2],
    ['- one\n* two\n-three\n*four', 2],
    ['First, add. Second, divide. Next, check. Finally, answer.', 4],
    ['1. First, add.', 2],
    ['3.14 is pi\n-5 is negative\n---\n**bold**', 0],
    ['The first, the next, firstly,', 0],
    ['Step one: words are not numbers', 0],
    ['no steps here, just 2. numbers mid-line', 0],
  ];
  for (const [text, steps] of cases) assert.equal(countReasoningSteps(text), steps, JSON.stringify(text));
});

test('the reward is min(1, steps / stepsForFullReward)', () => {
  const reward = reasoningStepsReward();
  assert.deepEqual(reward('Step 1: a', {}), { reward: 1 / 3, details: { steps: 1 } });
  assert.deepEqual(reward('Step 1: a\nStep 2: b', {}), { reward: 2 / 3, details: { steps: 2 } });
  assert.deepEqual(reward('Step 1: a\nStep 2: b\nFinally, c', {}), { reward: 1, details: { steps: 3 } });
  assert.deepEqual(reward('1. a\n2. b\n3. c\n4. d\n5. e', {}), { reward: 1, details: { steps: 5 } });
  assert.deepEqual(reward('', {}), { reward: 0, details: { steps: 0 } });
  assert.deepEqual(reasoningStepsReward({ stepsForFullReward: 4 })('- a\n- b', {}), { reward: 0.5, details: { steps: 2 } });
  assert.throws(() => reasoningStepsReward({ stepsForFullReward: 0 }), RangeError);
  assert.throws(() => reasoningStepsReward({ stepsForFullReward: 1.5 }), RangeError);
});
