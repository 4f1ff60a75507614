// The `grpo` section of `npm run bench`: GRPO step throughput for tiny-moe through the real trainer —
// rollouts (continuous-batched generation of G samples per prompt), π_old and π_ref log-probabilities
// (no-grad forwards), and the policy update (forward + backward of the clipped surrogate, AdamW).
// Setup: a byte-level BPE trained on arithmetic text sets the vocabulary; tiny-moe otherwise as the
// preset; 8 prompts × G = 8 per step, 64 tokens at most, μ = 2, β = 0.04 (a reference model is kept).
// Steps: build → one untimed step (warm-up) whose π_old must match the sampler's log-probabilities
// (the rollout and the update score the same tokens the same way, or the figures mean nothing) →
// STEPS timed steps → medians of the trainer's own per-step figures.
// No peer in this section: TRL/verl are not installable here; the two halves are compared with PyTorch
// in the `generate` (rollout ≈ batched decoding) and `model` (update ≈ a training step) sections.

import { LocalEngine } from '../src/engine/index.js';
import { CausalLM, getPreset, parseConfig } from '../src/model/index.js';
import { combineRewards, namedReward } from '../src/rewards/index.js';
import * as T from '../src/tensor/index.js';
import { Tokenizer, trainBpe } from '../src/tokenizer/index.js';
import { GrpoTrainer } from '../src/train/index.js';
import { fmt, median } from './timing.js';

const STEPS = 4;
/** π_old from the trainer's forward vs the sampler's log-probabilities, per token (float32 rounding). */
const MAX_LOGPROB_GAP = 1e-3;

export interface GrpoResult {
  readonly measured: { readonly date: string; readonly threads: number };
  readonly model: string;
  readonly vocab: number;
  readonly steps: number;
  readonly logprobGap: number;
  readonly rolloutTokensPerS: number;
  readonly updateTokensPerS: number;
  readonly logprobTokensPerS: number;
  /** Median seconds per step of each phase. */
  readonly seconds: Readonly<Record<'rollout' | 'reward' | 'logprobs' | 'update' | 'step', number>>;
}

function arithmetic(n: number, rng: T.Rng): { question: string; answer: string }[] {
  return Array.from({ length: n }, () => {
    const a = rng.int(90) + 10, b = rng.int(90) + 10;
    return { question: `What is ${a} + ${b}?`, answer: String(a + b) };
  });
}

export async function runGrpo(threads: number): Promise<GrpoResult> {
  const rng = new T.Rng(7);
  const problems = arithmetic(64, rng);
  const corpus = problems.map((p) => `${p.question} Let me add: the answer is ${p.answer}.`).join('\n');
  const trained = trainBpe(corpus, { vocabSize: 512 });
  const tokenizer = Tokenizer.fromJson(trained.tokenizerJson, trained.tokenizerConfig, 'bench');
  const config = parseConfig({ ...getPreset('tiny-moe'), vocab_size: tokenizer.vocabSize, eos_token_id: tokenizer.eosTokenId });
  const policy = new CausalLM(config, { seed: 0 });
  const trainer = new GrpoTrainer({
    policy, tokenizer, engine: new LocalEngine(policy, tokenizer, { maxBatch: 64 }),
    tasks: problems.map((p) => ({ messages: [{ role: 'user', content: p.question }], sample: { answer: p.answer } })),
    reward: combineRewards([{ name: 'accuracy', fn: namedReward('accuracy'), weight: 1 }, { name: 'format', fn: namedReward('format'), weight: 0.5 }]),
    options: { steps: STEPS + 1, promptsPerStep: 8, groupSize: 8, maxTokens: 64, iterations: 2, loss: { beta: 0.04 }, optimizer: { lr: 1e-4 }, seed: 3, progress: false },
  });
  try {
    const warm = await trainer.step();
    const gap = warm['rollout/logprob_gap']!;
    if (!(gap <= MAX_LOGPROB_GAP)) throw new Error(`bench grpo: π_old differs from the sampler's log-probabilities by ${gap} per token (> ${MAX_LOGPROB_GAP}); not timing an inconsistent trainer`);
    const steps: Record<string, number>[] = [];
    for (let s = 0; s < STEPS; s++) steps.push(await trainer.step());
    const med = (key: string) => median(steps.map((m) => m[key]!));
    return {
      measured: { date: new Date().toISOString(), threads },
      model: 'tiny-moe', vocab: tokenizer.vocabSize, steps: STEPS, logprobGap: gap,
      rolloutTokensPerS: med('perf/rollout_tokens_per_s'), updateTokensPerS: med('perf/update_tokens_per_s'), logprobTokensPerS: med('perf/logprob_tokens_per_s'),
      seconds: { rollout: med('time/rollout_s'), reward: med('time/reward_s'), logprobs: med('time/logprobs_s'), update: med('time/update_s'), step: med('time/step_s') },
    };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}

export function renderGrpo(r: GrpoResult): string {
  const s = r.seconds;
  const share = (x: number) => `${fmt((100 * x) / s.step, 0)}%`;
  return [
    `Measured ${r.measured.date}, ${r.measured.threads} threads; ${r.model} (vocabulary ${r.vocab}), 8 prompts × 8 samples, ≤ 64 tokens, μ = 2, β = 0.04; medians of ${r.steps} steps after one warm-up step (π_old vs the sampler's log-probabilities: ${r.logprobGap.toExponential(1)} per token). No peer (see bench/grpo.ts).`,
    '',
    '| rollout tok/s | update tok/s | π_old + π_ref tok/s | step s | rollout | reward | log-probs | update |',
    '|---|---|---|---|---|---|---|---|',
    `| ${fmt(r.rolloutTokensPerS, 0)} | ${fmt(r.updateTokensPerS, 0)} | ${fmt(r.logprobTokensPerS, 0)} | ${fmt(s.step, 3)} | ${share(s.rollout)} | ${share(s.reward)} | ${share(s.logprobs)} | ${share(s.update)} |`,
  ].join('\n');
}
