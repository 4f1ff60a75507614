// Rejection sampling of teacher traces: which completions are kept and why the others are not, on a
// scripted teacher (an Engine that returns fixed completions), so every verdict is known exactly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Completion, Engine, GenerateRequest } from '../../src/engine/index.js';
import { judgeTrace } from '../../src/train/distill/filters.js';
import { collectTraces } from '../../src/train/distill/traces.js';
import { countdownReward } from '../../src/tasks/index.js';

function completion(reasoning: string, content: string, extra: Partial<Completion> = {}): Completion {
  return {
    request: 0, sample: 0, reasoning, content, tokens: Array.from({ length: 20 }, (_, i) => i), logprobs: [], rawLogprobs: [], topLogprobs: [],
    finishReason: 'stop', truncatedReasoning: false, promptTokens: 5, reasoningTokens: 10, ...extra,
  };
}

test('judgeTrace keeps verified, closed, one-language traces and names the first failed check', () => {
  const good = completion('Add 2 and 3 to get 5.\n', '\n\nThe answer is \\boxed{5}.');
  assert.deepEqual(judgeTrace(good, { answer: '5' }), { keep: true, rejection: null, answer: '5', languageShare: 1 });
  const cases: [Completion, string | undefined, string][] = [
    [completion('Add 2 and 3', '', { finishReason: 'length', truncatedReasoning: true }), '5', 'truncated'],
    [completion('Add 2 and 3 to get 5 \\boxed{5}', '', { truncatedReasoning: true }), '5', 'unclosed-think'],
    [good, '6', 'wrong-answer'],
    [good, undefined, 'no-gold'],
    [completion('先把 2 和 3 相加得到 5 then check.\n', '\\boxed{5}'), '5', 'language-mixing'],
  ];
  for (const [c, gold, why] of cases) assert.equal(judgeTrace(c, { answer: gold }).rejection, why, `${c.reasoning} / ${gold}`);
  assert.equal(judgeTrace(good, { answer: '5' }, { maxTokens: 19 }).rejection, 'too-long');
  assert.equal(judgeTrace(good, { answer: '5' }, { minTokens: 21 }).rejection, 'too-short');
  // The language check can be turned off, or aimed at another language.
  const mixed = completion('先把 2 和 3 相加得到 5 then check.\n', '\\boxed{5}');
  assert.equal(judgeTrace(mixed, { answer: '5' }, { language: null }).keep, true);
  assert.equal(judgeTrace(completion('先把二和三相加得到五。\n', '\\boxed{5}'), { answer: '5' }, { language: 'zh' }).keep, true);
});

/** A teacher that answers request r's sample s with script[r][s] and records what it was asked. */
class ScriptedTeacher implements Engine {
  readonly name = 'scripted';
  readonly asked: GenerateRequest[] = [];
  constructor(private readonly script: readonly (readonly [string, string][])[]) {}
  stream(): AsyncIterable<never> {
    throw new Error('not used');
  }
  async generate(requests: readonly GenerateRequest[]): Promise<Completion[]> {
    const base = this.asked.length;
    this.asked.push(...requests);
    return requests.flatMap((req, r) => Array.from({ length: req.n ?? 1 }, (_, s) => {
      const [reasoning, content] = this.script[base + r]![s]!;
      return completion(reasoning, content, { request: r, sample: s });
    }));
  }
  async close(): Promise<void> {}
}

test('collectTraces asks with R1 sampling, keeps distinct verified traces per problem, and counts rejections', async () => {
  const teacher = new ScriptedTeacher([
    [['2+3=5.\n', '\\boxed{5}'], ['2+3=5.\n', '\\boxed{5}'], ['2+3=6.\n', '\\boxed{6}']],
    [['7-4=3.\n', '\\boxed{3}'], ['Seven minus four is three.\n', 'So \\boxed{3}.'], ['hmm\n', 'no idea']],
    [['10/2=4.\n', '\\boxed{4}'], ['10/2=4.\n', '\\boxed{4}'], ['10/2=4.\n', '\\boxed{4}']],
  ]);
  const problems = [{ problem: 'What is 2+3?', answer: '5' }, { problem: 'What is 7-4?', answer: '3', id: 'p2' }, { problem: 'What is 10/2?', answer: '5' }];
  const progress: number[] = [];
  const report = await collectTraces(teacher, problems, { samplesPerProblem: 3, keepPerProblem: 2, chunk: 2, onProgress: (done) => progress.push(done) });
  assert.deepEqual(progress, [2, 3]);
  assert.deepEqual(teacher.asked.map((r) => [r.n, r.sampling?.temperature, r.sampling?.topP, r.messages?.[0]?.content]), [
    [3, 0.6, 0.95, 'What is 2+3?'], [3, 0.6, 0.95, 'What is 7-4?'], [3, 0.6, 0.95, 'What is 10/2?'],
  ]);
  assert.equal(report.samples, 9);
  // Problem 0: one distinct correct trace (its duplicate is dropped), one wrong; problem 1: two correct, one
  // without an answer; problem 2: all wrong.
  assert.deepEqual(report.traces.map((t) => [t.problemIndex, t.id ?? null, t.messages[1].content]), [
    [0, null, '<think>\n2+3=5.\n</think>\n\n\\boxed{5}'],
    [1, 'p2', '<think>\n7-4=3.\n</think>\n\n\\boxed{3}'],
    [1, 'p2', '<think>\nSeven minus four is three.\n</think>\n\nSo \\boxed{3}.'],
  ]);
  assert.equal(report.problemsCovered, 2);
  assert.equal(report.rejected['wrong-answer'], 5);
  assert.equal(Object.values(report.rejected).reduce((a, b) => a + b, 0), 5);
});

test('collectTraces refuses bad options with the option named', async () => {
  await assert.rejects(collectTraces(new ScriptedTeacher([]), [], { samplesPerProblem: 0 }), /samplesPerProblem must be a positive integer/);
});

test('judgeTrace with a `correct` check judges by the problem, not by the gold answer (Countdown)', () => {
  const task = { answer: '3 × 4 + 2', numbers: [2, 3, 4], target: 14, family: 'countdown' };
  // 7 × 2 is 14, so the verifier against the gold expression keeps it, but 7 is not one of the numbers.
  const cheat = completion('7 × 2 = 14', '\\boxed{7 × 2}');
  assert.equal(judgeTrace(cheat, task).keep, true);
  assert.equal(judgeTrace(cheat, task, { correct: countdownReward() }).rejection, 'wrong-answer');
  const other = completion('4 × 3 = 12, 12 + 2 = 14', '\\boxed{2 + 4 × 3}');
  assert.deepEqual([judgeTrace(other, task, { correct: countdownReward() }).keep], [true]);
});
