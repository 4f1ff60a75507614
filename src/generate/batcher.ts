// Continuous batching over one KV cache: up to `maxBatch` sequences decode together; a sequence that
// finishes frees its cache slot at once and the next waiting prompt takes it (prefilled alongside the
// step), so short and long generations share the batch without waiting for each other. GRPO rollouts
// (n samples of many prompts) and the server both run through here. Token ids only: sampling is a
// callback, text and reasoning are the stream layer's concern.

import * as T from '../tensor/index.js';
import type { CausalLM, KVCache, MlaPath } from '../model/index.js';

/**
 * Chooses the next token from one row of logits [vocab]; `history` is the prompt plus output so far.
 * `stop: true` ends the sequence after this token (e.g. a stop string completed in its text).
 */
export type PickToken = (logits: Float32Array, history: readonly number[], sequence: number) => { token: number; logprob: number; stop?: boolean };

export interface SequenceRequest {
  readonly prompt: readonly number[];
  /** Tokens to generate at most. */
  readonly maxTokens: number;
  /** Tokens that end the sequence (emitted, then finished with 'stop'). */
  readonly stopTokenIds?: readonly number[];
}

export type FinishReason = 'stop' | 'length';

/** One generated token of one sequence (index into the request list). */
export interface TokenEvent {
  readonly sequence: number;
  readonly token: number;
  readonly logprob: number;
  /** Set on the sequence's last token. */
  readonly finish: FinishReason | null;
}

export interface BatcherOptions {
  /** Sequences decoding at once (cache slots). Default 32. */
  readonly maxBatch?: number;
  /** MLA cache layout (DeepSeek models). Default 'absorbed'. */
  readonly mla?: MlaPath;
  /** Called with the running count of sequences when it changes (progress, metrics). */
  readonly onBatchSize?: (active: number) => void;
}

interface Running {
  readonly sequence: number;
  readonly slot: number;
  readonly history: number[];
  generated: number;
  /** The sampled token not yet fed to the model. */
  pending: number;
  /** Set when the sequence's last token has been sampled. */
  finish: FinishReason | null;
}

/**
 * Generates every request to completion; yields, step by step, the tokens produced in that step (in
 * sequence order within a step). Requests are admitted in order as slots free up.
 */
export function* generateTokens(model: CausalLM, requests: readonly SequenceRequest[], pick: PickToken, opts: BatcherOptions = {}): Generator<TokenEvent[]> {
  const maxBatch = opts.maxBatch ?? 32;
  if (!Number.isInteger(maxBatch) || maxBatch <= 0) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  requests.forEach((r, i) => {
    if (r.prompt.length === 0) throw new RangeError(`request ${i}: the prompt is empty; give at least one token (e.g. BOS)`);
    if (!Number.isInteger(r.maxTokens) || r.maxTokens < 1) throw new RangeError(`request ${i}: maxTokens must be a positive integer, got ${r.maxTokens}`);
  });
  if (requests.length === 0) return;
  const capacity = Math.max(...requests.map((r) => r.prompt.length + r.maxTokens));
  const cache = model.newCache(Math.min(maxBatch, requests.length), capacity, { mla: opts.mla ?? 'absorbed' });
  try {
    const free = Array.from({ length: cache.batch }, (_, i) => cache.batch - 1 - i); // pop() gives slot 0 first
    let next = 0;
    let running: Running[] = [];
    while (next < requests.length || running.length > 0) {
      const events: TokenEvent[] = [];
      const admitted: Running[] = [];
      while (free.length > 0 && next < requests.length) {
        const slot = free.pop()!;
        cache.resetSlot(slot);
        admitted.push({ sequence: next, slot, history: [...requests[next]!.prompt], generated: 0, pending: -1, finish: null });
        next++;
      }
      // Running sequences are older (lower numbers) than the admitted ones, so decoding first keeps
      // both the events and the running list in sequence order.
      if (running.length > 0) decode(model, cache, running, requests, pick, events);
      if (admitted.length > 0) prefill(model, cache, admitted, requests, pick, events);
      running = [...running, ...admitted].filter((r) => {
        if (r.finish) free.push(r.slot);
        return !r.finish;
      });
      opts.onBatchSize?.(running.length);
      yield events;
    }
  } finally {
    cache.dispose();
  }
}

/** Prompts of the newly admitted sequences, right-padded into one pass; samples each one's first token. */
function prefill(model: CausalLM, cache: KVCache, rows: Running[], requests: readonly SequenceRequest[], pick: PickToken, events: TokenEvent[]): void {
  const width = Math.max(...rows.map((r) => r.history.length));
  const ids = new Int32Array(rows.length * width);
  rows.forEach((r, i) => ids.set(r.history, i * width));
  const lengths = Int32Array.from(rows, (r) => r.history.length);
  const logits = T.noGrad(() => T.tidy(() => copyOut(model.forward(ids, { batch: rows.length, cache, slots: Int32Array.from(rows, (r) => r.slot), lengths, logits: 'last' }).logits)));
  sampleRows(rows, logits, requests, pick, events);
}

/** One token for every running sequence, in one pass. */
function decode(model: CausalLM, cache: KVCache, rows: Running[], requests: readonly SequenceRequest[], pick: PickToken, events: TokenEvent[]): void {
  const ids = Int32Array.from(rows, (r) => r.pending);
  const logits = T.noGrad(() => T.tidy(() => copyOut(model.forward(ids, { batch: rows.length, cache, slots: Int32Array.from(rows, (r) => r.slot) }).logits)));
  sampleRows(rows, logits, requests, pick, events);
}

/** A JS-owned copy of the logits, so they outlive the pass's tensors. */
function copyOut(t: T.Tensor): Float32Array {
  return Float32Array.from(T.dense(t));
}

function sampleRows(rows: Running[], logits: Float32Array, requests: readonly SequenceRequest[], pick: PickToken, events: TokenEvent[]): void {
  const V = logits.length / rows.length;
  rows.forEach((r, i) => {
    const req = requests[r.sequence]!;
    const { token, logprob, stop } = pick(logits.subarray(i * V, (i + 1) * V), r.history, r.sequence);
    r.history.push(token);
    r.pending = token;
    r.generated++;
    r.finish = stop || req.stopTokenIds?.includes(token) ? 'stop' : r.generated >= req.maxTokens ? 'length' : null;
    events.push({ sequence: r.sequence, token, logprob, finish: r.finish });
  });
}
