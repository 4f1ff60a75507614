// GRPO learns (issue 6, acceptance 2): a tiny random chat model is rewarded for answering with one target
// token ("4", one of 330: chance ≈ 0.003). The real loop — LocalEngine rollouts, combined rewards, group
// advantages, π_old by a no-grad forward, the clipped surrogate, AdamW, the metrics log and a final
// checkpoint — raises the mean reward to ≥ 0.9. Seeded, so the curve is the same on every run.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalEngine } from '../../src/engine/index.js';
import { combineRewards } from '../../src/rewards/index.js';
import type { RewardFn } from '../../src/rewards/index.js';
import type { GrpoTask } from '../../src/train/grpo/index.js';
import { GrpoTrainer } from '../../src/train/grpo/index.js';
import { tinyChatModel } from '../engine/fixture.js';

const QUESTIONS = ['What is 17 + 25?', 'How many clips did Natalia sell?', 'Add 2 and 3.', 'What is 48 / 2?', 'The answer is?', 'Sum of 4 and 5?', 'What is six times seven?', 'Give a number.'];

/** 1 when the completion starts with the target token. */
const startsWithTarget: RewardFn = (completion, sample) => ({ reward: completion.startsWith(sample.answer!) ? 1 : 0, details: {} });
/** A metric-only part (weight 0): it is logged but not optimised. */
const tokensUsed: RewardFn = (_completion, sample) => ({ reward: sample.completionTokens ?? null, details: {} });

test('GRPO raises the mean reward from chance to ≥ 0.9 on a target-token task', async () => {
  const { model, tokenizer } = tinyChatModel();
  const engine = new LocalEngine(model, tokenizer, { maxBatch: 128 });
  const tasks: GrpoTask[] = QUESTIONS.map((q) => ({ messages: [{ role: 'user', content: q }], sample: { answer: '4' } }));
  const reward = combineRewards([{ name: 'target', fn: startsWithTarget, weight: 1 }, { name: 'tokens', fn: tokensUsed, weight: 0 }]);
  const runDir = mkdtempSync(join(tmpdir(), 'r1ts-grpo-learn-'));
  const trainer = new GrpoTrainer({
    policy: model, tokenizer, engine, tasks, reward, runDir,
    options: { steps: 36, promptsPerStep: 8, groupSize: 16, maxTokens: 2, sampling: { temperature: 1 }, optimizer: { lr: 2e-2 }, seed: 1, progress: false },
  });
  try {
    const history = await trainer.train();
    const curve = history.map((m) => m['reward/mean']!);
    console.log(`reward curve: ${curve.map((r) => r.toFixed(2)).join(' ')}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(curve.slice(0, 3)) < 0.02, `the first steps are near chance (1/${tokenizer.vocabSize}): ${curve.slice(0, 3)}`);
    assert.ok(mean(curve.slice(-3)) >= 0.9, `the last steps reach ≥ 0.9: ${curve.slice(-3)}`);
    for (const m of history) {
      // π_old is the engine's sampling distribution (plain temperature), token for token.
      assert.ok(m['rollout/logprob_gap']! < 1e-4, `π_old vs the engine's log-probs: ${m['rollout/logprob_gap']}`);
      // μ = 1, one mini-batch: the update is on-policy, so ρ = 1 and nothing is clipped.
      if (m.updates! > 0 && !Number.isNaN(m.ratio!)) {
        assert.ok(Math.abs(m.ratio! - 1) < 1e-5, `ratio ${m.ratio}`);
        assert.equal(m['clip/total'], 0);
      }
      assert.equal(m['reward/tokens/mean'], m['completion/length_mean'], 'each reward function is logged apart');
    }
    assert.ok(history.at(-1)!.entropy! < history[0]!.entropy!, 'the policy sharpens');
    // The metrics log holds the same curve, and the run ends with a checkpoint.
    const logged = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(logged.map((l) => l.step), history.map((_, i) => i + 1));
    assert.deepEqual(logged.map((l) => l['reward/mean']), curve);
    assert.ok(existsSync(join(runDir, 'checkpoints', 'step-00000036', 'model.safetensors')));
    const last = history.at(-1)!;
    console.log(`rollout ${last['perf/rollout_tokens_per_s']!.toFixed(0)} tok/s, update ${last['perf/update_tokens_per_s']!.toFixed(0)} tok/s, step ${(1000 * last['time/step_s']!).toFixed(0)} ms`);
  } finally {
    trainer.dispose();
    model.dispose();
    rmSync(runDir, { recursive: true, force: true });
  }
});
