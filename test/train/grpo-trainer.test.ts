// The GRPO loop's options on a tiny chat model: micro-batching changes nothing but memory; μ passes and
// mini-batches go off-policy (ratio ≠ 1, the clip engages); the KL to the reference is exactly 0 while
// π_ref is the policy and is refreshed on schedule; dynamic sampling and truncation masking take rows
// out; a run that crashes resumes from its checkpoint and logs exactly the metrics of an uninterrupted run.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalEngine } from '../../src/engine/index.js';
import { combineRewards } from '../../src/rewards/index.js';
import type { RewardFn } from '../../src/rewards/index.js';
import * as T from '../../src/tensor/index.js';
import { AdamW } from '../../src/nn/index.js';
import type { GrpoOptionsInput, GrpoTask } from '../../src/train/grpo/index.js';
import { GrpoTrainer, grpoOptions, policyUpdate, tokenRows } from '../../src/train/grpo/index.js';
import { tinyChatModel } from '../engine/fixture.js';

const TASKS: GrpoTask[] = ['What is 17 + 25?', 'Add 2 and 3.', 'Give a number.', 'The answer is?', 'Sum of 4 and 5?'].map((q) => ({
  messages: [{ role: 'user', content: q }], sample: { answer: '4' },
}));

/** A reward with spread in every group: the share of letters among the completion's characters. */
const letterShare = (text: string): number => (text.length === 0 ? 0 : (text.match(/[A-Za-z]/g)?.length ?? 0) / text.length);
const letters: RewardFn = (completion) => ({ reward: letterShare(completion), details: {} });
const BASE: GrpoOptionsInput = { promptsPerStep: 4, groupSize: 4, maxTokens: 4, optimizer: { lr: 1e-2 }, seed: 5, progress: false };

function setup(options: GrpoOptionsInput, extra: { runDir?: string; onStep?: (step: number) => void; reward?: RewardFn } = {}) {
  const { model, tokenizer } = tinyChatModel();
  const trainer = new GrpoTrainer({
    policy: model, tokenizer, engine: new LocalEngine(model, tokenizer), tasks: TASKS,
    reward: combineRewards([{ name: 'letters', fn: extra.reward ?? letters, weight: 1 }]),
    options: { ...BASE, ...options },
    ...(extra.runDir ? { runDir: extra.runDir } : {}),
    ...(extra.onStep ? { onStep: extra.onStep } : {}),
  });
  return { model, trainer, done: () => (trainer.dispose(), model.dispose()) };
}

const weights = (m: { parameters(): T.Tensor[] }) => m.parameters().map((p) => Float32Array.from(T.dense(p)));

test('micro-batches accumulate to the same update as one pass over the batch', async () => {
  const whole = setup({ steps: 1 });
  const micro = setup({ steps: 1, microBatchRows: 3 });
  const [a, b] = [await whole.trainer.step(), await micro.trainer.step()];
  assert.ok(Math.abs(a.loss! - b.loss!) < 1e-6, `loss ${a.loss} vs ${b.loss}`);
  assert.ok(Math.abs(a.grad_norm! - b.grad_norm!) < 1e-5 * a.grad_norm!, `grad norm ${a.grad_norm} vs ${b.grad_norm}`);
  // AdamW's first step moves each weight by about lr·sign(g): float rounding in a near-zero gradient shows
  // at up to ~1e-4·lr, a real difference would show at lr.
  const [wa, wb] = [weights(whole.model), weights(micro.model)];
  wa.forEach((w, i) => w.forEach((x, j) => assert.ok(Math.abs(x - wb[i]![j]!) < 1e-3 * 1e-2, `param ${i}[${j}]: ${x} vs ${wb[i]![j]}`)));
  assert.ok(a.grad_norm! > 0);
  whole.done();
  micro.done();
});

test('μ passes × mini-batches: the first optimizer step is on-policy, later ones are clipped off-policy steps', async () => {
  const run = setup({ steps: 3, iterations: 2, miniBatches: 2, optimizer: { lr: 5e-2 }, loss: { epsilonLow: 0.05, epsilonHigh: 0.05 } });
  const history = [await run.trainer.step(), await run.trainer.step(), await run.trainer.step()];
  assert.deepEqual(history.map((m) => m.updates), [4, 8, 12]);
  assert.ok(history.some((m) => m['clip/total']! > 0), `clip fractions ${history.map((m) => m['clip/total'])}`);
  assert.ok(history.some((m) => Math.abs(m.ratio! - 1) > 1e-3), `ratios ${history.map((m) => m.ratio)}`);
  run.done();
});

test('KL to the reference: 0 while π_ref is the policy, > 0 after updates, 0 again right after a refresh', async () => {
  const run = setup({ steps: 4, loss: { beta: 0.1 }, refRefreshSteps: 2 });
  const kl: number[] = [];
  for (let s = 0; s < 4; s++) kl.push((await run.trainer.step()).kl!);
  assert.equal(kl[0], 0, 'step 1 trains the initial policy against its own copy');
  assert.ok(kl[1]! > 0, `step 2: ${kl[1]}`);
  assert.equal(kl[2], 0, 'step 3 starts right after the refresh at step 2');
  assert.ok(kl[3]! > 0);
  assert.equal(run.trainer.state.referenceStep, 4);
  const noRef = setup({ steps: 1 });
  assert.ok(Number.isNaN((await noRef.trainer.step()).kl!), 'β = 0 keeps no reference and reports no KL');
  run.done();
  noRef.done();
});

test('dynamic sampling trains only on groups whose rewards differ; truncation masking skips cut-off completions', async () => {
  // The groups of even-numbered tasks all get 0.5 (no signal); the others get the letter share.
  const byPrompt: RewardFn = (completion, sample) => ({ reward: sample.parity === 0 ? 0.5 : letterShare(completion), details: {} });
  const tasks = TASKS.map((t, k) => ({ ...t, sample: { ...t.sample, parity: k % 2 } }));
  const { model, tokenizer } = tinyChatModel();
  const trainer = new GrpoTrainer({
    policy: model, tokenizer, engine: new LocalEngine(model, tokenizer), tasks, reward: combineRewards([{ name: 'r', fn: byPrompt, weight: 1 }]),
    options: { ...BASE, steps: 2, dynamicSampling: true },
  });
  for (let s = 0; s < 2; s++) {
    const m = await trainer.step();
    assert.equal(m['groups/kept'], Math.round(4 * (1 - m['groups/zero_std']!)));
    assert.ok(m['groups/kept']! < 4, 'the constant groups were dropped');
  }
  trainer.dispose();
  model.dispose();

  // maxTokens 1: every completion is cut off (unless it is EOS), so with masking nothing is trained.
  const masked = setup({ steps: 1, maxTokens: 1, maskTruncated: true, seed: 2 });
  const before = weights(masked.model);
  const m = await masked.trainer.step();
  assert.equal(m['completion/truncated'], 1);
  assert.equal(m.updates, 0);
  assert.deepEqual(weights(masked.model), before);
  masked.done();
});

test('a run that crashes resumes from its checkpoint and logs exactly the uninterrupted run’s metrics', async () => {
  const options: GrpoOptionsInput = { steps: 5, checkpointEvery: 2, loss: { beta: 0.05 }, refRefreshSteps: 3, schedule: { kind: 'cosine', warmupSteps: 1 } };
  const dirA = mkdtempSync(join(tmpdir(), 'r1ts-grpo-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'r1ts-grpo-b-'));
  try {
    const a = setup(options, { runDir: dirA });
    await a.trainer.train();
    a.done();

    // Crash during step 4: step 3 is logged and π_ref was refreshed at step 3, but the last checkpoint is step 2.
    const crashing = setup(options, { runDir: dirB, onStep: (step) => {
      if (step === 4) throw new Error('simulated crash');
    } });
    await assert.rejects(crashing.trainer.train(), /simulated crash/);
    crashing.done();
    assert.ok(existsSync(join(dirB, 'reference', 'checkpoints', 'step-00000003')));

    const resumed = setup(options, { runDir: dirB });
    await resumed.trainer.train();
    assert.equal(resumed.trainer.state.step, 5);
    resumed.done();

    const read = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
      const rec = JSON.parse(l) as Record<string, number>;
      // Wall-clock figures differ from run to run; everything else must not.
      return Object.fromEntries(Object.entries(rec).filter(([k]) => k !== 'time' && !k.startsWith('time/') && !k.startsWith('perf/')));
    });
    const [la, lb] = [read(dirA), read(dirB)];
    assert.deepEqual(lb.map((r) => r.step), [1, 2, 3, 4, 5]);
    assert.deepEqual(lb, la);
    assert.ok(la.every((r) => r.updates === r.step));
  } finally {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test('a non-finite loss or gradient skips the optimizer step; too many in a row abort with advice', () => {
  const { model } = tinyChatModel();
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const rows = tokenRows([[0, 5, 6], [0, 7]], [[8, 9], [10]], [1, 1]);
  const batch = { rows, oldLogprobs: new Float32Array(rows.mask.length).fill(-5), refLogprobs: null, advantages: Float64Array.from([1, -1]) };
  T.dense(model.model.embed_tokens.weight)[5 * model.config.hidden_size] = NaN; // token 5's embedding
  const before = weights(model);
  const ctx = (maxNonFiniteUpdates: number) => ({ model, optimizer, options: grpoOptions({ iterations: 2, maxNonFiniteUpdates }), firstUpdate: 0, totalUpdates: 2 });
  const counter = { nonFiniteStreak: 0 };
  const m = policyUpdate(ctx(5), batch, counter);
  assert.deepEqual([m.updates, m.skipped, counter.nonFiniteStreak], [0, 2, 2]);
  assert.deepEqual(weights(model), before, 'skipped steps change no weight');
  assert.throws(() => policyUpdate(ctx(3), batch, counter), /4 optimizer steps in a row had a non-finite loss \(NaN\) or gradient norm \(NaN\); lower optimizer.lr, set maxGradNorm/);
  model.dispose();
});

test('bad options are refused with a message that names the field', () => {
  assert.throws(() => setup({ groupSize: 1 }), /grpo option groupSize must be an integer ≥ 2, got 1/);
  assert.throws(() => setup({ sampling: { temperature: 0 } }), /grpo option sampling.temperature must be > 0/);
  assert.throws(() => setup({ refRefreshSteps: 10 }), /refRefreshSteps must be 0 when loss.beta is 0/);
  assert.throws(() => setup({ loss: { aggregation: 'sum' as 'token-mean' } }), /loss.aggregation must be one of seq-mean-token-mean, token-mean, seq-mean-token-sum-norm/);
});
