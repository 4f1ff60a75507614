// The loss of one micro-batch and the pieces of one optimizer step built from several of them.
//
// Gradient accumulation equals one big batch: a micro-batch's loss is a mean over its learned tokens,
// so it is weighted by (its learned tokens / the step's learned tokens) before backward; the summed
// gradients are then those of the token mean over the whole step. The MoE balance loss is a mean over
// sequences and is weighted by rows instead.

import type { CausalLM } from '../../model/index.js';
import { clipGradNorm } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import type { MicroBatch } from './batching.js';

export interface MicroLoss {
  /** Mean over the micro-batch's learned tokens (what is minimised, before weighting). */
  readonly loss: Tensor;
  /** A per-sequence term such as the MoE balance loss (already scaled by its coefficient), or null. */
  readonly aux: Tensor | null;
  /** Further token-mean values to log (e.g. cross-entropy and KL apart); weighted like `loss`. */
  readonly parts?: Readonly<Record<string, Tensor>>;
}

/** A micro-batch's loss: next-token cross-entropy by default; distillation swaps in its own. */
export type SftLossFn = (model: CausalLM, batch: MicroBatch) => MicroLoss;

/** Mean next-token cross-entropy over the learned tokens, plus the model's balance loss. */
export const nextTokenLoss: SftLossFn = (model, batch) => {
  const out = model.forward(batch.ids, { batch: batch.rows, lengths: batch.lengths });
  const logits = T.reshape(out.logits, [batch.rows * batch.width, model.config.vocab_size]);
  return { loss: T.crossEntropy(logits, batch.targets), aux: out.auxLoss };
};

export interface AccumulatedStep {
  /** Token mean of the loss over the step's learned tokens. */
  readonly loss: number;
  /** Row mean of the aux term (0 when there is none). */
  readonly aux: number;
  readonly parts: Readonly<Record<string, number>>;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly learned: number;
  readonly realTokens: number;
  /** Loss and gradient norm are finite, so the update may be applied. */
  readonly finite: boolean;
}

/**
 * Forward and backward over every micro-batch of one step, gradients summed into the parameters'
 * .grad, then clipped to maxGradNorm (0 or Infinity: measured, not clipped).
 */
export function accumulateGradients(model: CausalLM, params: readonly Tensor[], micro: readonly MicroBatch[], lossFn: SftLossFn, maxGradNorm: number): AccumulatedStep {
  const learned = micro.reduce((n, b) => n + b.learned, 0);
  const rows = micro.reduce((n, b) => n + b.rows, 0);
  if (learned === 0) throw new RangeError('accumulateGradients: the step has no learned token');
  let loss = 0;
  let aux = 0;
  const parts: Record<string, number> = {};
  for (const batch of micro) {
    const tokenShare = batch.learned / learned;
    const rowShare = batch.rows / rows;
    T.tidy(() => {
      const out = lossFn(model, batch);
      const weighted = T.affine(out.loss, tokenShare, 0);
      const total = out.aux ? T.add(weighted, T.affine(out.aux, rowShare, 0)) : weighted;
      T.backward(total);
      loss += out.loss.item() * tokenShare;
      if (out.aux) aux += out.aux.item() * rowShare;
      for (const [name, t] of Object.entries(out.parts ?? {})) parts[name] = (parts[name] ?? 0) + t.item() * tokenShare;
    });
  }
  const gradNorm = clipOrMeasure(params, maxGradNorm);
  return { loss, aux, parts, gradNorm, learned, realTokens: micro.reduce((n, b) => n + b.realTokens, 0), finite: Number.isFinite(loss + aux) && Number.isFinite(gradNorm) };
}

/** A non-finite norm makes clipGradNorm's scale NaN, which it never applies: the step is skipped anyway. */
function clipOrMeasure(params: readonly Tensor[], maxGradNorm: number): number {
  return clipGradNorm(params, maxGradNorm > 0 ? maxGradNorm : Infinity);
}

/** Token-mean loss over batches without gradients (evaluation). */
export function evaluateLoss(model: CausalLM, batches: readonly MicroBatch[], lossFn: SftLossFn): number {
  const learned = batches.reduce((n, b) => n + b.learned, 0);
  if (learned === 0) throw new RangeError('evaluateLoss: the evaluation data has no learned token');
  let total = 0;
  T.noGrad(() => {
    for (const batch of batches) total += T.tidy(() => lossFn(model, batch).loss.item()) * batch.learned;
  });
  return total / learned;
}
