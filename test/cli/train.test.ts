// `r1ts train` as a user runs it: an SFT run from a YAML config with a flag override teaches a tiny chat
// model its conversations (the checkpoint then answers through `r1ts generate`), a distill run teaches a
// student from that model's verified traces, a rerun resumes, and config mistakes are named.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { saveTinyChatModel } from '../engine/fixture.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function r1ts(args: string[]): { code: number; out: string; err: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8' });
  return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
}

const QA = [['What is 17 and 25?', 'add them', '42'], ['Natalia sold clips?', 'half in May', '72'], ['def add(a, b)?', 'sum', '5']] as const;

test('train sft, then distill from the result, from YAML configs with overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-train-'));
  try {
    const base = saveTinyChatModel(join(dir, 'base'));
    writeFileSync(join(dir, 'data.jsonl'), QA.map(([q, r, a]) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: `The answer is \\boxed{${a}}.`, reasoning_content: r }] })).join('\n'));
    writeFileSync(join(dir, 'sft.yaml'), [
      `model: ${base}`, `data: ${join(dir, 'data.jsonl')}`, `runDir: ${join(dir, 'sft-run')}`,
      'sft:', '  epochs: 5', '  batchSize: 3', '  microBatchSize: 3', '  lr: 0.01', '  warmupSteps: 5',
    ].join('\n'));
    const sft = r1ts(['train', 'sft', '--config', join(dir, 'sft.yaml'), '--sft.epochs', '60']);
    assert.equal(sft.code, 0, sft.err);
    assert.match(sft.out, /^sft: 60 steps on 3 examples; final loss \d/m);
    const checkpoint = /^model: (.+)$/m.exec(sft.out)![1]!;
    assert.match(sft.out, new RegExp(`try it: r1ts chat ${checkpoint.replace(/[/.]/g, '\\$&')}`));
    const answer = r1ts(['generate', checkpoint, '--prompt', QA[0][0], '--temperature', '0', '--max-tokens', '30', '--json']);
    assert.equal(answer.code, 0, answer.err);
    assert.match(answer.out, /The answer is \\\\boxed\{42\}/);

    // The same run again resumes from its last checkpoint: nothing left to do.
    const again = r1ts(['train', 'sft', '--config', join(dir, 'sft.yaml'), '--sft.epochs', '60']);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^sft: 60 steps/m);

    writeFileSync(join(dir, 'problems.jsonl'), QA.map(([q, , a]) => JSON.stringify({ question: q, gold: Number(a) })).join('\n'));
    writeFileSync(join(dir, 'distill.yaml'), [
      `teacher: { model: ${checkpoint} }`, `student: { model: ${base} }`, `problems: ${join(dir, 'problems.jsonl')}`,
      'problemField: question', 'answerField: gold', `runDir: ${join(dir, 'distill-run')}`,
      'traces: { samplesPerProblem: 2, maxTokens: 30, temperature: 0 }',
      'sft: { epochs: 60, batchSize: 3, microBatchSize: 3, lr: 0.01, warmupSteps: 5 }',
    ].join('\n'));
    const dist = r1ts(['train', 'distill', '--config', join(dir, 'distill.yaml')]);
    assert.equal(dist.code, 0, dist.err);
    assert.match(dist.out, /traces: 3 kept of 6 samples, 3\/3 problems covered; rejected: none/);
    assert.match(dist.out, /^distill: 60 steps on 3 examples/m);
    const traces = readFileSync(join(dir, 'distill-run', 'traces.jsonl'), 'utf8').trim().split('\n');
    assert.equal(traces.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train grpo runs its steps from a config, checkpoints, and a longer rerun continues where it stopped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-grpo-'));
  try {
    const base = saveTinyChatModel(join(dir, 'base'));
    writeFileSync(join(dir, 'problems.jsonl'), QA.map(([q, , a]) => JSON.stringify({ problem: q, answer: a })).join('\n'));
    writeFileSync(join(dir, 'grpo.yaml'), [
      `model: ${base}`, `problems: ${join(dir, 'problems.jsonl')}`, `runDir: ${join(dir, 'run')}`,
      'rewards: [{ name: accuracy, weight: 1 }, { name: tag-count, weight: 0.25 }]',
      'grpo: { steps: 2, promptsPerStep: 2, groupSize: 3, maxTokens: 12, optimizer: { lr: 0.001 }, checkpointEvery: 1 }',
    ].join('\n'));
    const first = r1ts(['train', 'grpo', '--config', join(dir, 'grpo.yaml')]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^grpo: 2 steps, 2 optimizer updates/m);
    const rows = () => readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.deepEqual(rows().map((r) => r.step), [1, 2]);
    for (const key of ['reward/mean', 'reward/accuracy/mean', 'reward/tag-count/mean', 'completion/length_mean', 'loss', 'grad_norm', 'perf/rollout_tokens_per_s']) {
      assert.ok(Number.isFinite(rows()[0]![key]), key);
    }
    assert.match(first.out, /try it: r1ts chat .*step-00000002/);
    const more = r1ts(['train', 'grpo', '--config', join(dir, 'grpo.yaml'), '--grpo.steps', '3']);
    assert.equal(more.code, 0, more.err);
    assert.deepEqual(rows().map((r) => r.step), [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config mistakes are named, with the field and what is expected, and no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-train-bad-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'model: x\ndata: d.jsonl\nrunDir: r\nsft:\n  lr: fast\n  epoch: 3\n');
    const bad = r1ts(['train', 'sft', '--config', join(dir, 'bad.yaml')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /sft\.lr: .*got "fast"/);
    assert.match(bad.err, /sft\.epoch: unknown key; expected one of: epochs,/);
    assert.doesNotMatch(bad.err, /\n +at /);
    const unknown = r1ts(['train', 'grow', '--config', join(dir, 'bad.yaml')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /train takes sft, distill or grpo/);
    const missing = r1ts(['train', 'sft', '--config', join(dir, 'bad.yaml'), '--sft.lr', '0.1', '--sft.epochs', '3', '--sft.epoch', '']);
    assert.notEqual(missing.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
