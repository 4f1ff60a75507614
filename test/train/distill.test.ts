// Distillation end to end on tiny models: a teacher is first taught three problems by SFT; it then writes
// traces through the LocalEngine, the verifier keeps the correct ones, and a fresh student fine-tuned on
// them answers the problems, which it could not before. With logit-level KD the KL to the teacher and the
// cross-entropy on the traces both fall.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalEngine } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/index.js';
import { accuracyReward } from '../../src/rewards/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { distill } from '../../src/train/distill/index.js';
import { sftExample, trainSft } from '../../src/train/sft/index.js';
import { tinyChatModel } from '../engine/fixture.js';

const PROBLEMS = [
  { problem: 'What is 17 and 25?', reasoning: 'add them', answer: '42' },
  { problem: 'Natalia sold clips?', reasoning: 'half in May', answer: '72' },
  { problem: 'def add(a, b)?', reasoning: 'sum', answer: '5' },
];

/** How many problems the model answers correctly, greedy, through the engine and the verifier. */
async function solved(model: CausalLM, tokenizer: Tokenizer): Promise<number> {
  const out = await new LocalEngine(model, tokenizer).generate(PROBLEMS.map((p) => ({ messages: [{ role: 'user', content: p.problem }], maxTokens: 40, sampling: { temperature: 0 } })));
  const accuracy = accuracyReward({ reasoningOpened: true });
  return out.filter((c, i) => accuracy(`${c.reasoning}</think>${c.content}`, { answer: PROBLEMS[i]!.answer }).reward === 1).length;
}

async function trainedTeacher(): Promise<{ teacher: CausalLM; tokenizer: Tokenizer }> {
  const { model: teacher, tokenizer } = tinyChatModel();
  const data = PROBLEMS.map((p, i) => sftExample({ messages: [{ role: 'user', content: p.problem }, { role: 'assistant', content: `The answer is \\boxed{${p.answer}}.`, reasoning_content: p.reasoning }] }, `teach ${i}`));
  await trainSft({ model: teacher, tokenizer, data, progress: false, epochs: 60, batchSize: 3, microBatchSize: 3, lr: 1e-2, warmupSteps: 5 });
  return { teacher, tokenizer };
}

function freshStudent(teacher: CausalLM): CausalLM {
  return new CausalLM(teacher.config, { seed: 11 });
}

test('a student SFT-ed on the teacher\'s verified traces solves what the teacher solves', async () => {
  const { teacher, tokenizer } = await trainedTeacher();
  assert.equal(await solved(teacher, tokenizer), 3, 'the teacher learned its problems');
  const student = freshStudent(teacher);
  assert.equal(await solved(student, tokenizer), 0, 'the untrained student does not');
  const runDir = mkdtempSync(join(tmpdir(), 'distill-'));
  try {
    const result = await distill({
      teacher: new LocalEngine(teacher, tokenizer),
      problems: PROBLEMS.map(({ problem, answer }) => ({ problem, answer })),
      traces: { samplesPerProblem: 2, maxTokens: 40, sampling: { temperature: 0 } },
      sft: { model: student, tokenizer, runDir, progress: false, epochs: 60, batchSize: 3, microBatchSize: 3, lr: 1e-2, warmupSteps: 5, checkpointEvery: 0 },
    });
    // Greedy samples are identical, so one distinct trace per problem is kept.
    assert.equal(result.traces!.kept, 3);
    assert.equal(result.traces!.samples, 6);
    assert.equal(result.examples, 3);
    const written = readFileSync(join(runDir, 'traces.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { messages: { content: string }[] });
    assert.deepEqual(written.map((t) => t.messages[1]!.content), PROBLEMS.map((p) => `<think>\n${p.reasoning}\n</think>\n\nThe answer is \\boxed{${p.answer}}.`));
    assert.equal(await solved(student, tokenizer), 3, 'the student learned from the traces');
    // A run whose folder already holds the traces (an interrupted one) reads them back instead of asking
    // the teacher again.
    const rerunDir = mkdtempSync(join(tmpdir(), 'distill-rerun-'));
    copyFileSync(join(runDir, 'traces.jsonl'), join(rerunDir, 'traces.jsonl'));
    const asked = () => {
      throw new Error('the teacher was asked again');
    };
    const again = await distill({
      teacher: { name: 'unused', stream: asked, generate: asked, close: async () => {} },
      problems: [], sft: { model: freshStudent(teacher), tokenizer, runDir: rerunDir, progress: false, epochs: 1, batchSize: 3, microBatchSize: 3 },
    });
    assert.equal(again.traces, null);
    assert.equal(again.examples, 3);
    rmSync(rerunDir, { recursive: true, force: true });
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

test('with logit-level KD the student\'s KL to the teacher falls', async () => {
  const { teacher, tokenizer } = await trainedTeacher();
  const student = freshStudent(teacher);
  const runDir = mkdtempSync(join(tmpdir(), 'distill-kd-'));
  try {
    await distill({
      teacher: new LocalEngine(teacher, tokenizer),
      problems: PROBLEMS.map(({ problem, answer }) => ({ problem, answer })),
      traces: { samplesPerProblem: 1, maxTokens: 40, sampling: { temperature: 0 } },
      kd: { teacherModel: teacher, temperature: 2, weight: 0.5 },
      sft: { model: student, tokenizer, runDir, progress: false, epochs: 60, batchSize: 3, microBatchSize: 3, lr: 1e-2, warmupSteps: 5, checkpointEvery: 0 },
    });
    const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.ok(lines.every((l) => Number.isFinite(l.kd) && Number.isFinite(l.ce)), 'ce and kd are logged apart');
    assert.ok(lines[0]!.kd! > 5 * lines.at(-1)!.kd!, `KL ${lines[0]!.kd} → ${lines.at(-1)!.kd}`);
    assert.ok(lines[0]!.ce! > 5 * lines.at(-1)!.ce!, `cross-entropy ${lines[0]!.ce} → ${lines.at(-1)!.ce}`);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});
