// Per-token log-probabilities of completions under a model at the sampling temperature,
// log_softmax(logits / T) gathered at the sampled tokens: the trainer's π_θ (with gradients), π_old and
// π_ref (without). The temperature must be the rollouts' one, or π_old would not be the distribution
// the tokens were drawn from (grpo-and-rewards.md §7).
//
// Layout: row i is prompt_i ++ completion_i, right-padded to S tokens (causal attention never looks
// at the padding on the right). Position p_i − 1 + t predicts completion token t; the fused
// tokenLogprobs ignores every other position, and an index gather turns [R, S] into [R, L].

import type { CausalLM } from '../../model/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import type { TokenRows } from './rows.js';
import { chunks } from './rows.js';

export interface CompletionLogprobs {
  /** [R, L]: log π(token) of each completion token, 0 at padding. */
  readonly logprobs: Tensor;
  /** The MoE balance loss of the pass when the model computes one (training with aux_loss_alpha > 0). */
  readonly auxLoss: Tensor | null;
  /** [R, S] logits / T when asked for (entropy). */
  readonly scaledLogits: Tensor | null;
  /** Flat [R·S] index of the position predicting each completion token, −1 at padding. */
  readonly positions: Int32Array;
}

/** One forward over the rows; records autograd when grad is enabled. */
export function completionLogprobs(model: CausalLM, rows: TokenRows, temperature: number, opts: { keepLogits?: boolean } = {}): CompletionLogprobs {
  if (!(temperature > 0)) throw new RangeError(`completionLogprobs: the temperature must be > 0 (got ${temperature}); GRPO needs sampled rollouts, not greedy ones`);
  const R = rows.prompts.length;
  const L = rows.width;
  // The last completion token predicts nothing: it only has to be a target, not an input.
  const S = Math.max(...rows.prompts.map((p, i) => p.length + rows.completions[i]!.length - 1), 1);
  const ids = new Int32Array(R * S);
  const targets = new Int32Array(R * S).fill(-1);
  const positions = new Int32Array(R * L).fill(-1);
  const gather = new Int32Array(R * L).fill(R * S); // R·S = a trailing zero for padding
  rows.prompts.forEach((p, i) => {
    const c = rows.completions[i]!;
    ids.set(p, i * S);
    ids.set(c.slice(0, Math.max(0, S - p.length)), i * S + p.length);
    for (let t = 0; t < c.length; t++) {
      const at = i * S + p.length - 1 + t;
      targets[at] = c[t]!;
      positions[i * L + t] = at;
      gather[i * L + t] = at;
    }
  });
  const out = model.forward(ids, { batch: R });
  const V = model.config.vocab_size;
  const scaled = temperature === 1 ? out.logits : T.affine(out.logits, 1 / temperature, 0); // [R, S, V]
  const lp = T.tokenLogprobs(scaled, targets); // [R, S]
  const padded = T.cat([T.reshape(lp, [R * S]), T.zeros([1], { dtype: lp.dtype })], 0);
  const logprobs = T.reshape(T.indexSelect(padded, 0, gather), [R, L]);
  return { logprobs, auxLoss: out.auxLoss, scaledLogits: opts.keepLogits ? T.reshape(scaled, [R * S, V]) : null, positions };
}

/** Log-probs (and per-token entropy when asked) as plain arrays [R·L], without gradients, `microRows` rows a pass. */
export function scoreRows(model: CausalLM, rows: TokenRows, temperature: number, opts: { microRows: number; entropy: boolean }): { logprobs: Float32Array; entropy: Float32Array | null } {
  const R = rows.prompts.length;
  const L = rows.width;
  const logprobs = new Float32Array(R * L);
  const entropy = opts.entropy ? new Float32Array(R * L) : null;
  for (const [a, b] of chunks(R, opts.microRows)) {
    T.noGrad(() => T.tidy(() => {
      const sub = { prompts: rows.prompts.slice(a, b), completions: rows.completions.slice(a, b), width: L, mask: rows.mask };
      const out = completionLogprobs(model, sub, temperature, { keepLogits: opts.entropy });
      logprobs.set(T.dense(T.contiguous(out.logprobs)), a * L);
      if (entropy) {
        // H = −Σ_v p_v log p_v per position, read where a completion token is predicted.
        const ls = T.logSoftmax(out.scaledLogits!);
        const h = T.dense(T.neg(T.sum(T.mul(T.exp(ls), ls), -1)));
        out.positions.forEach((at, k) => {
          if (at >= 0) entropy[a * L + k] = h[at]!;
        });
      }
    }));
  }
  return { logprobs, entropy };
}
