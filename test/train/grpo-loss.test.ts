// The GRPO loss against a PyTorch computation of the published formulas (test/oracle/grpo_loss.py):
// loss value, gradient w.r.t. the current log-probs, the k3 KL estimate, clip fractions and the mean
// ratio, for every aggregation mode, with β = 0 (with and without reference log-probs) and β > 0.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import type { GrpoLossOptions, LossAggregation } from '../../src/train/grpo/index.js';
import { AGGREGATIONS, addScopes, grpoLoss, lossScope } from '../../src/train/grpo/index.js';

interface Case {
  n: number; l: number;
  logp: number[]; old: number[]; ref: number[] | null; mask: number[]; adv: number[];
  eps_low: number; eps_high: number; beta: number; clamp: number; agg: LossAggregation; max_length: number | null;
}
interface OracleResult { loss: number; grad: number[]; kl: number | null; clip_low: number; clip_high: number; clip_total: number; ratio: number }

const N = 6;
const L = 7;
/** Counted tokens per row: ragged, one full row and one row with nothing counted (e.g. a masked truncation). */
const LENGTHS = [7, 3, 5, 0, 1, 6];

function fixedInputs(seed: number): Pick<Case, 'logp' | 'old' | 'ref' | 'mask' | 'adv'> {
  const rng = new T.Rng(seed);
  const logp = Array.from({ length: N * L }, () => -0.2 - 2 * rng.uniform());
  // π_old a few tenths of a nat away, so plenty of ratios fall outside [0.8, 1.28] on both sides.
  const old = logp.map((x) => x + 0.35 * rng.normal());
  const ref = logp.map((x) => x + 0.25 * rng.normal());
  const mask = LENGTHS.flatMap((n) => Array.from({ length: L }, (_, t) => (t < n ? 1 : 0)));
  const adv = [1.3, -0.7, 0.4, 0.9, -1.1, -0.2];
  return { logp, old, ref, mask, adv };
}

const CASES: Case[] = [];
for (const agg of Object.keys(AGGREGATIONS) as LossAggregation[]) {
  for (const [beta, withRef] of [[0, false], [0, true], [0.04, true]] as const) {
    const inputs = fixedInputs(11 + CASES.length);
    CASES.push({ n: N, l: L, ...inputs, ref: withRef ? inputs.ref : null, eps_low: 0.2, eps_high: 0.28, beta, clamp: 20, agg, max_length: null });
  }
}
// Dr. GRPO with a constant longer than this batch's width; a symmetric clip; a tight log-ratio clamp.
CASES.push({ n: N, l: L, ...fixedInputs(41), eps_low: 0.2, eps_high: 0.28, beta: 0.1, clamp: 20, agg: 'seq-mean-token-sum-norm', max_length: 16 });
CASES.push({ n: N, l: L, ...fixedInputs(42), eps_low: 0.1, eps_high: 0.1, beta: 0.02, clamp: 20, agg: 'seq-mean-token-mean', max_length: null });
CASES.push({ n: N, l: L, ...fixedInputs(43), eps_low: 0.2, eps_high: 0.28, beta: 0, clamp: 0.3, agg: 'token-mean', max_length: null });

function runOracle(cases: readonly Case[]): OracleResult[] {
  const r = spawnSync('/usr/bin/python3', ['test/oracle/grpo_loss.py'], { input: JSON.stringify({ version: 1, cases }), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `oracle failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { version: number; results: OracleResult[] };
  assert.equal(out.version, 1);
  return out.results;
}

function optionsOf(c: Case): Partial<GrpoLossOptions> {
  return { epsilonLow: c.eps_low, epsilonHigh: c.eps_high, beta: c.beta, aggregation: c.agg, logRatioClamp: c.clamp, ...(c.max_length === null ? {} : { maxLength: c.max_length }) };
}

/** Our loss on a case: value, gradient w.r.t. logp, metrics. */
function ours(c: Case, dtype: 'float32' | 'float64') {
  return T.tidy(() => {
    const logp = T.tensor(c.logp, [c.n, c.l], { dtype, requiresGrad: true });
    const { loss, metrics } = grpoLoss({ logprobs: logp, oldLogprobs: c.old, refLogprobs: c.ref, advantages: c.adv, mask: c.mask }, optionsOf(c));
    T.backward(loss);
    const out = { loss: loss.item(), grad: logp.grad!.toArray(), metrics };
    T.zeroGrad([logp]);
    return out;
  });
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} vs PyTorch ${b}`);

test('loss, gradient, KL, clip fractions and ratio match PyTorch for every aggregation mode and β', () => {
  const expected = runOracle(CASES);
  let clippedLow = 0, clippedHigh = 0;
  CASES.forEach((c, k) => {
    const want = expected[k]!;
    const label = `case ${k} (${c.agg}, β = ${c.beta}${c.ref ? '' : ', no ref'})`;
    for (const [dtype, tol] of [['float64', 1e-12], ['float32', 2e-5]] as const) {
      const got = ours(c, dtype);
      close(got.loss, want.loss, tol, `${label} ${dtype} loss`);
      const gmax = Math.max(...want.grad.map(Math.abs));
      got.grad.forEach((g, i) => assert.ok(Math.abs(g - want.grad[i]!) <= tol * gmax, `${label} ${dtype} grad[${i}]: ${g} vs PyTorch ${want.grad[i]}`));
      if (want.kl === null) assert.ok(Number.isNaN(got.metrics.kl), `${label}: no reference, no KL`);
      else close(got.metrics.kl, want.kl, tol, `${label} ${dtype} kl`);
      close(got.metrics.clipLow, want.clip_low, tol, `${label} clipLow`);
      close(got.metrics.clipHigh, want.clip_high, tol, `${label} clipHigh`);
      close(got.metrics.clipTotal, want.clip_total, tol, `${label} clipTotal`);
      close(got.metrics.ratio, want.ratio, tol, `${label} ratio`);
      assert.equal(got.metrics.tokens, LENGTHS.reduce((a, b) => a + b, 0));
    }
    clippedLow += want.clip_low;
    clippedHigh += want.clip_high;
    // The fully masked row gets no gradient at all.
    const masked = ours(c, 'float64').grad.slice(3 * L, 4 * L);
    assert.ok(masked.every((g) => g === 0), `${label}: masked row gets ${masked.join(', ')}`);
  });
  assert.ok(clippedLow > 0 && clippedHigh > 0, 'the fixed inputs exercise both sides of the clip');
});

test('the modes differ on ragged lengths (each table entry is really used)', () => {
  const base = CASES[0]!;
  const losses = (Object.keys(AGGREGATIONS) as LossAggregation[]).map((agg) => ours({ ...base, agg }, 'float64').loss);
  assert.equal(new Set(losses.map((x) => x.toFixed(12))).size, 3, `losses ${losses.join(', ')}`);
});

test('micro-batches with the batch scope sum to the whole batch’s loss and gradient', () => {
  for (const agg of Object.keys(AGGREGATIONS) as LossAggregation[]) {
    const c: Case = { ...CASES[2]!, agg };
    const whole = ours(c, 'float64');
    const parts = [[0, 2], [2, 5], [5, 6]] as const;
    const slice = <X>(xs: readonly X[], a: number, b: number, w: number) => xs.slice(a * w, b * w);
    const scope = parts.map(([a, b]) => lossScope(slice(c.mask, a, b, L), b - a)).reduce(addScopes);
    assert.deepEqual(scope, lossScope(c.mask, N));
    let loss = 0;
    const grad: number[] = [];
    for (const [a, b] of parts) {
      T.tidy(() => {
        const logp = T.tensor(slice(c.logp, a, b, L), [b - a, L], { dtype: 'float64', requiresGrad: true });
        const out = grpoLoss({
          logprobs: logp, oldLogprobs: slice(c.old, a, b, L), refLogprobs: slice(c.ref!, a, b, L), advantages: c.adv.slice(a, b), mask: slice(c.mask, a, b, L), scope,
        }, optionsOf(c));
        T.backward(out.loss);
        loss += out.loss.item();
        grad.push(...logp.grad!.toArray());
        T.zeroGrad([logp]);
      });
    }
    close(loss, whole.loss, 1e-12, `${agg} loss`);
    grad.forEach((g, i) => assert.ok(Math.abs(g - whole.grad[i]!) < 1e-12, `${agg} grad[${i}]`));
  }
});

test('exact values: on-policy with centred advantages the loss is β·KL while the gradient is −A·w', () => {
  // Two completions of one token each, ratio 1: ℓ = −A + β·k3; token-mean weights 1/2.
  const lp = [-1, -2];
  const ref = [-1.5, -2];
  const k3 = Math.exp(-0.5) + 0.5 - 1;
  T.tidy(() => {
    const logp = T.tensor(lp, [2, 1], { dtype: 'float64', requiresGrad: true });
    const { loss, metrics } = grpoLoss({ logprobs: logp, oldLogprobs: lp, refLogprobs: ref, advantages: [1, -1], mask: [1, 1] }, { beta: 0.5 });
    T.backward(loss);
    assert.ok(Math.abs(loss.item() - 0.5 * k3 / 2) < 1e-15);
    // d/dlogp of −ρA is −A (ρ = 1); of β·k3 it is β·(1 − exp(d)).
    const g = logp.grad!.toArray();
    assert.ok(Math.abs(g[0]! - (-1 + 0.5 * (1 - Math.exp(-0.5))) / 2) < 1e-15);
    assert.ok(Math.abs(g[1]! - 1 / 2) < 1e-15);
    assert.equal(metrics.clipTotal, 0);
    assert.ok(Math.abs(metrics.kl - k3 / 2) < 1e-15);
    assert.equal(metrics.ratio, 1);
  });
});

test('bad input is refused with a message that says what to do', () => {
  T.tidy(() => {
    const logp = T.tensor([-1, -1], [1, 2], { requiresGrad: true });
    const base = { logprobs: logp, oldLogprobs: [-1, -1], advantages: [1], mask: [1, 1] };
    assert.throws(() => grpoLoss(base, { beta: 0.1 }), /beta is 0.1 but no refLogprobs were given; pass the reference model's log-probs or set beta to 0/);
    assert.throws(() => grpoLoss({ ...base, advantages: [1, 2] }), /advantages has 2 values for 1 completions/);
    assert.throws(() => grpoLoss({ ...base, mask: [1] }), /mask has 1 values for 1×2 tokens/);
    assert.throws(() => grpoLoss(base, { aggregation: 'mean' as LossAggregation }), /aggregation must be one of seq-mean-token-mean, token-mean, seq-mean-token-sum-norm/);
    assert.throws(() => grpoLoss(base, { aggregation: 'seq-mean-token-sum-norm', maxLength: 1 }), /maxLength must be an integer ≥ the completion width 2/);
  });
});
