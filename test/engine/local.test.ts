// The local engine end to end on a tiny model with a tokenizer trained here: seeded sampling is
// reproducible and independent of batching, the stream adds up to the completions, stop strings and
// EOS end samples, n samples per request, and the reasoning split follows the template's open <think>.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Completion, GenerateRequest, GenerationDelta } from '../../src/engine/index.js';
import { LocalEngine } from '../../src/engine/index.js';
import { splitReasoning } from '../../src/generate/index.js';
import { applyChatTemplate } from '../../src/tokenizer/index.js';
import { tinyChatModel } from './fixture.js';

function setup(maxBatch = 8): LocalEngine {
  const { model, tokenizer } = tinyChatModel();
  return new LocalEngine(model, tokenizer, { maxBatch });
}

const chat = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest => ({ messages: [{ role: 'user', content }], maxTokens: 12, ...extra });

function strip(c: Completion) {
  return { request: c.request, sample: c.sample, tokens: c.tokens, content: c.content, reasoning: c.reasoning, finishReason: c.finishReason };
}

test('seeded sampling: reproducible, independent of the batch it runs in, n samples differ', async () => {
  const requests = [
    chat('What is 17 + 25?', { sampling: { temperature: 0.8, topP: 0.95, seed: 7 }, n: 3 }),
    chat('Sold clips in April.', { sampling: { temperature: 1, topK: 20, seed: 9 } }),
    { prompt: 'def add(a, b):', maxTokens: 9, sampling: { temperature: 0.6, seed: 11 } },
  ];
  const batched = (await setup(8).generate(requests)).map(strip);
  assert.deepEqual((await setup(8).generate(requests)).map(strip), batched, 'same seeds, same output');
  assert.deepEqual((await setup(1).generate(requests)).map(strip), batched, 'one sequence at a time');
  assert.deepEqual(batched.map((c) => [c.request, c.sample]), [[0, 0], [0, 1], [0, 2], [1, 0], [2, 0]]);
  assert.notDeepEqual(batched[0]!.tokens, batched[1]!.tokens, 'the samples of one request differ');
  const reseeded = await setup(8).generate([{ ...requests[0]!, sampling: { ...requests[0]!.sampling, seed: 8 } }]);
  assert.notDeepEqual(reseeded[0]!.tokens, batched[0]!.tokens, 'another seed, another sample');
});

test('the stream adds up to the completions; the template opened <think>, so text is reasoning', async () => {
  const engine = setup();
  const requests = [chat('Think about 48 clips.', { sampling: { temperature: 0.9, seed: 5 }, n: 2 }), chat('emoji 🙂', { sampling: { temperature: 0 } })];
  const done = await engine.generate(requests);
  const acc = new Map<string, { reasoning: string; content: string; tokens: number[]; finish: string | null }>();
  for await (const d of engine.stream(requests) as AsyncIterable<GenerationDelta>) {
    const key = `${d.request}/${d.sample}`;
    const a = acc.get(key) ?? { reasoning: '', content: '', tokens: [], finish: null };
    assert.equal(a.finish, null, `${key}: a delta after the last one`);
    a.reasoning += d.reasoning;
    a.content += d.content;
    a.tokens.push(...d.tokens);
    a.finish = d.finishReason;
    acc.set(key, a);
  }
  for (const c of done) {
    const a = acc.get(`${c.request}/${c.sample}`)!;
    assert.deepEqual(a, { reasoning: c.reasoning, content: c.content, tokens: c.tokens, finish: c.finishReason });
    const text = engine.tokenizer.decode(c.tokens, { skipSpecialTokens: true });
    const split = splitReasoning(text, { startsInReasoning: true });
    assert.deepEqual({ reasoning: c.reasoning, content: c.content, truncated: c.truncatedReasoning }, { reasoning: split.reasoning, content: split.content, truncated: split.truncatedReasoning });
    const prompt = applyChatTemplate(engine.tokenizer, requests[c.request]!.messages!, { addGenerationPrompt: true });
    assert.ok(prompt.endsWith('<think>\n'), 'the R1 template opens the think block');
    assert.equal(c.promptTokens, engine.tokenizer.encode(prompt, { addSpecialTokens: false }).length);
  }
});

test('a stop string ends the sample before it; EOS as a stop token ends it too', async () => {
  const engine = setup();
  const [free] = await engine.generate([{ prompt: 'The answer is', maxTokens: 16, sampling: { temperature: 0 } }]);
  const text = free!.reasoning + free!.content;
  assert.ok(text.length > 6, `greedy text ${JSON.stringify(text)}`);
  const stop = text.slice(3, 6);
  const [cut] = await engine.generate([{ prompt: 'The answer is', maxTokens: 16, sampling: { temperature: 0 }, stop: [stop] }]);
  assert.equal(cut!.finishReason, 'stop');
  assert.equal(cut!.content + cut!.reasoning, text.slice(0, text.indexOf(stop)));
  const firstToken = free!.tokens[1]!;
  const [early] = await engine.generate([{ prompt: 'The answer is', maxTokens: 16, sampling: { temperature: 0 }, stopTokenIds: [firstToken] }]);
  assert.deepEqual(early!.tokens, free!.tokens.slice(0, free!.tokens.indexOf(firstToken) + 1));
  assert.equal(early!.finishReason, 'stop');
  assert.equal(free!.finishReason, free!.tokens.includes(engine.tokenizer.eosTokenId!) ? 'stop' : 'length');
});

test('bad requests are refused with a message', async () => {
  const engine = setup();
  await assert.rejects(engine.generate([{ maxTokens: 3 }]), /request 0: give either messages or prompt/);
  await assert.rejects(engine.generate([chat('x', { n: 0 })]), /request 0: n must be a positive integer, got 0/);
  await assert.rejects(engine.generate([chat('x', { sampling: { topP: 1.5 } })]), /topP must be in \(0, 1\]/);
});
