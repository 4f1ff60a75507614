// The SFT trainer: accumulated micro-batches give the gradients of one big batch, clipping, the loss
// falling until the tiny chat model reproduces its conversations under greedy decoding, the lr
// schedule, evaluation, and steps with a non-finite loss skipped (and the run aborted after N in a row).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalEngine } from '../../src/engine/index.js';
import { CausalLM, parseConfig } from '../../src/model/index.js';
import { learningRate } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import {
  accumulateGradients, collate, nextTokenLoss, SftAbortError, sftExample, tokenizeExample, trainSft,
} from '../../src/train/sft/index.js';
import type { SftExample, SftLossFn, TokenizedExample } from '../../src/train/sft/index.js';
import { tinyChatModel } from '../engine/fixture.js';
import { TINY_MODELS } from '../model/tiny-configs.js';

const CONVERSATIONS = [
  ['What is 17 and 25?', 'add them', 'The answer is 42.'],
  ['Natalia sold clips?', 'half in May', '72 clips.'],
  ['def add(a, b)?', 'sum', 'print(add(2, 3))'],
] as const;

function conversations(): SftExample[] {
  return CONVERSATIONS.map(([q, r, a], i) => sftExample({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a, reasoning_content: r }] }, `conv ${i}`));
}

function snapshot(model: CausalLM): Float32Array[] {
  return model.parameters().map((p) => Float32Array.from(T.dense(p)));
}

function gradients(model: CausalLM): Float32Array[] {
  return model.parameters().map((p) => (p.grad ? Float32Array.from(T.dense(p.grad)) : new Float32Array(p.size)));
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  a.forEach((x, i) => x.forEach((v, j) => {
    diff = Math.max(diff, Math.abs(v - b[i]![j]!));
    scale = Math.max(scale, Math.abs(v));
  }));
  return { diff, scale };
}

/** Examples of different lengths for a model of vocabulary V, with a few prompt tokens unlearned. */
function syntheticExamples(V: number, lengths: readonly number[]): TokenizedExample[] {
  return lengths.map((n, e) => ({
    ids: Int32Array.from({ length: n }, (_, i) => (i * 31 + e * 17 + 3) % V),
    mask: Uint8Array.from({ length: n }, (_, i) => (i >= 3 ? 1 : 0)),
  }));
}

for (const [name, config] of [['dense Qwen2', TINY_MODELS.tinyQwen2], ['DeepSeek-V3 (MLA + MoE)', parseConfig({ ...TINY_MODELS.tinyV3, aux_loss_alpha: 0 })]] as const) {
  test(`${name}: micro-batches with accumulation give the gradients and loss of one big batch`, () => {
    const model = new CausalLM(config, { seed: 5 });
    const params = model.parameters();
    const examples = syntheticExamples(config.vocab_size, [9, 14, 6, 11, 13]);
    const big = accumulateGradients(model, params, [collate(examples)], nextTokenLoss, 0);
    const bigGrads = gradients(model);
    T.zeroGrad(params);
    const micro = accumulateGradients(model, params, [collate(examples.slice(0, 2)), collate(examples.slice(2, 3)), collate(examples.slice(3))], nextTokenLoss, 0);
    const microGrads = gradients(model);
    T.zeroGrad(params);
    const { diff, scale } = maxAbsDiff(bigGrads, microGrads);
    assert.ok(scale > 1e-3, 'the gradients are not trivially zero');
    assert.ok(diff <= 1e-5 * scale, `accumulated gradients differ from the big batch's by ${diff} (largest ${scale})`);
    assert.ok(Math.abs(big.loss - micro.loss) < 1e-6, `${big.loss} vs ${micro.loss}`);
    assert.ok(Math.abs(big.gradNorm - micro.gradNorm) < 1e-5 * big.gradNorm);
    // Oracle for the value: each example alone through model.loss (no padding), weighted by its learned tokens.
    let sum = 0;
    let count = 0;
    for (const e of examples) {
      const targets = Int32Array.from(e.ids, (_, i) => (i + 1 < e.ids.length && e.mask[i + 1] ? e.ids[i + 1]! : -1));
      const n = targets.filter((t) => t >= 0).length;
      sum += T.noGrad(() => T.tidy(() => model.loss(e.ids, targets).ce.item())) * n;
      count += n;
    }
    assert.ok(Math.abs(big.loss - sum / count) < 1e-5, `${big.loss} vs per-example ${sum / count}`);
    assert.equal(big.learned, count);
    model.dispose();
  });
}

test('clipping scales the gradients to maxGradNorm and reports the norm before clipping', () => {
  const model = new CausalLM(TINY_MODELS.tinyQwen2, { seed: 2 });
  const params = model.parameters();
  const batch = [collate(syntheticExamples(TINY_MODELS.tinyQwen2.vocab_size, [8, 12]))];
  const free = accumulateGradients(model, params, batch, nextTokenLoss, 0);
  const before = gradients(model);
  T.zeroGrad(params);
  const clipped = accumulateGradients(model, params, batch, nextTokenLoss, free.gradNorm / 4);
  const after = gradients(model);
  assert.ok(Math.abs(clipped.gradNorm - free.gradNorm) < 1e-6 * free.gradNorm);
  const norm = Math.sqrt(after.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
  assert.ok(Math.abs(norm - free.gradNorm / 4) < 1e-4 * norm, `clipped norm ${norm}`);
  before.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(after[i]![j]! * 4 - v) <= 1e-5 * Math.abs(v) + 1e-9)));
  T.zeroGrad(params);
  model.dispose();
});

async function greedyAnswers(model: CausalLM, tokenizer: Tokenizer): Promise<{ reasoning: string; content: string }[]> {
  const engine = new LocalEngine(model, tokenizer);
  const out = await engine.generate(CONVERSATIONS.map(([q]) => ({ messages: [{ role: 'user', content: q }], maxTokens: 40, sampling: { temperature: 0 } })));
  return out.map((c) => ({ reasoning: c.reasoning.trim(), content: c.content.trim() }));
}

test('the tiny chat model memorises three conversations: loss falls, greedy decoding reproduces them', async () => {
  const { model, tokenizer } = tinyChatModel();
  const expected = CONVERSATIONS.map(([, r, a]) => ({ reasoning: r, content: a }));
  assert.notDeepEqual(await greedyAnswers(model, tokenizer), expected, 'the untrained model does not already answer');
  const runDir = mkdtempSync(join(tmpdir(), 'sft-train-'));
  const lrs: number[] = [];
  const result = await trainSft({
    model, tokenizer, data: conversations(), evalData: conversations().slice(0, 2), runDir, progress: false,
    epochs: 60, batchSize: 3, microBatchSize: 2, lr: 1e-2, warmupSteps: 5, evalEvery: 20, checkpointEvery: 0,
    onStep: (_, m) => lrs.push(m.lr!),
  });
  assert.equal(result.steps, 60);
  assert.equal(result.skippedSteps, 0);
  assert.equal(result.examples, 3);
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(lines.length, 60);
  assert.ok(lines[0]!.loss! > 5 * lines.at(-1)!.loss!, `loss ${lines[0]!.loss} → ${lines.at(-1)!.loss}`);
  assert.deepEqual(lines.filter((l) => 'eval_loss' in l).map((l) => l.step), [20, 40, 60]);
  assert.ok(lines[19]!.eval_loss! > lines[59]!.eval_loss!);
  for (const k of ['grad_norm', 'tokens', 'tokens_per_s']) assert.ok(lines.every((l) => Number.isFinite(l[k]) && l[k]! > 0), k);
  const schedule = { kind: 'cosine' as const, lr: 1e-2, warmupSteps: 5, totalSteps: 60 };
  assert.deepEqual(lrs, lrs.map((_, s) => learningRate(schedule, s)));
  assert.ok(Math.abs(lrs[0]! - 2e-3) < 1e-12);
  assert.deepEqual(await greedyAnswers(model, tokenizer), expected);
  // The evaluation loss is the token mean over the held-out examples, computed again here.
  const held = conversations().slice(0, 2).map((e) => tokenizeExample(tokenizer, e));
  const evalLoss = T.noGrad(() => T.tidy(() => nextTokenLoss(model, collate(held)).loss.item()));
  assert.ok(Math.abs(result.evalLoss! - evalLoss) < 1e-6, `${result.evalLoss} vs ${evalLoss}`);
  model.dispose();
  rmSync(runDir, { recursive: true });
});

/** nextTokenLoss, but NaN on the calls listed (counting every micro-batch). */
function poisonedLoss(poisonCalls: (call: number) => boolean): SftLossFn {
  let call = 0;
  return (model, batch) => {
    const out = nextTokenLoss(model, batch);
    return poisonCalls(call++) ? { ...out, loss: T.affine(out.loss, NaN, 0) } : out;
  };
}

test('a step with a non-finite loss is skipped and logged; the run goes on', async () => {
  const { model, tokenizer } = tinyChatModel();
  const runDir = mkdtempSync(join(tmpdir(), 'sft-nan-'));
  const weights: Float32Array[][] = [snapshot(model)];
  // One micro-batch per step: call 2 is step 3.
  const result = await trainSft({
    model, tokenizer, data: conversations(), runDir, progress: false, epochs: 2, batchSize: 1, microBatchSize: 1, lr: 1e-3,
    loss: poisonedLoss((c) => c === 2), onStep: () => weights.push(snapshot(model)),
  });
  assert.equal(result.steps, 6);
  assert.equal(result.skippedSteps, 1);
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
  assert.deepEqual(lines.map((l) => l.skipped), [0, 0, 1, 0, 0, 0]);
  assert.equal(lines[2]!.loss, null, 'NaN is logged as null');
  assert.deepEqual(weights[3], weights[2], 'the skipped step changed no weight');
  assert.notDeepEqual(weights[4], weights[3], 'the next step trains again');
  assert.notDeepEqual(weights[2], weights[1]);
  model.dispose();
  rmSync(runDir, { recursive: true });
});

test('non-finite steps in a row abort the run with advice, the weights untouched', async () => {
  const { model, tokenizer } = tinyChatModel();
  const initial = snapshot(model);
  let steps = 0;
  await assert.rejects(
    trainSft({
      model, tokenizer, data: conversations(), progress: false, epochs: 5, batchSize: 1, microBatchSize: 1,
      maxNonFiniteSteps: 3, loss: poisonedLoss(() => true), onStep: () => steps++,
    }),
    (e: Error) => e instanceof SftAbortError && /3 steps in a row had a non-finite loss or gradient \(last at step 3.*lower the learning rate/.test(e.message),
  );
  assert.equal(steps, 3);
  assert.deepEqual(snapshot(model), initial);
  model.dispose();
});

test('options are checked with messages that name the option', async () => {
  const { model, tokenizer } = tinyChatModel();
  const base = { model, tokenizer, data: conversations(), progress: false };
  await assert.rejects(trainSft({ ...base, microBatchSize: 4, batchSize: 2 }), /microBatchSize \(4\) must not exceed batchSize \(2\)/);
  await assert.rejects(trainSft({ ...base, lr: -1 }), /lr must be a finite number ≥ 0, got -1/);
  await assert.rejects(trainSft({ ...base, checkpointEvery: 2 }), /checkpointEvery and resume from a folder need a runDir/);
  await assert.rejects(trainSft({ ...base, maxLength: 3, overflow: 'drop' }), /no training example is left \(0 skipped as bad, 3 over maxLength 3\)/);
  const small = new CausalLM(parseConfig({ ...TINY_MODELS.tinyQwen2, vocab_size: 50 }), { seed: 1 });
  await assert.rejects(trainSft({ ...base, model: small }), /the tokenizer has \d+ ids but the model's vocabulary is 50/);
  small.dispose();
  model.dispose();
});
