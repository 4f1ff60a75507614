// SFT checkpoint and resume: a run stopped after a step resumes from its last checkpoint with the same
// data order (across an epoch boundary too), and its metrics and final weights equal an uninterrupted
// run's exactly. Checkpoints are complete chat-model folders; a checkpoint of another run is refused.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import type { CausalLM } from '../../src/model/index.js';
import { loadPretrained } from '../../src/model/index.js';
import * as T from '../../src/tensor/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { sftExample, trainSft } from '../../src/train/sft/index.js';
import type { SftExample, SftOptions } from '../../src/train/sft/index.js';
import { saveTinyChatModel, tinyChatModel } from '../engine/fixture.js';

const QA = [
  ['What is 17 and 25?', 'The answer is 42.'], ['Natalia sold clips?', '72 clips.'], ['def add(a, b)?', 'print(add(2, 3))'],
  ['What is 2 and 3?', '5'], ['Sold in April?', '48'], ['And in May?', 'half as many'],
] as const;

function examples(): SftExample[] {
  return QA.map(([q, a], i) => sftExample({ prompt: q, completion: a, reasoning_content: `step ${i}` }, `qa ${i}`));
}

function snapshot(model: CausalLM): Float32Array[] {
  return model.parameters().map((p) => Float32Array.from(T.dense(p)));
}

/** The metrics lines without the wall-clock fields, which differ between runs. */
function metricsOf(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => {
    const { time: _time, tokens_per_s: _rate, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  });
}

class Killed extends Error {}

function options(model: CausalLM, tokenizer: Tokenizer, runDir: string, checkpointEvery: number): SftOptions {
  // 6 examples, 2 per step: 3 steps an epoch, 2 epochs; shuffled with length bucketing.
  return {
    model, tokenizer, runDir, data: examples(), evalData: examples().slice(0, 2), progress: false,
    epochs: 2, batchSize: 2, microBatchSize: 1, bucketWindow: 2, seed: 11, lr: 3e-3, warmupSteps: 2, evalEvery: 2, checkpointEvery,
  };
}

for (const checkpointEvery of [2, 3]) {
  test(`stopped at step 5 with checkpoints every ${checkpointEvery}: the resumed run equals an uninterrupted one`, async () => {
    const whole = tinyChatModel();
    const wholeDir = mkdtempSync(join(tmpdir(), 'sft-whole-'));
    await trainSft(options(whole.model, whole.tokenizer, wholeDir, checkpointEvery));

    const cutDir = mkdtempSync(join(tmpdir(), 'sft-cut-'));
    const first = tinyChatModel();
    await assert.rejects(trainSft({
      ...options(first.model, first.tokenizer, cutDir, checkpointEvery),
      onStep: (step) => {
        if (step === 5) throw new Killed('stop');
      },
    }), Killed);
    first.model.dispose();
    const lastSaved = checkpointEvery === 2 ? 4 : 3;
    // A fresh process: new model (the same initial weights), nothing carried over but the run folder.
    const second = tinyChatModel();
    const result = await trainSft(options(second.model, second.tokenizer, cutDir, checkpointEvery));
    assert.equal(basename(result.resumedFrom!), `step-0000000${lastSaved}`);
    assert.equal(result.steps, 6);
    assert.deepEqual(metricsOf(cutDir), metricsOf(wholeDir));
    assert.equal(metricsOf(cutDir).length, 6);
    assert.deepEqual(snapshot(second.model), snapshot(whole.model));
    assert.equal(result.evalLoss, metricsOf(wholeDir)[5]!.eval_loss);
    whole.model.dispose();
    second.model.dispose();
    rmSync(wholeDir, { recursive: true });
    rmSync(cutDir, { recursive: true });
  });
}

test('a checkpoint is a complete chat model folder; a checkpoint of another run is refused', async () => {
  const modelDir = saveTinyChatModel(mkdtempSync(join(tmpdir(), 'sft-model-')));
  const tokenizer = Tokenizer.fromFiles(modelDir);
  const { model } = loadPretrained(modelDir);
  const runDir = mkdtempSync(join(tmpdir(), 'sft-ckpt-'));
  const file = join(runDir, 'train.jsonl');
  writeFileSync(file, QA.map(([q, a], i) => JSON.stringify({ prompt: q, completion: a, reasoning_content: `step ${i}` })).join('\n'));
  const result = await trainSft({ ...options(model, tokenizer, runDir, 0), data: file, epochs: 1, tokenizerDir: modelDir });
  assert.equal(result.examples, QA.length);
  assert.equal(basename(result.checkpoint!), 'step-00000003');
  assert.ok(existsSync(join(result.checkpoint!, 'tokenizer.json')));
  const reloaded = loadPretrained(result.checkpoint!);
  assert.deepEqual(snapshot(reloaded.model), snapshot(model));
  assert.equal(Tokenizer.fromFiles(result.checkpoint!).vocabSize, tokenizer.vocabSize);

  await assert.rejects(trainSft({ ...options(reloaded.model, tokenizer, runDir, 0), epochs: 1, batchSize: 3 }),
    /the checkpoint .*step-00000003 belongs to a run with other data or batching \(batchSize 2 there, 3 here; totalSteps 3 there, 2 here\); use a fresh runDir or resume: false/);
  reloaded.model.dispose();
  model.dispose();
  rmSync(modelDir, { recursive: true });
  rmSync(runDir, { recursive: true });
});
