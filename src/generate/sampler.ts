// Choosing the next token from one row of logits [V]: penalties, temperature, top-k, top-p, min-p, a
// seeded draw, and the log-probabilities that serving (top-N alternatives) and GRPO (the behaviour
// policy's logprob) need.
//
// Order of operations, as Hugging Face's generate() applies its processors and vLLM its sampler:
//   1. penalties on the raw logits (they are defined on logits: CTRL's repetition penalty divides or
//      multiplies them, OpenAI's presence/frequency penalties subtract from them);
//   2. temperature (logits / T), so that the filters below see the distribution being sampled from;
//   3. top-k (keep every token whose logit is ≥ the k-th largest: ties at the boundary are all kept);
//   4. top-p over the top-k survivors, renormalised (keep the smallest most-likely prefix whose mass
//      reaches p: a token is kept while the mass strictly before it is < p);
//   5. min-p (keep p_i ≥ minP · p_max; a ratio, so it ignores renormalisation — but it does not commute
//      with top-p, and vLLM v1 applies it before top-k/top-p while HF applies it last, as we do);
//   6. draw from the renormalised survivors.
// All softmax arithmetic is float64. Temperature 0 is greedy: the argmax of the penalised logits, the
// lowest index on ties, and no random number is consumed.

import { randomInt } from 'node:crypto';
import { Rng } from '../tensor/random.js';
import { logSumExp, maxOf, minPSurvivors, topIndices, topKSurvivors, topPSurvivors } from './filters.js';

export interface SamplingParams {
  /** Softmax temperature; 0 = greedy. */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 = off. */
  readonly topP: number;
  /** Keep the k most likely tokens; 0 = off. */
  readonly topK: number;
  /** Drop tokens with p < minP · p_max, minP in [0, 1]; 0 = off. */
  readonly minP: number;
  /** CTRL/HF repetition penalty over prompt and output tokens: a positive logit is divided by it, a negative one multiplied; 1 = off. */
  readonly repetitionPenalty: number;
  /** OpenAI presence penalty in [-2, 2], subtracted once from each token already generated. */
  readonly presencePenalty: number;
  /** OpenAI frequency penalty in [-2, 2], subtracted once per earlier occurrence in the output. */
  readonly frequencyPenalty: number;
  /** Seed for reproducible draws; per sample, see rowRng(). */
  readonly seed?: number;
  /** Number of top alternatives (0..20) to report with each token, from the raw distribution. */
  readonly logprobs: number;
}

export const DEFAULT_SAMPLING: Readonly<SamplingParams> = Object.freeze({
  temperature: 1, topP: 1, topK: 0, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logprobs: 0,
});

export const MAX_TOP_LOGPROBS = 20;

/** Fills in defaults and validates; throws a RangeError naming the field and its allowed range. */
export function samplingParams(options: Partial<SamplingParams> = {}): SamplingParams {
  const p: SamplingParams = { ...DEFAULT_SAMPLING, ...stripUndefined(options) };
  const check = (field: keyof SamplingParams, ok: boolean, range: string): void => {
    if (!ok) throw new RangeError(`sampling: ${field} must be ${range}, got ${String(p[field])}`);
  };
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  check('temperature', num(p.temperature) && p.temperature >= 0, 'a finite number ≥ 0 (0 = greedy)');
  check('topP', num(p.topP) && p.topP > 0 && p.topP <= 1, 'in (0, 1] (1 = off)');
  check('topK', Number.isSafeInteger(p.topK) && p.topK >= 0, 'an integer ≥ 0 (0 = off)');
  check('minP', num(p.minP) && p.minP >= 0 && p.minP <= 1, 'in [0, 1] (0 = off)');
  check('repetitionPenalty', num(p.repetitionPenalty) && p.repetitionPenalty > 0, 'a finite number > 0 (1 = off)');
  check('presencePenalty', num(p.presencePenalty) && Math.abs(p.presencePenalty) <= 2, 'in [-2, 2]');
  check('frequencyPenalty', num(p.frequencyPenalty) && Math.abs(p.frequencyPenalty) <= 2, 'in [-2, 2]');
  check('seed', p.seed === undefined || Number.isSafeInteger(p.seed), 'a safe integer');
  check('logprobs', Number.isInteger(p.logprobs) && p.logprobs >= 0 && p.logprobs <= MAX_TOP_LOGPROBS, `an integer in [0, ${MAX_TOP_LOGPROBS}]`);
  return p;
}

function stripUndefined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}

/** Seen tokens for the penalties: the repetition penalty looks at prompt + output, presence/frequency at the output only. */
export class TokenHistory {
  private readonly seenSet = new Set<number>();
  private readonly counts = new Map<number, number>();
  private generated = 0;

  constructor(prompt: Iterable<number> = [], output: Iterable<number> = []) {
    for (const t of prompt) this.seenSet.add(t);
    for (const t of output) this.push(t);
  }

  /** Records a generated token. */
  push(token: number): void {
    this.seenSet.add(token);
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
    this.generated++;
  }

  /** Tokens of the prompt and the output. */
  get seen(): ReadonlySet<number> { return this.seenSet; }
  /** Occurrences of each token in the output. */
  get outputCounts(): ReadonlyMap<number, number> { return this.counts; }
  /** Tokens generated so far. */
  get outputLength(): number { return this.generated; }
}

export interface TokenLogprob {
  readonly token: number;
  readonly logprob: number;
}

export interface SampleResult {
  readonly token: number;
  /**
   * log p(token) under the distribution actually sampled from: after penalties, temperature and the
   * filters, renormalised — the behaviour policy's logprob for GRPO's importance ratio. Greedy: the
   * log-softmax of the penalised logits (no temperature, no filters).
   */
  readonly logprob: number;
  /** log p(token) under the model's own distribution: log-softmax of the logits as given (T = 1, no penalties, no filters). */
  readonly rawLogprob: number;
  /** The `params.logprobs` most likely tokens of the raw distribution (as rawLogprob), best first; absent when 0. */
  readonly top?: readonly TokenLogprob[];
}

/**
 * One independent random stream per (seed, sample index), so that sample i of a request draws the
 * same tokens whatever else shares its batch. Mixes all 53 bits of the seed and the index.
 */
export function rowRng(seed: number, sampleIndex = 0): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`rowRng: seed must be a safe integer, got ${seed}`);
  if (!Number.isSafeInteger(sampleIndex) || sampleIndex < 0) throw new RangeError(`rowRng: sampleIndex must be an integer ≥ 0, got ${sampleIndex}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return new Rng(mix32(lo ^ mix32(hi ^ mix32(sampleIndex + 0x632be5ab))));
}

/** A fresh seed for requests that did not give one. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32);
}

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Reusable float64 buffers so a long generation does not allocate two vocab-sized arrays per token. */
export class SamplerWorkspace {
  private x = new Float64Array(0);
  private w = new Float64Array(0);
  buffers(V: number): { x: Float64Array; w: Float64Array } {
    if (this.x.length !== V) {
      this.x = new Float64Array(V);
      this.w = new Float64Array(V);
    }
    return { x: this.x, w: this.w };
  }
}

/** The processed distribution, before the draw: x = processed logits, w = exp(x - max), `kept` = survivors (null: all). */
interface Prepared {
  readonly x: Float64Array;
  readonly w: Float64Array;
  readonly max: number;
  readonly kept: Int32Array | null;
  /** Σ w over the survivors. */
  readonly mass: number;
  readonly penalised: boolean;
}

function prepare(logits: ArrayLike<number>, p: SamplingParams, history: TokenHistory | undefined, ws: SamplerWorkspace): Prepared {
  const V = logits.length;
  if (V === 0) throw new RangeError('sampler: the logits row is empty');
  const { x, w } = ws.buffers(V);
  for (let i = 0; i < V; i++) x[i] = logits[i]!;
  const penalised = history !== undefined && applyPenalties(x, p, history);
  const t = p.temperature === 0 ? 1 : p.temperature;
  if (t !== 1) for (let i = 0; i < V; i++) x[i] = x[i]! / t;
  const max = maxOf(x);
  let total = 0;
  for (let i = 0; i < V; i++) total += (w[i] = Math.exp(x[i]! - max));
  if (p.temperature === 0) return { x, w, max, kept: null, mass: total, penalised };

  let kept: Int32Array | null = null;
  if (p.topK > 0 && p.topK < V) kept = topKSurvivors(x, p.topK);
  if (p.topP < 1) kept = topPSurvivors(x, w, max, total, p.topP, kept);
  if (p.minP > 0) kept = minPSurvivors(w, p.minP, kept);
  let mass = total;
  if (kept) {
    mass = 0;
    for (let j = 0; j < kept.length; j++) mass += w[kept[j]!]!;
  }
  return { x, w, max, kept, mass, penalised };
}

/** Penalties in place on float64 logits; returns whether anything was applied. */
function applyPenalties(x: Float64Array, p: SamplingParams, h: TokenHistory): boolean {
  const V = x.length;
  const inVocab = (t: number): number => {
    if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new RangeError(`sampler: token ${t} of the history is outside the vocabulary [0, ${V})`);
    return t;
  };
  let applied = false;
  if (p.repetitionPenalty !== 1 && h.seen.size > 0) {
    const r = p.repetitionPenalty;
    for (const t of h.seen) {
      const l = x[inVocab(t)]!;
      x[t] = l > 0 ? l / r : l * r;
    }
    applied = true;
  }
  if ((p.frequencyPenalty !== 0 || p.presencePenalty !== 0) && h.outputCounts.size > 0) {
    for (const [t, n] of h.outputCounts) x[inVocab(t)] = x[t]! - p.frequencyPenalty * n - p.presencePenalty;
    applied = true;
  }
  return applied;
}

/**
 * Draws one token from `logits` (one row, length V). Consumes exactly one uniform from `rng` unless
 * greedy. The logits are not modified. `history` is read for the penalties, not updated (see Sampler).
 */
export function sampleToken(
  logits: ArrayLike<number>,
  params: SamplingParams,
  rng: Rng,
  history?: TokenHistory,
  ws: SamplerWorkspace = new SamplerWorkspace(),
): SampleResult {
  const pr = prepare(logits, params, history, ws);
  const { x, w, max, kept } = pr;
  let token: number;
  if (params.temperature === 0) {
    token = 0;
    for (let i = 1; i < x.length; i++) if (x[i]! > x[token]!) token = i;
  } else if (kept) {
    const weights = new Float64Array(kept.length);
    for (let j = 0; j < kept.length; j++) weights[j] = w[kept[j]!]!;
    token = kept[rng.categorical(weights)]!;
  } else {
    token = rng.categorical(w);
  }
  const logprob = x[token]! - max - Math.log(pr.mass);
  const rawLse = !pr.penalised && (params.temperature === 1 || params.temperature === 0) ? max + Math.log(sumAll(w)) : logSumExp(logits);
  const rawLogprob = logits[token]! - rawLse;
  if (params.logprobs === 0) return { token, logprob, rawLogprob };
  const top = Array.from(topIndices(logits, params.logprobs), (t) => ({ token: t, logprob: logits[t]! - rawLse }));
  return { token, logprob, rawLogprob, top };
}

function sumAll(w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

/**
 * The log-probabilities of the distribution sampleToken draws from, for every token: −Infinity for the
 * filtered ones. With temperature 0, the log-softmax of the penalised logits (as greedy's logprob).
 */
export function samplingLogprobs(logits: ArrayLike<number>, params: SamplingParams, history?: TokenHistory): Float64Array {
  const { x, max, kept, mass } = prepare(logits, params, history, new SamplerWorkspace());
  const logZ = max + Math.log(mass);
  const out = new Float64Array(x.length);
  if (kept) {
    out.fill(-Infinity);
    for (let j = 0; j < kept.length; j++) out[kept[j]!] = x[kept[j]!]! - logZ;
  } else {
    for (let i = 0; i < x.length; i++) out[i] = x[i]! - logZ;
  }
  return out;
}

export interface SamplerOptions {
  /** Prompt tokens, seen by the repetition penalty. */
  readonly prompt?: Iterable<number>;
  /** Which of the request's n samples this is: picks its random stream (rowRng(seed, sampleIndex)). */
  readonly sampleIndex?: number;
  /** An explicit random stream, overriding params.seed. */
  readonly rng?: Rng;
}

/** The sampler of one sequence: its params, its random stream and its token history. */
export class Sampler {
  readonly params: SamplingParams;
  readonly history: TokenHistory;
  readonly rng: Rng;
  private readonly ws = new SamplerWorkspace();

  constructor(params: SamplingParams, options: SamplerOptions = {}) {
    this.params = params;
    this.history = new TokenHistory(options.prompt ?? []);
    this.rng = options.rng ?? rowRng(params.seed ?? randomSeed(), options.sampleIndex ?? 0);
  }

  /** Draws the next token and records it in the history. */
  sample(logits: ArrayLike<number>): SampleResult {
    const r = sampleToken(logits, this.params, this.rng, this.history, this.ws);
    this.history.push(r.token);
    return r;
  }
}
