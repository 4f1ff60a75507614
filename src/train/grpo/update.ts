// The policy update of one rollout batch: μ passes, each split in mini-batches (one optimizer step
// each), each mini-batch in micro-batches whose gradients accumulate. Every micro-batch's loss is its
// share of the mini-batch's loss (the loss scope), so accumulation changes nothing but memory.
// Steps of one optimizer step: forward + loss + backward per micro-batch → gradient norm (and clip) →
// skip the step if the loss or the norm is not finite → learning rate from the schedule → AdamW → zero grads.

import type { CausalLM } from '../../model/index.js';
import type { AdamW } from '../../nn/index.js';
import { clipGradNorm, learningRate } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import { completionLogprobs } from './logprobs.js';
import type { LossScope } from './loss.js';
import { grpoLoss, lossScope } from './loss.js';
import type { GrpoOptions } from './options.js';
import type { TokenRows } from './rows.js';
import { chunks, evenSplit, rowTokens, sliceRows } from './rows.js';

/** What the update trains on: the kept rows with their π_old / π_ref log-probs and advantages. */
export interface RolloutBatch {
  readonly rows: TokenRows;
  /** [R·L] at the sampling temperature. */
  readonly oldLogprobs: Float32Array;
  readonly refLogprobs: Float32Array | null;
  /** One per row. */
  readonly advantages: Float64Array;
}

export interface UpdateContext {
  readonly model: CausalLM;
  readonly optimizer: AdamW;
  readonly options: GrpoOptions;
  /** Index of this batch's first optimizer step in the run's plan (for the schedule). */
  readonly firstUpdate: number;
  /** Optimizer steps the schedule spans. */
  readonly totalUpdates: number;
}

/** Means over the optimizer steps taken (metrics of skipped steps are left out). */
export interface UpdateMetrics {
  readonly loss: number;
  readonly clipLow: number;
  readonly clipHigh: number;
  readonly clipTotal: number;
  readonly kl: number;
  readonly ratio: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Optimizer steps taken and skipped (non-finite). */
  readonly updates: number;
  readonly skipped: number;
  /** Tokens through forward + backward (prompt and completion). */
  readonly tokens: number;
}

/** The non-finite streak lives in the trainer's state, so it survives from one batch to the next. */
export interface NonFiniteCounter {
  nonFiniteStreak: number;
}

export function policyUpdate(ctx: UpdateContext, batch: RolloutBatch, counter: NonFiniteCounter): UpdateMetrics {
  const { model, optimizer, options: o } = ctx;
  const params = optimizer.params;
  const R = batch.rows.prompts.length;
  const sums = { loss: 0, clipLow: 0, clipHigh: 0, clipTotal: 0, kl: 0, ratio: 0, gradNorm: 0, lr: 0 };
  let updates = 0, skipped = 0, tokens = 0, planned = 0;
  for (let pass = 0; pass < o.iterations; pass++) {
    for (const [a, b] of evenSplit(R, o.miniBatches)) {
      const index = ctx.firstUpdate + planned++;
      const mini = sliceRows(batch.rows, a, b);
      const scope = lossScope(mini.mask, b - a);
      if (scope.tokens === 0) continue; // every row masked: nothing to learn from
      let loss = 0;
      const m = { tokens: 0, clipLow: 0, clipHigh: 0, clipTotal: 0, kl: 0, ratio: 0 };
      for (const [c, d] of chunks(b - a, o.microBatchRows || b - a)) {
        const micro = sliceRows(mini, c, d);
        tokens += rowTokens(micro);
        const out = microStep(model, micro, batch, a + c, scope, o, (d - c) / (b - a));
        loss += out.loss;
        const w = out.metrics.tokens;
        m.tokens += w;
        for (const k of ['clipLow', 'clipHigh', 'clipTotal', 'kl', 'ratio'] as const) m[k] += w * out.metrics[k];
      }
      const gradNorm = clipGradNorm(params, o.maxGradNorm > 0 ? o.maxGradNorm : Infinity);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        T.zeroGrad(params);
        skipped++;
        if (++counter.nonFiniteStreak > o.maxNonFiniteUpdates) {
          throw new Error(`grpo: ${counter.nonFiniteStreak} optimizer steps in a row had a non-finite loss (${loss}) or gradient norm (${gradNorm}); lower optimizer.lr, set maxGradNorm, or check the rewards for NaN`);
        }
        continue;
      }
      counter.nonFiniteStreak = 0;
      optimizer.lr = learningRate({ ...o.schedule, lr: o.optimizer.lr, totalSteps: ctx.totalUpdates }, index);
      optimizer.step();
      T.zeroGrad(params);
      updates++;
      sums.loss += loss;
      sums.gradNorm += gradNorm;
      sums.lr = optimizer.lr;
      for (const k of ['clipLow', 'clipHigh', 'clipTotal', 'kl', 'ratio'] as const) sums[k] += m[k] / m.tokens;
    }
  }
  const mean = (x: number) => (updates === 0 ? NaN : x / updates);
  return {
    loss: mean(sums.loss), clipLow: mean(sums.clipLow), clipHigh: mean(sums.clipHigh), clipTotal: mean(sums.clipTotal), kl: mean(sums.kl),
    ratio: mean(sums.ratio), gradNorm: mean(sums.gradNorm), lr: updates === 0 ? NaN : sums.lr, updates, skipped, tokens,
  };
}

/** Forward, loss and backward of rows [start, start + micro rows) of the batch; gradients accumulate. */
function microStep(model: CausalLM, micro: TokenRows, batch: RolloutBatch, start: number, scope: LossScope, o: GrpoOptions, share: number) {
  const L = micro.width;
  const end = start + micro.prompts.length;
  return T.tidy(() => {
    const { logprobs, auxLoss } = completionLogprobs(model, micro, o.sampling.temperature ?? 1);
    const { loss, metrics } = grpoLoss({
      logprobs,
      oldLogprobs: batch.oldLogprobs.subarray(start * L, end * L),
      refLogprobs: batch.refLogprobs?.subarray(start * L, end * L) ?? null,
      advantages: batch.advantages.subarray(start, end),
      mask: micro.mask,
      scope,
    }, { ...o.loss, maxLength: o.loss.maxLength ?? o.maxTokens });
    // The MoE balance loss is a mean over the mini-batch, like the policy loss.
    const total = auxLoss ? T.add(loss, T.affine(auxLoss, share, 0)) : loss;
    T.backward(total);
    return { loss: total.item(), metrics };
  });
}
