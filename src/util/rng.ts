// Seeded random numbers, generated in TypeScript so every backend and every layer sees the same values
// (tensor initialisation, sampling, data shuffles, procedural tasks):
// xoshiro128** for 32-bit integers (seeded through splitmix32), Box–Muller for normals. The whole state
// (four words and the spare normal) can be exported and restored, so a resumed run draws what an
// uninterrupted one would have.

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
  }

  /**
   * The generator's state as plain numbers (JSON-safe): the four xoshiro words, then the spare normal
   * that Box–Muller made and normal() has not returned yet, when there is one.
   */
  state(): number[] {
    const words = [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
    return this.spare === null ? words : [...words, this.spare];
  }

  /** A generator that continues exactly where the one that exported `state` stood. */
  static fromState(state: readonly number[]): Rng {
    const words = state.slice(0, 4);
    const wordsOk = words.length === 4 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
    if (!wordsOk || state.length > 5 || words.every((w) => w === 0) || (state.length === 5 && !Number.isFinite(state[4]))) {
      throw new RangeError(
        `Rng.fromState: expected four 32-bit unsigned words, not all zero, and optionally a finite spare normal (what Rng.state() returns), got [${state.slice(0, 6).join(', ')}${state.length > 6 ? ', …' : ''}]`,
      );
    }
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = words as [number, number, number, number];
    rng.spare = state.length === 5 ? state[4]! : null;
    return rng;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** An index drawn with probability proportional to weights[i] (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    if (!(total > 0)) throw new Error('categorical: the weights must be non-negative and not all zero');
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    // Rounding can leave r ≥ 0 after the loop: return the last index with weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
