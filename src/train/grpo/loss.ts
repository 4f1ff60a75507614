// The GRPO policy loss (DeepSeekMath eq. 3 with the variants the field added since), per completion
// token t of completion i, with d = logp_ref − logp:
//
//   ρ        = exp(clamp(logp − logp_old, −c, c))                    the log-ratio is clamped (c = 20, as verl)
//   ℓ_{i,t}  = −min(ρ·A_i, clip(ρ, 1 − ε_low, 1 + ε_high)·A_i)        DAPO's clip-higher: ε_low and ε_high apart
//            + β·(exp(d) − d − 1)                                    k3, an unbiased, non-negative KL estimate
//
// and the loss is Σ w_{i,t}·ℓ_{i,t} with per-token weights from an aggregation mode (one table entry each):
//   'seq-mean-token-mean'     1 / (|o_i| · N)      mean over each completion, then over completions (GRPO)
//   'token-mean'              1 / Σ|o_i|           mean over every token of the batch (DAPO; TRL and verl default)
//   'seq-mean-token-sum-norm' 1 / (N_rows · L_max) token sums over a constant (Dr. GRPO: no length bias)
// where |o_i| counts completion i's unmasked tokens, N the completions with at least one such token, and
// N_rows every row. β = 0 needs no reference log-probs at all. The batch the loss averages over may be
// larger than one call (gradient accumulation over micro-batches): pass its totals as `scope`, and each
// call's loss is then its share of the batch's loss, so summed gradients equal one big call's.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';

export type LossAggregation = 'seq-mean-token-mean' | 'token-mean' | 'seq-mean-token-sum-norm';

/** Counts of the batch the loss is averaged over (see lossScope()). */
export interface LossScope {
  /** Every completion row, counted tokens or not. */
  readonly rows: number;
  /** Rows with at least one counted token. */
  readonly sequences: number;
  /** Counted (unmasked) completion tokens. */
  readonly tokens: number;
}

/** The weight of each counted token of a completion with `length` counted tokens. */
type TokenWeight = (length: number, scope: LossScope, maxLength: number) => number;

export const AGGREGATIONS: Readonly<Record<LossAggregation, TokenWeight>> = {
  'seq-mean-token-mean': (length, scope) => 1 / (length * scope.sequences),
  'token-mean': (_length, scope) => 1 / scope.tokens,
  'seq-mean-token-sum-norm': (_length, scope, maxLength) => 1 / (scope.rows * maxLength),
};

export interface GrpoLossOptions {
  /** Lower clip range: ρ is clipped at 1 − epsilonLow. */
  readonly epsilonLow: number;
  /** Upper clip range: ρ is clipped at 1 + epsilonHigh (DAPO: 0.28). */
  readonly epsilonHigh: number;
  /** KL coefficient; 0 needs no reference model. */
  readonly beta: number;
  readonly aggregation: LossAggregation;
  /** Dr. GRPO's constant length; default: the width L of the log-prob rows (the padded completion length). */
  readonly maxLength?: number;
  /** |log ρ| is clamped to this before exp (a stale or diverged token must not overflow). */
  readonly logRatioClamp: number;
}

export const DEFAULT_LOSS_OPTIONS: Readonly<GrpoLossOptions> = Object.freeze({
  epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, aggregation: 'token-mean', logRatioClamp: 20,
});

export interface GrpoLossInputs {
  /** log π_θ of each completion token [N, L], recorded for autograd; masked positions may hold anything finite. */
  readonly logprobs: Tensor;
  /** log π_old of the same tokens, N·L row-major. */
  readonly oldLogprobs: ArrayLike<number>;
  /** log π_ref of the same tokens; needed only when beta > 0 (reported as KL whenever given). */
  readonly refLogprobs?: ArrayLike<number> | null;
  /** One advantage per completion [N]. */
  readonly advantages: ArrayLike<number>;
  /** 1 where a token counts, 0 where it does not (prompt, padding, masked completion), N·L. */
  readonly mask: ArrayLike<number>;
  /** Totals of the whole batch when this call is one micro-batch of it; default: this call's. */
  readonly scope?: LossScope;
}

/** Token means over the counted tokens of this call (combine calls weighting by `tokens`). */
export interface GrpoLossMetrics {
  readonly tokens: number;
  /** Share of tokens where ρ < 1 − ε_low and A < 0 (the clip is active from below). */
  readonly clipLow: number;
  /** Share of tokens where ρ > 1 + ε_high and A > 0. */
  readonly clipHigh: number;
  readonly clipTotal: number;
  /** Mean k3 estimate of KL(π_θ ‖ π_ref); NaN without reference log-probs. */
  readonly kl: number;
  readonly ratio: number;
}

/** Batch totals of a mask [N, L] (sum several with addScopes for a batch split in micro-batches). */
export function lossScope(mask: ArrayLike<number>, rows: number): LossScope {
  const width = rows === 0 ? 0 : mask.length / rows;
  let sequences = 0;
  let tokens = 0;
  for (let i = 0; i < rows; i++) {
    const n = rowCount(mask, i, width);
    tokens += n;
    if (n > 0) sequences++;
  }
  return { rows, sequences, tokens };
}

export function addScopes(a: LossScope, b: LossScope): LossScope {
  return { rows: a.rows + b.rows, sequences: a.sequences + b.sequences, tokens: a.tokens + b.tokens };
}

/** The scalar loss (gradient flows through `logprobs`) and its metrics. */
export function grpoLoss(inputs: GrpoLossInputs, options: Partial<GrpoLossOptions> = {}): { loss: Tensor; metrics: GrpoLossMetrics } {
  const opts = { ...DEFAULT_LOSS_OPTIONS, ...options };
  const { logprobs, oldLogprobs, advantages, mask } = inputs;
  const ref = inputs.refLogprobs ?? null;
  checkInputs(inputs, opts);
  const [N, L] = logprobs.shape as [number, number];
  const scope = inputs.scope ?? lossScope(mask, N);
  const weights = tokenWeights(mask, N, L, scope, opts);
  const like = { dtype: logprobs.dtype };

  const old = T.tensor(oldLogprobs, [N, L], like);
  const ratio = T.exp(T.clamp(T.sub(logprobs, old), -opts.logRatioClamp, opts.logRatioClamp)); // [N, L]
  const adv = T.tensor(advantages, [N, 1], like);
  const surrogate = T.minimum(T.mul(ratio, adv), T.mul(T.clamp(ratio, 1 - opts.epsilonLow, 1 + opts.epsilonHigh), adv));
  let perToken = T.neg(surrogate); // [N, L]
  if (opts.beta > 0) {
    const d = T.sub(T.tensor(ref!, [N, L], like), logprobs);
    const k3 = T.affine(T.sub(T.exp(d), d), 1, -1);
    perToken = T.add(perToken, T.affine(k3, opts.beta, 0));
  }
  const loss = T.sum(T.mul(perToken, T.tensor(weights, [N, L], like)));
  return { loss, metrics: lossMetrics(logprobs.toArray(), inputs, L, opts) };
}

function tokenWeights(mask: ArrayLike<number>, N: number, L: number, scope: LossScope, opts: GrpoLossOptions): Float64Array {
  const weight = AGGREGATIONS[opts.aggregation];
  const maxLength = opts.maxLength ?? L;
  const w = new Float64Array(N * L);
  for (let i = 0; i < N; i++) {
    const length = rowCount(mask, i, L);
    if (length === 0) continue;
    const wi = weight(length, scope, maxLength);
    for (let t = 0; t < L; t++) w[i * L + t] = mask[i * L + t]! > 0 ? wi : 0;
  }
  return w;
}

function lossMetrics(lp: readonly number[], inputs: GrpoLossInputs, L: number, opts: GrpoLossOptions): GrpoLossMetrics {
  const { oldLogprobs, advantages, mask } = inputs;
  const ref = inputs.refLogprobs ?? null;
  let tokens = 0, low = 0, high = 0, kl = 0, ratioSum = 0;
  for (let k = 0; k < lp.length; k++) {
    if (!(mask[k]! > 0)) continue;
    const a = advantages[Math.floor(k / L)]!;
    const r = Math.exp(Math.min(Math.max(lp[k]! - oldLogprobs[k]!, -opts.logRatioClamp), opts.logRatioClamp));
    tokens++;
    ratioSum += r;
    if (r < 1 - opts.epsilonLow && a < 0) low++;
    if (r > 1 + opts.epsilonHigh && a > 0) high++;
    if (ref) {
      const d = ref[k]! - lp[k]!;
      kl += Math.exp(d) - d - 1;
    }
  }
  const per = (x: number) => (tokens === 0 ? 0 : x / tokens);
  return { tokens, clipLow: per(low), clipHigh: per(high), clipTotal: per(low + high), kl: ref ? per(kl) : NaN, ratio: tokens === 0 ? 1 : per(ratioSum) };
}

function rowCount(mask: ArrayLike<number>, row: number, width: number): number {
  let n = 0;
  for (let t = 0; t < width; t++) if (mask[row * width + t]! > 0) n++;
  return n;
}

function checkInputs(inputs: GrpoLossInputs, opts: GrpoLossOptions): void {
  const { logprobs, oldLogprobs, advantages, mask } = inputs;
  const fail = (what: string): never => {
    throw new RangeError(`grpoLoss: ${what}`);
  };
  if (logprobs.rank !== 2) fail(`logprobs must be [N, L], got ${T.fmtShape(logprobs.shape)}`);
  const [N, L] = logprobs.shape as [number, number];
  if (oldLogprobs.length !== N * L) fail(`oldLogprobs has ${oldLogprobs.length} values for ${N}×${L} tokens`);
  if (mask.length !== N * L) fail(`mask has ${mask.length} values for ${N}×${L} tokens`);
  if (advantages.length !== N) fail(`advantages has ${advantages.length} values for ${N} completions (one per completion)`);
  if (opts.beta > 0 && !inputs.refLogprobs) fail(`beta is ${opts.beta} but no refLogprobs were given; pass the reference model's log-probs or set beta to 0`);
  if (inputs.refLogprobs && inputs.refLogprobs.length !== N * L) fail(`refLogprobs has ${inputs.refLogprobs.length} values for ${N}×${L} tokens`);
  if (!(opts.epsilonLow >= 0 && opts.epsilonLow < 1)) fail(`epsilonLow must be in [0, 1), got ${opts.epsilonLow}`);
  if (!(opts.epsilonHigh >= 0)) fail(`epsilonHigh must be ≥ 0, got ${opts.epsilonHigh}`);
  if (!(opts.beta >= 0)) fail(`beta must be ≥ 0, got ${opts.beta}`);
  if (!(opts.logRatioClamp > 0)) fail(`logRatioClamp must be > 0, got ${opts.logRatioClamp}`);
  if (!(opts.aggregation in AGGREGATIONS)) fail(`aggregation must be one of ${Object.keys(AGGREGATIONS).join(', ')}; got ${JSON.stringify(opts.aggregation)}`);
  if (opts.maxLength !== undefined && !(Number.isInteger(opts.maxLength) && opts.maxLength >= L)) {
    fail(`maxLength must be an integer ≥ the completion width ${L}, got ${opts.maxLength}`);
  }
  const scope = inputs.scope;
  if (scope && (scope.tokens <= 0 || scope.sequences <= 0 || scope.rows <= 0)) fail('scope must count at least one row, sequence and token');
}
