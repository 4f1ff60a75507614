// SFT batching: every example once per epoch, steps and micro-batches of the asked sizes, a seeded
// order, bucketing that cuts padding, and padded micro-batches whose targets are the next learned ids.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/tensor/index.js';
import { collate, planEpoch } from '../../src/train/sft/index.js';

/** Lengths drawn 5 … 204 from a seeded generator. */
function lengthsOf(n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => 5 + rng.int(200));
}

function padding(plan: number[][][], lengths: readonly number[]): number {
  let pad = 0;
  for (const step of plan) for (const micro of step) {
    const width = Math.max(...micro.map((i) => lengths[i]!));
    for (const i of micro) pad += width - lengths[i]!;
  }
  return pad;
}

test('an epoch covers every example once, in steps of batchSize cut into micro-batches', () => {
  const lengths = lengthsOf(103, 1);
  const plan = planEpoch(lengths, new Rng(7), { batchSize: 8, microBatchSize: 3, bucketWindow: 4 });
  assert.equal(plan.length, Math.ceil(103 / 8));
  const seen = plan.flat(2).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: 103 }, (_, i) => i));
  for (const step of plan.slice(0, -1)) assert.deepEqual(step.map((m) => m.length), [3, 3, 2]);
  assert.equal(plan.at(-1)!.flat().length, 103 % 8);
  for (const step of plan) {
    const ls = step.flat().map((i) => lengths[i]!);
    assert.deepEqual(ls, [...ls].sort((a, b) => a - b), 'a step is sorted by length before it is cut');
  }
});

test('the order is a function of the seed; without an Rng it is deterministic and unshuffled', () => {
  const lengths = lengthsOf(50, 2);
  const o = { batchSize: 4, microBatchSize: 2, bucketWindow: 2 };
  assert.deepEqual(planEpoch(lengths, new Rng(3), o), planEpoch(lengths, new Rng(3), o));
  assert.notDeepEqual(planEpoch(lengths, new Rng(3), o), planEpoch(lengths, new Rng(4), o));
  const rng = new Rng(3);
  const first = planEpoch(lengths, rng, o);
  assert.notDeepEqual(planEpoch(lengths, rng, o), first, 'the next epoch continues the generator');
  assert.deepEqual(planEpoch(lengths, null, o), planEpoch(lengths, null, o));
});

test('bucketing over a wider window leaves less padding', () => {
  const lengths = lengthsOf(400, 5);
  const o = { batchSize: 16, microBatchSize: 4 };
  const narrow = padding(planEpoch(lengths, new Rng(1), { ...o, bucketWindow: 1 }), lengths);
  const wide = padding(planEpoch(lengths, new Rng(1), { ...o, bucketWindow: 16 }), lengths);
  assert.ok(wide < narrow / 4, `padding ${wide} (window 16) vs ${narrow} (window 1)`);
});

test('collate: right padding, targets = next id where learned, −1 elsewhere', () => {
  const a = { ids: Int32Array.from([10, 11, 12, 13]), mask: Uint8Array.from([0, 0, 1, 1]) };
  const b = { ids: Int32Array.from([20, 21, 22, 23, 24, 25]), mask: Uint8Array.from([0, 1, 1, 0, 1, 1]) };
  const batch = collate([a, b]);
  assert.equal(batch.width, 6);
  assert.equal(batch.rows, 2);
  assert.deepEqual(Array.from(batch.ids), [10, 11, 12, 13, 0, 0, 20, 21, 22, 23, 24, 25]);
  assert.deepEqual(Array.from(batch.targets), [-1, 12, 13, -1, -1, -1, 21, 22, -1, 24, 25, -1]);
  assert.deepEqual(Array.from(batch.lengths), [4, 6]);
  assert.equal(batch.learned, 6);
  assert.equal(batch.realTokens, 10);
});
