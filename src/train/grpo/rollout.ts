// Rollouts: each prompt goes to the Engine once with n = G, so a local engine, llama.cpp or a vLLM server
// can produce them; completions come back group by group (G per prompt, contiguous), which is the layout
// advantages, filters and the loss expect. Each request gets its own seed derived from the run's seed,
// the step and the prompt's place in the batch, so a resumed run redraws exactly the same rollouts.

import type { Completion, Engine, GenerateRequest } from '../../engine/index.js';
import { encodePrompt } from '../../engine/index.js';
import type { SamplingParams } from '../../generate/index.js';
import type { RewardSample } from '../../rewards/index.js';
import type { ChatMessage, R1Options, Tokenizer } from '../../tokenizer/index.js';

/** One training prompt: what the engine is asked (a chat or raw text) and what the rewards check. */
export interface GrpoTask {
  readonly messages?: readonly ChatMessage[];
  readonly prompt?: string;
  /** R1 chat conventions for `messages` (defaults as in the engine). */
  readonly r1?: R1Options;
  /** The gold answer and task fields the reward functions read. */
  readonly sample: RewardSample;
}

export interface RolloutSettings {
  readonly groupSize: number;
  readonly maxTokens: number;
  /** Sampling of the rollouts (temperature > 0); the seed is set per request. */
  readonly sampling: Partial<Omit<SamplingParams, 'seed'>>;
  readonly stop?: readonly string[];
}

/** A 32-bit seed for request `index` of step `step` of a run seeded with `seed`. */
export function requestSeed(seed: number, step: number, index: number): number {
  let h = mix(seed >>> 0);
  h = mix(h ^ (step >>> 0));
  h = mix(h ^ Math.floor(step / 4294967296));
  return mix(h ^ (index >>> 0));
}

function mix(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The engine requests of one step: one per task, n = G each. */
export function rolloutRequests(tasks: readonly GrpoTask[], settings: RolloutSettings, seeds: readonly number[]): GenerateRequest[] {
  return tasks.map((task, k) => ({
    ...(task.messages ? { messages: task.messages } : { prompt: task.prompt! }),
    ...(task.r1 ? { r1: task.r1 } : {}),
    n: settings.groupSize,
    maxTokens: settings.maxTokens,
    sampling: { ...settings.sampling, seed: seeds[k]! },
    ...(settings.stop ? { stop: settings.stop } : {}),
  }));
}

/** Generates the step's completions; throws if the engine returns them in another shape than asked. */
export async function rollout(engine: Engine, requests: readonly GenerateRequest[]): Promise<Completion[]> {
  const out = await engine.generate(requests);
  const n = requests.reduce((a, r) => a + (r.n ?? 1), 0);
  if (out.length !== n) throw new Error(`rollout: the ${engine.name} engine returned ${out.length} completions for ${n} asked (${requests.length} prompts × n)`);
  let i = 0;
  requests.forEach((r, k) => {
    for (let s = 0; s < (r.n ?? 1); s++, i++) {
      if (out[i]!.request !== k || out[i]!.sample !== s) throw new Error(`rollout: completion ${i} is request ${out[i]!.request} sample ${out[i]!.sample}, expected request ${k} sample ${s}; an Engine must order completions by request, then sample`);
      if (out[i]!.tokens.length === 0) throw new Error(`rollout: request ${k} sample ${s} has no tokens; the engine must return the generated token ids to train on them`);
    }
  });
  return out;
}

/** The prompt's token ids as the engine saw them (the local engine encodes them the same way). */
export function promptIds(tokenizer: Tokenizer, task: GrpoTask): number[] {
  return encodePrompt(tokenizer, task).ids;
}
