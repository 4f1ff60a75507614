// Batches for SFT: the order of an epoch (shuffle, then length bucketing) and the padded micro-batches.
//
// Packing several examples into one row is not done: CausalLM.forward attends causally over a whole
// row with positions 0…S−1 and has no per-row block-diagonal mask or position reset, so packed
// examples would see each other. Length bucketing keeps the padding small instead:
//   1. shuffle the example indices (seeded);
//   2. cut them into windows of `bucketWindow` optimizer steps; sort each window by length and deal it
//      into steps, then shuffle the steps inside the window (so lengths do not rise through the epoch);
//   3. sort each step's examples by length and cut them into micro-batches;
//   4. a micro-batch is right-padded to its longest row; padding predicts nothing (target −1) and is
//      never attended to (forward's `lengths`).

import type { Rng } from '../../tensor/index.js';
import type { TokenizedExample } from './render.js';
import { learnedTokens } from './render.js';

export interface EpochPlanOptions {
  /** Examples per optimizer step. */
  readonly batchSize: number;
  /** Examples per forward/backward pass; a step accumulates ceil(batchSize / microBatchSize) of them. */
  readonly microBatchSize: number;
  /** Steps whose examples are sorted by length together (1: only within a step). */
  readonly bucketWindow: number;
}

/** An epoch: steps → micro-batches → example indices. */
export type EpochPlan = number[][][];

/** Fisher–Yates in place with the given generator. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The epoch's steps over examples of the given lengths (rng null: no shuffling, for evaluation). */
export function planEpoch(lengths: readonly number[], rng: Rng | null, o: EpochPlanOptions): EpochPlan {
  const order = Array.from(lengths, (_, i) => i);
  if (rng) shuffleInPlace(order, rng);
  const byLength = (a: number, b: number) => lengths[a]! - lengths[b]! || a - b;
  const steps: number[][] = [];
  const window = o.batchSize * o.bucketWindow;
  for (let w = 0; w < order.length; w += window) {
    const sorted = order.slice(w, w + window).sort(byLength);
    const windowSteps: number[][] = [];
    for (let s = 0; s < sorted.length; s += o.batchSize) windowSteps.push(sorted.slice(s, s + o.batchSize));
    steps.push(...(rng ? shuffleInPlace(windowSteps, rng) : windowSteps));
  }
  return steps.map((step) => {
    const sorted = [...step].sort(byLength);
    const micro: number[][] = [];
    for (let m = 0; m < sorted.length; m += o.microBatchSize) micro.push(sorted.slice(m, m + o.microBatchSize));
    return micro;
  });
}

/** Padded rows for one forward/backward pass. */
export interface MicroBatch {
  /** [rows × width] token ids, row-major; padding is id 0. */
  readonly ids: Int32Array;
  /** Next-token target per position: the following id where it is learned, else −1 (ignored). */
  readonly targets: Int32Array;
  /** Real tokens per row. */
  readonly lengths: Int32Array;
  readonly rows: number;
  readonly width: number;
  /** Targets that are learned (not −1). */
  readonly learned: number;
  /** Real (not padding) tokens. */
  readonly realTokens: number;
}

/** Right-pads examples into one micro-batch with their next-token targets. */
export function collate(examples: readonly TokenizedExample[]): MicroBatch {
  if (examples.length === 0) throw new RangeError('collate: a micro-batch needs at least one example');
  const rows = examples.length;
  const width = Math.max(...examples.map((e) => e.ids.length));
  const ids = new Int32Array(rows * width);
  const targets = new Int32Array(rows * width).fill(-1);
  let learned = 0;
  let realTokens = 0;
  examples.forEach((e, r) => {
    const at = r * width;
    ids.set(e.ids, at);
    for (let j = 0; j + 1 < e.ids.length; j++) if (e.mask[j + 1]) targets[at + j] = e.ids[j + 1]!;
    learned += learnedTokens(e);
    realTokens += e.ids.length;
  });
  return { ids, targets, lengths: Int32Array.from(examples, (e) => e.ids.length), rows, width, learned, realTokens };
}
