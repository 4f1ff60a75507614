// The recipe's cold-start set: the answer-only share is exact and spread over the levels, every reply
// (worked or answer-only) is right by the family's own reward, and a share that leaves no worked
// solution is refused with the option's name.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coldStartExamples, problemSets, resolveMiniR1Options } from '../../src/recipes/mini-r1/index.js';
import { taskReward } from '../../src/tasks/index.js';

const COUNTS = { sftPerFamily: 400, grpoPerFamily: 8, distillPerFamily: 8, heldoutPerFamily: 8 };

test('coldStartExamples: answer-only for exactly the share, on every level, and every reply verifies', () => {
  const { sft } = problemSets(['arithmetic', 'linear'], [1, 2], [2], COUNTS, 0);
  const reward = taskReward();
  for (const share of [0, 0.25, 0.4]) {
    const examples = coldStartExamples(sft, share);
    assert.equal(examples.length, sft.length);
    const bare = examples.map((e, i) => {
      const reply = e.messages.find((m) => m.role === 'assistant')!.content;
      // The reply is the problem's own solution: the family's reward accepts it.
      assert.equal(e.messages[0]!.content, sft[i]!.problem);
      assert.equal(reward(reply, sft[i]!).reward, 1, reply);
      return reply.split('\n').length === 5; // <think>, the restated problem, </think>, blank, the answer
    });
    assert.equal(bare.filter(Boolean).length, Math.floor(sft.length * share), `share ${share}`);
    for (const family of ['arithmetic', 'linear']) {
      for (const level of [1, 2]) {
        const at = sft.flatMap((t, i) => (t.family === family && t.difficulty === level ? [bare[i]] : []));
        assert.equal(at.length, 200);
        assert.ok(Math.abs(at.filter(Boolean).length - 200 * share) <= 1, `${family} level ${level}: ${at.filter(Boolean).length} answer-only at share ${share}`);
      }
    }
  }
});

test('answerOnlyShare outside [0, 1) is refused, naming the option', () => {
  assert.throws(() => coldStartExamples([], 1.5), /answerOnlyShare must be in \[0, 1\], got 1\.5/);
  assert.throws(() => resolveMiniR1Options({ runDir: '/tmp/x', answerOnlyShare: 1 }), /answerOnlyShare must be in \[0, 1\) \(some solutions must show the work\), got 1/);
  assert.equal(resolveMiniR1Options({ runDir: '/tmp/x', answerOnlyShare: 0 }).answerOnlyShare, 0);
});
