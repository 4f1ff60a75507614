// The generation layer: continuous batching over the KV cache, the sampler, streaming detokenization,
// stop strings and the reasoning (<think>) parser.

export { generateTokens } from './batcher.js';
export type { BatcherOptions, FinishReason, PickToken, SequenceRequest, TokenEvent } from './batcher.js';
export { promptOpensReasoning, splitReasoning, THINK_CLOSE, THINK_OPEN, ThinkTagParser } from './reasoning.js';
export type { ReasoningDelta, ReasoningEnd, ReasoningOptions, StreamingReasoningParser } from './reasoning.js';
export { DEFAULT_SAMPLING, MAX_TOP_LOGPROBS, randomSeed, rowRng, Sampler, samplingLogprobs, samplingParams, sampleToken, TokenHistory } from './sampler.js';
export type { SampleResult, SamplerOptions, SamplingParams, TokenLogprob } from './sampler.js';
export { StopMatcher, stopTokenIds } from './stop.js';
export type { StopResult } from './stop.js';
export { SequenceText } from './sequence-text.js';
export type { SequenceDelta, SequenceTextOptions } from './sequence-text.js';
export { StreamDecoder } from './stream-decoder.js';
export type { Detokenizer, StreamDecoderOptions } from './stream-decoder.js';
