// Named random streams for reproducible generation (procedural tasks): a (seed, stream) pair picks an
// Rng (rng.ts), so two streams of one seed (a train and a held-out split, say) draw independent
// sequences; with the draws such generators need (integers in a range, picks, shuffles).

import { Rng } from './rng.js';

/** FNV-1a, 32 bits: a stable number for a text (stream names, canonical keys). */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeededRandom {
  private readonly rng: Rng;

  /** `seed` a 32-bit integer; `stream` any text naming an independent sequence for that seed. */
  constructor(seed: number, stream = '') {
    if (!Number.isSafeInteger(seed)) throw new Error(`SeededRandom: the seed must be an integer, got ${seed}`);
    this.rng = new Rng((seed ^ Math.imul(hashText(stream), 0x9e3779b1)) >>> 0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    return this.rng.nextU32();
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new Error(`SeededRandom.int: need integers lo <= hi, got ${lo}, ${hi}`);
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SeededRandom.pick: the list is empty');
    return items[this.int(0, items.length - 1)]!;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = out[i]!; out[i] = out[j]!; out[j] = t;
    }
    return out;
  }
}
