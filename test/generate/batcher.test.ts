// Continuous batching: greedy generation of many prompts of different lengths, several at a time with
// slots reused, gives exactly the tokens of one-at-a-time generation and of a cache-free reference
// that recomputes the whole sequence for every token.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SequenceRequest, TokenEvent } from '../../src/generate/batcher.js';
import { generateTokens } from '../../src/generate/batcher.js';
import type { CausalLM } from '../../src/model/index.js';
import { CausalLM as Model } from '../../src/model/index.js';
import * as T from '../../src/tensor/index.js';
import { TINY_MODELS, tokens } from '../model/tiny-configs.js';

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

const greedy = (logits: Float32Array) => ({ token: argmax(logits), logprob: 0 });

/** Token lists per request from the batcher. */
function run(model: CausalLM, requests: SequenceRequest[], maxBatch: number, sizes?: number[]): number[][] {
  const out: number[][] = requests.map(() => []);
  const finishes: (string | null)[] = requests.map(() => null);
  for (const step of generateTokens(model, requests, greedy, { maxBatch, onBatchSize: (n) => sizes?.push(n) })) {
    for (const e of step as TokenEvent[]) {
      assert.equal(finishes[e.sequence], null, `sequence ${e.sequence} produced a token after finishing`);
      out[e.sequence]!.push(e.token);
      finishes[e.sequence] = e.finish;
    }
  }
  finishes.forEach((f, i) => assert.ok(f, `sequence ${i} never finished`));
  return out;
}

/** Greedy decoding without a cache: the whole sequence through the model for every new token. */
function reference(model: CausalLM, r: SequenceRequest): number[] {
  const seq = [...r.prompt];
  const out: number[] = [];
  while (out.length < r.maxTokens) {
    const V = model.config.vocab_size;
    const logits = T.noGrad(() => T.tidy(() => Float32Array.from(T.dense(model.forward(Int32Array.from(seq)).logits))));
    const t = argmax(logits.subarray((seq.length - 1) * V));
    out.push(t);
    seq.push(t);
    if (r.stopTokenIds?.includes(t)) break;
  }
  return out;
}

test('greedy: batched with slot reuse == one at a time == recomputing without a cache', () => {
  for (const [name, cfg] of Object.entries(TINY_MODELS)) {
    const m = new Model(cfg, { seed: 17 });
    const V = cfg.vocab_size;
    const requests: SequenceRequest[] = [3, 9, 1, 6, 4, 12, 2].map((len, i) => ({
      prompt: Array.from(tokens(len, V, i + 1)),
      maxTokens: 3 + ((i * 5) % 7),
    }));
    const want = requests.map((r) => reference(m, r));
    // A stop token that occurs mid-way in one sequence's greedy output ends it early.
    const stopAt = want[5]![2]!;
    requests[5] = { ...requests[5]!, stopTokenIds: [stopAt] };
    want[5] = reference(m, requests[5]!);
    const sizes: number[] = [];
    assert.deepEqual(run(m, requests, 3, sizes), want, `${name}: batched`);
    assert.ok(Math.max(...sizes) <= 3 && sizes.includes(3), `${name}: batch sizes ${sizes}`);
    assert.deepEqual(run(m, requests, 1), want, `${name}: one at a time`);
    m.dispose();
  }
});

test('bad requests are refused before anything runs', () => {
  const m = new Model(TINY_MODELS.tinyLlama, { seed: 1 });
  assert.throws(() => [...generateTokens(m, [{ prompt: [], maxTokens: 2 }], greedy)], /request 0: the prompt is empty/);
  assert.throws(() => [...generateTokens(m, [{ prompt: [1], maxTokens: 0 }], greedy)], /request 0: maxTokens must be a positive integer, got 0/);
  assert.throws(() => [...generateTokens(m, [{ prompt: [1], maxTokens: 1 }], greedy, { maxBatch: 0 })], /maxBatch must be a positive integer/);
  m.dispose();
});
