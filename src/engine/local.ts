// The local Engine: our own model and tokenizer in this process, all requests and their n samples
// decoded together by continuous batching, each sample with its own seeded sampler and text pipeline.

import { generateTokens, promptOpensReasoning, rowRng, randomSeed, Sampler, samplingParams, SequenceText, stopTokenIds, THINK_OPEN } from '../generate/index.js';
import type { FinishReason, SampleResult, SequenceRequest } from '../generate/index.js';
import type { CausalLM } from '../model/index.js';
import type { Tokenizer } from '../tokenizer/index.js';
import { encodePrompt } from './prompt.js';
import type { Completion, Engine, GenerateRequest, GenerationDelta } from './types.js';

export interface LocalEngineOptions {
  /** Sequences decoded at once. Default 32. */
  readonly maxBatch?: number;
}

const DEFAULT_MAX_TOKENS = 1024;

/** One sample being generated: its sampler, its text pipeline and what it has produced so far. */
interface SampleState {
  readonly request: number;
  readonly sample: number;
  readonly promptTokens: number;
  readonly sampler: Sampler;
  readonly text: SequenceText;
  readonly tokens: number[];
  readonly results: SampleResult[];
  reasoningTokens: number;
  truncatedReasoning: boolean;
  /** Text and tokens not yet handed to the stream. */
  pending: { reasoning: string; content: string; tokens: number[]; logprobs: number[] };
}

export class LocalEngine implements Engine {
  readonly name = 'local';

  constructor(readonly model: CausalLM, readonly tokenizer: Tokenizer, private readonly opts: LocalEngineOptions = {}) {}

  async *stream(requests: readonly GenerateRequest[]): AsyncIterable<GenerationDelta> {
    for (const { delta } of this.run(requests)) {
      yield delta;
      // Let the event loop breathe between steps (a server streams many clients at once).
      await new Promise((r) => setImmediate(r));
    }
  }

  async generate(requests: readonly GenerateRequest[]): Promise<Completion[]> {
    const done: Completion[] = [];
    for (const { completion } of this.run(requests)) if (completion) done.push(completion);
    await Promise.resolve();
    return done.sort((a, b) => a.request - b.request || a.sample - b.sample);
  }

  async close(): Promise<void> {}

  /** The shared loop: a delta per sample per step, with the Completion on its last one. */
  private *run(requests: readonly GenerateRequest[]): Generator<{ delta: GenerationDelta; completion: Completion | null }> {
    const states: SampleState[] = [];
    const seqs: SequenceRequest[] = [];
    requests.forEach((req, r) => {
      const { ids, text } = this.prompt(req, r);
      const params = samplingParams(req.sampling ?? {});
      const seed = params.seed ?? randomSeed();
      const n = req.n ?? 1;
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`request ${r}: n must be a positive integer, got ${n}`);
      const stopTokens = [...stopTokenIds(this.tokenizer.eosTokenId, req.stopTokenIds)];
      for (let s = 0; s < n; s++) {
        states.push({
          request: r,
          sample: s,
          promptTokens: ids.length,
          sampler: new Sampler(params, { prompt: ids, rng: rowRng(seed, s) }),
          text: new SequenceText(this.detokenizer, { context: ids.slice(-5), stop: req.stop ?? [], startsInReasoning: promptOpensReasoning(text, { openTag: THINK_OPEN }) }),
          tokens: [],
          results: [],
          reasoningTokens: 0,
          truncatedReasoning: false,
          pending: { reasoning: '', content: '', tokens: [], logprobs: [] },
        });
        seqs.push({ prompt: ids, maxTokens: req.maxTokens ?? DEFAULT_MAX_TOKENS, stopTokenIds: stopTokens });
      }
    });
    const pick = (logits: Float32Array, _history: readonly number[], i: number) => {
      const st = states[i]!;
      const res = st.sampler.sample(logits);
      if (st.text.inReasoning) st.reasoningTokens++;
      st.tokens.push(res.token);
      st.results.push(res);
      const d = st.text.push(res.token);
      st.pending.reasoning += d.reasoning;
      st.pending.content += d.content;
      st.pending.tokens.push(res.token);
      st.pending.logprobs.push(res.logprob);
      return { token: res.token, logprob: res.logprob, stop: d.stopped };
    };
    for (const step of generateTokens(this.model, seqs, pick, { maxBatch: this.opts.maxBatch ?? 32 })) {
      for (const e of step) {
        const st = states[e.sequence]!;
        if (e.finish) {
          const end = st.text.finish();
          st.pending.reasoning += end.reasoning;
          st.pending.content += end.content;
          st.truncatedReasoning = end.truncatedReasoning;
        }
        const delta: GenerationDelta = { request: st.request, sample: st.sample, ...st.pending, finishReason: e.finish };
        st.pending = { reasoning: '', content: '', tokens: [], logprobs: [] };
        yield { delta, completion: e.finish ? this.completion(st, e.finish) : null };
      }
    }
  }

  private completion(st: SampleState, finishReason: FinishReason): Completion {
    return {
      request: st.request,
      sample: st.sample,
      reasoning: st.text.reasoning,
      content: st.text.content,
      tokens: st.tokens,
      logprobs: st.results.map((r) => r.logprob),
      rawLogprobs: st.results.map((r) => r.rawLogprob),
      topLogprobs: st.results.map((r) => r.top ?? []),
      finishReason,
      truncatedReasoning: st.truncatedReasoning,
      promptTokens: st.promptTokens,
      reasoningTokens: st.reasoningTokens,
    };
  }

  /** The prompt's token ids and text: a chat through the template, or raw text. */
  private prompt(req: GenerateRequest, r: number): { ids: number[]; text: string } {
    try {
      return encodePrompt(this.tokenizer, req);
    } catch (e) {
      throw new RangeError(`request ${r}: ${(e as Error).message}`);
    }
  }

  private readonly detokenizer = { decode: (ids: readonly number[]) => this.tokenizer.decode(ids, { skipSpecialTokens: true }) };
}
