// Learning-rate schedules at chosen steps, against values computed by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Schedule } from '../../src/nn/index.js';
import { learningRate } from '../../src/nn/index.js';

/** learningRate(s, step) for each [step, expected] pair, to 1e-12. */
function expectRates(s: Schedule, pairs: [number, number][]): void {
  for (const [step, want] of pairs) {
    const got = learningRate(s, step);
    assert.ok(Math.abs(got - want) <= 1e-12, `${s.kind} step ${step}: got ${got}, want ${want}`);
  }
}

test('constant: linear warmup to lr, then lr forever', () => {
  // Warmup step s (0-based) gives lr·(s+1)/warmup, so the last warmup step already reaches lr.
  expectRates({ kind: 'constant', lr: 0.1, warmupSteps: 4, totalSteps: 10 }, [
    [0, 0.025], [1, 0.05], [2, 0.075], [3, 0.1], [4, 0.1], [9, 0.1], [1000, 0.1],
  ]);
  expectRates({ kind: 'constant', lr: 3e-4, totalSteps: 10 }, [[0, 3e-4], [5, 3e-4]]);
});

test('linear: decays from lr at the end of warmup to lr·minRatio at totalSteps', () => {
  // Decay span = totalSteps − warmup = 100; progress = (step − 10) / 100.
  expectRates({ kind: 'linear', lr: 1, warmupSteps: 10, totalSteps: 110 }, [
    [0, 0.1], [9, 1], [10, 1], [35, 0.75], [60, 0.5], [100, 0.1], [110, 0], [500, 0],
  ]);
  // With a floor of 0.1: lr·(0.1 + 0.9·(1 − progress)).
  expectRates({ kind: 'linear', lr: 2, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 }, [
    [10, 2], [60, 2 * 0.55], [110, 0.2], [200, 0.2],
  ]);
});

test('cosine: half a cosine from lr to lr·minRatio', () => {
  const s: Schedule = { kind: 'cosine', lr: 1, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  const shape = (progress: number): number => 0.5 * (1 + Math.cos(Math.PI * progress));
  assert.ok(Math.abs(shape(0.25) - (0.5 + Math.SQRT2 / 4)) < 1e-15);
  expectRates(s, [
    [0, 0.1],
    [4, 0.5],
    [10, 1],
    // Quarter way: 0.5·(1 + cos(π/4)) = 0.5 + √2/4.
    [35, 0.1 + 0.9 * (0.5 + Math.SQRT2 / 4)],
    // Midpoint: lr·(minRatio + (1 − minRatio)·0.5).
    [60, 0.55],
    [85, 0.1 + 0.9 * (0.5 - Math.SQRT2 / 4)],
    [110, 0.1],
    [10_000, 0.1],
  ]);
  // Without a floor it reaches 0; the peak scales everything.
  expectRates({ kind: 'cosine', lr: 6e-4, totalSteps: 200 }, [[0, 6e-4], [100, 3e-4], [200, 0]]);
});

test('warmup rises and decay never rises', () => {
  for (const kind of ['linear', 'cosine'] as const) {
    const s: Schedule = { kind, lr: 1, warmupSteps: 20, totalSteps: 120, minRatio: 0.05 };
    for (let step = 1; step < 200; step++) {
      const prev = learningRate(s, step - 1);
      const cur = learningRate(s, step);
      if (step < 20) assert.ok(cur > prev, `${kind}: warmup step ${step} did not rise`);
      else assert.ok(cur <= prev, `${kind}: step ${step} rose from ${prev} to ${cur}`);
      assert.ok(cur >= 0.05 - 1e-15, `${kind}: step ${step} fell below the floor`);
    }
  }
});
