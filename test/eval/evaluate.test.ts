// evaluate() on a scripted engine whose completions are fixed, so every score is known by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Completion, Engine, GenerateRequest } from '../../src/engine/index.js';
import { evaluate } from '../../src/eval/index.js';

type Scripted = [reasoning: string, content: string, tokens: number, cut?: boolean];

class ScriptedEngine implements Engine {
  readonly name = 'scripted';
  readonly asked: GenerateRequest[] = [];
  constructor(private readonly script: readonly (readonly Scripted[])[]) {}
  stream(): AsyncIterable<never> {
    throw new Error('not used');
  }
  async generate(requests: readonly GenerateRequest[]): Promise<Completion[]> {
    const base = this.asked.length;
    this.asked.push(...requests);
    return requests.flatMap((req, r) => this.script[base + r]!.slice(0, req.n).map(([reasoning, content, tokens, cut], s): Completion => ({
      request: r, sample: s, reasoning, content, tokens: new Array<number>(tokens).fill(7), logprobs: [], rawLogprobs: [], topLogprobs: [],
      finishReason: cut ? 'length' : 'stop', truncatedReasoning: cut ?? false, promptTokens: 3, reasoningTokens: 0,
    })));
  }
  async close(): Promise<void> {}
}

test('pass@1, pass@k, cons@k, lengths, truncation and format from known samples', async () => {
  const engine = new ScriptedEngine([
    // Problem 0 (gold 5): 3 of 4 right; the majority (5, 5.0, \frac{10}{2}) is right.
    [['2+3', '\\boxed{5}', 10], ['add', '\\boxed{5.0}', 20], ['guess', '\\boxed{6}', 30], ['ok', '\\boxed{\\frac{10}{2}}', 40]],
    // Problem 1 (gold 7): 1 of 4 right; majority 8 (2 votes) is wrong; one sample cut off while thinking.
    [['a', '\\boxed{8}', 10], ['b', '\\boxed{7}', 10], ['c', '\\boxed{8}', 10], ['still thinking about \\boxed{7}', '', 50, true]],
  ]);
  const items = [{ request: { messages: [{ role: 'user' as const, content: 'p0' }] }, sample: { answer: '5' } }, { request: { messages: [{ role: 'user' as const, content: 'p1' }] }, sample: { answer: '7' } }];
  const progress: number[] = [];
  const r = await evaluate(engine, items, { k: 4, passAt: [2], chunk: 1, maxTokens: 50, onProgress: (d) => progress.push(d) });
  assert.deepEqual(progress, [1, 2]);
  assert.deepEqual(engine.asked.map((q) => [q.n, q.maxTokens, q.sampling?.temperature, q.sampling?.topP]), [[4, 50, 0.6, 0.95], [4, 50, 0.6, 0.95]]);
  assert.equal(r.pass1, (3 / 4 + 1 / 4) / 2);
  // pass@2 by hand: problem 0: 1 − C(1,2)/C(4,2) = 1; problem 1: 1 − C(3,2)/C(4,2) = 1 − 3/6 = 0.5.
  assert.equal(r.passAt[2], 0.75);
  assert.equal(r.consK, 0.5);
  assert.deepEqual(r.records.map((p) => [p.correct, p.majority, p.majorityCorrect]), [[3, '5', true], [1, '8', false]]);
  assert.equal(r.meanTokens, (10 + 20 + 30 + 40 + 10 + 10 + 10 + 50) / 8);
  assert.equal(r.truncated, 1 / 8);
  assert.equal(r.formatOk, 7 / 8, 'every sample but the cut-off one closes its think block');
});

test('bad settings are refused with the setting named', async () => {
  const engine = new ScriptedEngine([]);
  const item = { request: { prompt: 'x' }, sample: { answer: '1' } };
  await assert.rejects(evaluate(engine, [item], { k: 0 }), /k must be a positive integer/);
  await assert.rejects(evaluate(engine, [item], { k: 2, passAt: [3] }), /pass@3 needs 1 ≤ 3 ≤ k = 2/);
  await assert.rejects(evaluate(engine, [], {}), /no problems/);
});
