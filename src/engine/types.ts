// The one generation interface (DESIGN.md "Engine"): serve, eval, distillation and GRPO ask an Engine
// for completions and never care whether it is our model, llama.cpp or an HTTP server.

import type { FinishReason, SamplingParams, TokenLogprob } from '../generate/index.js';
import type { ChatMessage, R1Options } from '../tokenizer/index.js';

export interface GenerateRequest {
  /** A chat, rendered with the model's chat template (R1 conventions by default) … */
  readonly messages?: readonly ChatMessage[];
  /** … or raw prompt text, used as is. */
  readonly prompt?: string;
  /** Tokens to generate at most (default 1024). */
  readonly maxTokens?: number;
  readonly sampling?: Partial<SamplingParams>;
  /** Independent samples of this request (GRPO's group size). Default 1. */
  readonly n?: number;
  readonly stop?: readonly string[];
  readonly stopTokenIds?: readonly number[];
  /** R1 chat conventions (system folded, <think> forced, old reasoning stripped, math directive). */
  readonly r1?: R1Options;
}

/** What one step of streaming adds to one sample. */
export interface GenerationDelta {
  readonly request: number;
  readonly sample: number;
  readonly reasoning: string;
  readonly content: string;
  readonly tokens: readonly number[];
  /** Log-probability of each token under the distribution it was sampled from. */
  readonly logprobs: readonly number[];
  /** Set on the sample's last delta. */
  readonly finishReason: FinishReason | null;
}

export interface Completion {
  readonly request: number;
  readonly sample: number;
  readonly reasoning: string;
  readonly content: string;
  readonly tokens: number[];
  /** Per token: under the sampled (processed) distribution, and under the model's raw softmax. */
  readonly logprobs: number[];
  readonly rawLogprobs: number[];
  /** Top alternatives per token when sampling.logprobs > 0. */
  readonly topLogprobs: (readonly TokenLogprob[])[];
  readonly finishReason: FinishReason;
  /** The output ended inside the think block (no </think>). */
  readonly truncatedReasoning: boolean;
  readonly promptTokens: number;
  /** Generated tokens that were inside the think block. */
  readonly reasoningTokens: number;
}

export interface Engine {
  readonly name: string;
  /** Streams deltas of every sample of every request as they are generated. */
  stream(requests: readonly GenerateRequest[]): AsyncIterable<GenerationDelta>;
  /** Runs the requests to completion: one Completion per sample, ordered by request then sample. */
  generate(requests: readonly GenerateRequest[]): Promise<Completion[]>;
  close(): Promise<void>;
}
