// The sampler: filters on hand-made distributions with exact expectations, temperature and penalties
// against closed forms, logprobs, draw frequencies within binomial bounds, seeded reproducibility, and
// the fast top-p/top-k paths against a sort-based oracle on a vocabulary-sized row.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SamplingParams } from '../../src/generate/sampler.js';
import { topIndices } from '../../src/generate/filters.js';
import { Sampler, TokenHistory, rowRng, sampleToken, samplingLogprobs, samplingParams } from '../../src/generate/sampler.js';
import * as T from '../../src/tensor/index.js';

/** Logits whose softmax is `probs` (shifted by a constant, which must not matter). */
function logitsOf(probs: number[]): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(p) + 3.25);
}

function kept(lp: Float64Array): number[] {
  return [...lp.keys()].filter((i) => Number.isFinite(lp[i]!));
}

function close(got: number, want: number, tol = 1e-6, what = ''): void {
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);
}

/** Asserts the filtered distribution keeps exactly `want` with probabilities p_i / Σ_kept p. */
function assertKeeps(probs: number[], opts: Partial<SamplingParams>, want: number[]): void {
  const lp = samplingLogprobs(logitsOf(probs), samplingParams(opts));
  assert.deepEqual(kept(lp), want, JSON.stringify(opts));
  const mass = want.reduce((s, i) => s + probs[i]!, 0);
  for (const i of want) close(lp[i]!, Math.log(probs[i]! / mass), 1e-6, `${JSON.stringify(opts)} token ${i}`);
}

// a = 3 (0.5), b = 0 (0.3), c = 2 (0.15), d = 1 (0.05)
const P4 = [0.3, 0.05, 0.15, 0.5];
// 0.6, 0.25, 0.1, 0.04, 0.01 in order
const P5 = [0.6, 0.25, 0.1, 0.04, 0.01];

test('samplingParams: defaults, and a RangeError naming the field for each bad value', () => {
  const d = samplingParams();
  assert.deepEqual(d, { temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logprobs: 0 });
  assert.equal(samplingParams({ temperature: 0.6, topP: undefined }).topP, 1);
  const bad: [Partial<SamplingParams>, string][] = [
    [{ temperature: -0.1 }, 'temperature'], [{ temperature: Infinity }, 'temperature'], [{ temperature: NaN }, 'temperature'],
    [{ topP: 0 }, 'topP'], [{ topP: 1.01 }, 'topP'], [{ topK: -1 }, 'topK'], [{ topK: 2.5 }, 'topK'],
    [{ minP: -0.01 }, 'minP'], [{ minP: 1.5 }, 'minP'], [{ repetitionPenalty: 0 }, 'repetitionPenalty'],
    [{ presencePenalty: 2.5 }, 'presencePenalty'], [{ frequencyPenalty: -3 }, 'frequencyPenalty'],
    [{ seed: 1.5 }, 'seed'], [{ logprobs: 21 }, 'logprobs'], [{ logprobs: -1 }, 'logprobs'],
  ];
  for (const [opts, field] of bad) {
    assert.throws(() => samplingParams(opts), (e: Error) => e instanceof RangeError && e.message.startsWith(`sampling: ${field} must be`), field);
  }
});

test('top-p keeps the smallest most-likely prefix whose mass reaches p', () => {
  assertKeeps(P4, {}, [0, 1, 2, 3]);
  assertKeeps(P4, { topP: 0.9 }, [0, 2, 3]); // a + b = 0.8 < 0.9, so c is kept; a + b + c = 0.95, d is not
  assertKeeps(P4, { topP: 0.81 }, [0, 2, 3]);
  assertKeeps(P4, { topP: 0.79 }, [0, 3]);
  assertKeeps(P4, { topP: 0.51 }, [0, 3]);
  assertKeeps(P4, { topP: 0.4 }, [3]);
  assertKeeps(P4, { topP: 0.96 }, [0, 1, 2, 3]);
});

test('top-p at the exact boundary: a token whose preceding mass equals p is dropped; ties go to the lower index', () => {
  // Four equal logits: exact weights 1, 1, 1, 1. HF removes a token when the ascending cumsum ≤ 1 − p.
  const flat = Float32Array.from([0, 0, 0, 0]);
  const keeps = (logits: Float32Array, o: Partial<SamplingParams>): number[] => kept(samplingLogprobs(logits, samplingParams(o)));
  assert.deepEqual(keeps(flat, { topP: 0.5 }), [0, 1]);
  assert.deepEqual(keeps(flat, { topP: 0.75 }), [0, 1, 2]);
  assert.deepEqual(keeps(flat, { topP: 0.2 }), [0]);
  // The same through the top-k path (top-k 4 of 5 drops the masked token first).
  const flat5 = Float32Array.from([0, 0, -Infinity, 0, 0]);
  assert.deepEqual(keeps(flat5, { topK: 4, topP: 0.5 }), [0, 1]);
  assert.deepEqual(keeps(flat5, { topK: 4, topP: 0.75 }), [0, 1, 3]);
});

test('top-k keeps the k largest; ties at the boundary are all kept (as HF and vLLM)', () => {
  assertKeeps(P4, { topK: 2 }, [0, 3]);
  assertKeeps(P4, { topK: 1 }, [3]);
  assertKeeps(P4, { topK: 4 }, [0, 1, 2, 3]);
  assertKeeps(P4, { topK: 100 }, [0, 1, 2, 3]);
  assertKeeps([0.4, 0.2, 0.2, 0.2], { topK: 2 }, [0, 1, 2, 3]);
  assertKeeps([0.4, 0.3, 0.15, 0.15], { topK: 3 }, [0, 1, 2, 3]);
  assertKeeps([0.4, 0.3, 0.15, 0.15], { topK: 2 }, [0, 1]);
});

test('min-p keeps p ≥ minP · p_max', () => {
  assertKeeps(P5, { minP: 0.1 }, [0, 1, 2]); // threshold 0.06
  assertKeeps(P5, { minP: 0.3 }, [0, 1]); // 0.18
  assertKeeps(P5, { minP: 0.05 }, [0, 1, 2, 3]); // 0.03
  assertKeeps(P5, { minP: 1 }, [0]);
});

test('filters combine in the order top-k → top-p (renormalised) → min-p', () => {
  // Alone, top-p 0.88 keeps 3 tokens (0.6 + 0.25 = 0.85 < 0.88); after top-k 3 the renormalised
  // mass before the third is 0.85 / 0.95 = 0.895 ≥ 0.88, so it goes.
  assertKeeps(P5, { topP: 0.88 }, [0, 1, 2]);
  assertKeeps(P5, { topK: 3, topP: 0.88 }, [0, 1]);
  // top-p before min-p: top-p 0.88 keeps {0, 1, 2} and min-p 0.1 keeps them (vLLM v1's min-p-first order would give {0, 1}).
  assertKeeps(P5, { topP: 0.88, minP: 0.1 }, [0, 1, 2]);
  assertKeeps(P5, { topP: 0.97, minP: 0.1 }, [0, 1, 2]);
  assertKeeps(P5, { topK: 2, minP: 0.5 }, [0]);
});

test('temperature scales the logits before the filters: closed-form probabilities', () => {
  const probs = P5;
  for (const t of [0.5, 2, 0.7]) {
    const lp = samplingLogprobs(logitsOf(probs), samplingParams({ temperature: t }));
    const z = probs.reduce((s, p) => s + p ** (1 / t), 0);
    probs.forEach((p, i) => close(lp[i]!, Math.log(p ** (1 / t) / z), 1e-6, `T=${t} token ${i}`));
  }
  // T = 0.5 squares the probabilities: [.8291, .1439, .0230, …], so top-p 0.9 keeps two tokens (three at T = 1).
  assert.deepEqual(kept(samplingLogprobs(logitsOf(P5), samplingParams({ temperature: 0.5, topP: 0.9 }))), [0, 1]);
  assert.deepEqual(kept(samplingLogprobs(logitsOf(P5), samplingParams({ topP: 0.9 }))), [0, 1, 2]);
});

test('penalties: exact arithmetic, repetition over prompt + output, presence/frequency over output only', () => {
  const logits = Float32Array.from([2, -1, 0.5, 3, -2]);
  const history = new TokenHistory([0], [1, 1, 3]);
  const params = samplingParams({ repetitionPenalty: 1.5, frequencyPenalty: 0.25, presencePenalty: 0.5 });
  // rep: 0 (prompt) 2 → 4/3; 1: −1 → −1.5; 3: 3 → 2. Then 1: −1.5 − 2·0.25 − 0.5 = −2.5; 3: 2 − 0.25 − 0.5 = 1.25.
  const want = [4 / 3, -2.5, 0.5, 1.25, -2];
  const lse = Math.log(want.reduce((s, v) => s + Math.exp(v), 0));
  const lp = samplingLogprobs(logits, params, history);
  want.forEach((v, i) => close(lp[i]!, v - lse, 1e-12, `token ${i}`));
  // Each penalty alone.
  const only = (o: Partial<SamplingParams>): Float64Array => samplingLogprobs(logits, samplingParams(o), history);
  const rep = [4 / 3, -1.5, 0.5, 2, -2];
  const lseRep = Math.log(rep.reduce((s, v) => s + Math.exp(v), 0));
  rep.forEach((v, i) => close(only({ repetitionPenalty: 1.5 })[i]!, v - lseRep, 1e-12, `rep ${i}`));
  const pres = [2, -1.5, 0.5, 2.5, -2];
  const lsePres = Math.log(pres.reduce((s, v) => s + Math.exp(v), 0));
  pres.forEach((v, i) => close(only({ presencePenalty: 0.5 })[i]!, v - lsePres, 1e-12, `presence ${i}`));
  const freq = [2, -2, 0.5, 2.5, -2];
  const lseFreq = Math.log(freq.reduce((s, v) => s + Math.exp(v), 0));
  freq.forEach((v, i) => close(only({ frequencyPenalty: 0.5 })[i]!, v - lseFreq, 1e-12, `frequency ${i}`));
  // Greedy sees the penalised logits: token 3 (raw max) drops below token 0.
  const r = sampleToken(logits, samplingParams({ ...params, temperature: 0 }), new T.Rng(1), history);
  assert.equal(r.token, 0);
  close(r.logprob, 4 / 3 - lse, 1e-12, 'greedy logprob');
  const rawLse = Math.log([2, -1, 0.5, 3, -2].reduce((s, v) => s + Math.exp(v), 0));
  close(r.rawLogprob, 2 - rawLse, 1e-12, 'greedy raw logprob');
  // The input logits are left alone.
  assert.deepEqual([...logits], [2, -1, 0.5, 3, -2]);
});

test('greedy: argmax with the lowest index on ties, unfiltered logprob, no random number used', () => {
  const logits = Float32Array.from([1, 5, 5, 2]);
  const rng = new T.Rng(9);
  const r = sampleToken(logits, samplingParams({ temperature: 0, topK: 1, topP: 0.1 }), rng);
  assert.equal(r.token, 1);
  const lse = Math.log(Math.exp(1) + 2 * Math.exp(5) + Math.exp(2));
  close(r.logprob, 5 - lse, 1e-12, 'logprob');
  close(r.rawLogprob, 5 - lse, 1e-12, 'rawLogprob');
  assert.equal(rng.uniform(), new T.Rng(9).uniform());
});

test('sampled logprob is the filtered distribution\'s, rawLogprob and top-N the model\'s', () => {
  const rng = new T.Rng(3);
  const V = 1000;
  const logits = Float32Array.from({ length: V }, () => 3 * rng.normal());
  const params = samplingParams({ temperature: 0.7, topK: 50, topP: 0.9, minP: 0.02, logprobs: 5, seed: 11 });
  const lp = samplingLogprobs(logits, params);
  const rawLse = Math.log(logits.reduce((s, v) => s + Math.exp(v), 0));
  const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
  const draw = rowRng(11);
  for (let n = 0; n < 200; n++) {
    const r = sampleToken(logits, params, draw);
    assert.ok(Number.isFinite(lp[r.token]!), `token ${r.token} was filtered out`);
    close(r.logprob, lp[r.token]!, 1e-9, 'logprob');
    close(r.rawLogprob, logits[r.token]! - rawLse, 1e-9, 'rawLogprob');
    assert.deepEqual(r.top!.map((t) => t.token), order.slice(0, 5));
    r.top!.forEach((t) => close(t.logprob, logits[t.token]! - rawLse, 1e-9, 'top'));
  }
  assert.equal(sampleToken(logits, samplingParams(), draw).top, undefined);
});

test('draw frequencies match the distribution within binomial bounds', () => {
  const N = 20000;
  const cases: [number[], Partial<SamplingParams>, number[]][] = [
    [[0.5, 0.25, 0.15, 0.1], {}, [0.5, 0.25, 0.15, 0.1]],
    [[0.5, 0.25, 0.15, 0.1], { topK: 2 }, [2 / 3, 1 / 3, 0, 0]],
    [[0.5, 0.25, 0.15, 0.1], { temperature: 0.5 }, [0.25 / 0.345, 0.0625 / 0.345, 0.0225 / 0.345, 0.01 / 0.345]],
    [[0.5, 0.25, 0.15, 0.1], { topP: 0.8, minP: 0.35 }, [2 / 3, 1 / 3, 0, 0]],
  ];
  for (const [probs, opts, want] of cases) {
    const params = samplingParams(opts);
    const rng = rowRng(2024);
    const counts = new Array<number>(probs.length).fill(0);
    for (let n = 0; n < N; n++) counts[sampleToken(logitsOf(probs), params, rng).token]!++;
    want.forEach((p, i) => {
      const sd = Math.sqrt(N * p * (1 - p));
      assert.ok(Math.abs(counts[i]! - N * p) <= 4.5 * sd, `${JSON.stringify(opts)} token ${i}: ${counts[i]} of ${N}, want ≈ ${N * p}`);
    });
  }
});

test('a seed reproduces its samples; other seeds and sample indices differ; batch composition does not matter', () => {
  const rng = new T.Rng(5);
  const rows = Array.from({ length: 30 }, () => Float32Array.from({ length: 64 }, () => rng.normal()));
  const params = samplingParams({ temperature: 0.9, topP: 0.95, seed: 1234 });
  const run = (seed: number, index: number): number[] => {
    const s = new Sampler({ ...params, seed }, { sampleIndex: index });
    return rows.map((row) => s.sample(row).token);
  };
  assert.deepEqual(run(1234, 0), run(1234, 0));
  assert.notDeepEqual(run(1234, 0), run(1235, 0));
  assert.notDeepEqual(run(1234, 0), run(1234, 1));
  assert.notDeepEqual(run(1, 0), run(1 + 2 ** 40, 0)); // the high bits of the seed count
  // Interleaved with other samples of the batch, sample 2 draws what it draws alone.
  const samplers = [0, 1, 2, 3].map((i) => new Sampler(params, { sampleIndex: i }));
  const together: number[][] = [[], [], [], []];
  for (const row of rows) samplers.forEach((s, i) => together[i]!.push(s.sample(row).token));
  assert.deepEqual(together[2], run(1234, 2));
});

test('Sampler records its tokens, so the penalties see them', () => {
  const logits = Float32Array.from([1, 1, 1]);
  const s = new Sampler(samplingParams({ temperature: 0, presencePenalty: 1 }), { prompt: [0] });
  // Greedy with a presence penalty cycles through the tied tokens; the prompt token 0 is not penalised.
  assert.deepEqual([0, 1, 2].map(() => s.sample(logits).token), [0, 1, 2]);
  assert.equal(s.history.outputLength, 3);
  assert.equal(s.history.outputCounts.get(1), 1);
});

/** Straightforward definition: sort everything, apply each filter in turn. */
function oracleKept(logits: Float32Array, p: SamplingParams): number[] {
  const x = Array.from(logits, (v) => v / p.temperature);
  const m = x.reduce((a, b) => Math.max(a, b), -Infinity);
  const w = x.map((v) => Math.exp(v - m));
  let order = [...x.keys()].sort((a, b) => x[b]! - x[a]! || a - b);
  if (p.topK > 0) order = order.filter((i) => x[i]! >= x[order[p.topK - 1]!]!);
  if (p.topP < 1) {
    const total = order.reduce((s, i) => s + w[i]!, 0);
    let before = 0;
    order = order.filter((i) => {
      const keep = before < p.topP * total;
      before += w[i]!;
      return keep;
    });
  }
  if (p.minP > 0) order = order.filter((i) => w[i]! >= p.minP);
  return order.sort((a, b) => a - b);
}

test('on a 152k vocabulary, the partial-selection paths agree with a full-sort oracle (ties included)', () => {
  const rng = new T.Rng(17);
  const V = 152064;
  const rows = [
    Float32Array.from({ length: V }, () => 2 * rng.normal()),
    Float32Array.from({ length: V }, () => Math.round(4 * rng.normal()) / 4), // many ties
    Float32Array.from({ length: V }, () => 0.01 * rng.normal()), // nearly flat: top-p keeps most of the vocabulary
  ];
  const settings: Partial<SamplingParams>[] = [
    { temperature: 0.6, topP: 0.95 }, { topK: 40 }, { topK: 40, topP: 0.5, minP: 0.05 }, { temperature: 1.3, minP: 0.2 }, { topP: 0.3 },
  ];
  for (const [r, row] of rows.entries()) {
    for (const s of settings) {
      const p = samplingParams(s);
      assert.deepEqual(kept(samplingLogprobs(row, p)), oracleKept(row, p), `row ${r} ${JSON.stringify(s)}`);
    }
  }
  const want = [...rows[1]!.keys()].sort((a, b) => rows[1]![b]! - rows[1]![a]! || a - b).slice(0, 20);
  assert.deepEqual([...topIndices(rows[1]!, 20)], want);
});

test('bad rows and histories are reported', () => {
  const p = samplingParams();
  assert.throws(() => sampleToken(Float32Array.from([0, NaN]), p, new T.Rng(1)), /logit 1 is NaN/);
  assert.throws(() => sampleToken(Float32Array.from([-Infinity, -Infinity]), p, new T.Rng(1)), /at least one finite logit/);
  assert.throws(() => sampleToken(new Float32Array(0), p, new T.Rng(1)), /empty/);
  assert.throws(() => sampleToken(Float32Array.from([0, 1]), samplingParams({ presencePenalty: 1 }), new T.Rng(1), new TokenHistory([], [5])), /token 5 .* outside the vocabulary/);
  // −Infinity logits (masked tokens) are never drawn.
  const masked = Float32Array.from([-Infinity, 0, -Infinity, 0]);
  const rng = new T.Rng(4);
  for (let n = 0; n < 100; n++) assert.ok([1, 3].includes(sampleToken(masked, samplingParams({ topP: 0.99 }), rng).token));
});
