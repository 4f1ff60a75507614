// The selection helpers behind the sampler's filters: the top entries of a row (partial selection,
// no full sort of a 152k vocabulary), the survivors of top-k, top-p and min-p, and log-sum-exp.

import { largestIndices, sortBest } from '../util/index.js';

export function maxOf(x: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v > m) m = v;
    else if (Number.isNaN(v)) throw new RangeError(`sampler: logit ${i} is NaN`);
  }
  if (!Number.isFinite(m)) throw new RangeError(`sampler: the largest logit is ${m}; at least one finite logit is needed and none may be +Infinity`);
  return m;
}

/** Indices of the n largest values, best first, ties to the lower index. */
export function topIndices(x: ArrayLike<number>, n: number): Int32Array {
  return largestIndices(x, new Int32Array(Math.min(n, x.length)));
}

/** Every token whose logit is ≥ the k-th largest (HF and vLLM keep ties at the boundary), best first. */
export function topKSurvivors(x: Float64Array, k: number): Int32Array {
  const top = topIndices(x, k);
  const threshold = x[top[top.length - 1]!]!;
  let ties = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === threshold) ties++;
  let inTop = 0;
  for (let j = 0; j < top.length; j++) if (x[top[j]!] === threshold) inTop++;
  if (ties === inTop) return top;
  const all: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i]! >= threshold) all.push(i);
  return sortBest(Int32Array.from(all), x);
}

/** Top-p buckets the logit gap to the max: 16 buckets per nat; the last also holds every gap ≥ 64 nats (p / p_max < 2e-28). */
const GAP_BUCKETS_PER_NAT = 16;
const GAP_BUCKETS = 64 * GAP_BUCKETS_PER_NAT;

/** The smallest best-first prefix whose mass reaches topP of the survivors' mass. */
export function topPSurvivors(x: Float64Array, w: Float64Array, max: number, total: number, topP: number, candidates: Int32Array | null): Int32Array {
  if (candidates) {
    let mass = 0;
    for (let j = 0; j < candidates.length; j++) mass += w[candidates[j]!]!;
    const target = topP * mass;
    let before = 0;
    let n = 0;
    while (n < candidates.length && before < target) before += w[candidates[n++]!]!;
    return candidates.subarray(0, Math.max(1, n));
  }
  // The whole vocabulary, without sorting it: bucket tokens by their gap to the max, keep the buckets
  // before the one where the mass crosses topP whole, and sort only that one to find where to cut.
  const V = x.length;
  const bucket = new Uint16Array(V);
  const bucketMass = new Float64Array(GAP_BUCKETS);
  for (let i = 0; i < V; i++) {
    const b = Math.min(GAP_BUCKETS - 1, Math.floor((max - x[i]!) * GAP_BUCKETS_PER_NAT));
    bucket[i] = b;
    bucketMass[b] += w[i]!;
  }
  const target = topP * total;
  let before = 0;
  let b = 0;
  while (b < GAP_BUCKETS - 1 && before + bucketMass[b]! < target) before += bucketMass[b++]!;
  const out = new Int32Array(V);
  let n = 0;
  for (let i = 0; i < V; i++) if (bucket[i]! < b) out[n++] = i;
  // Walk the crossing bucket best first (and the next ones, should rounding leave the target unreached).
  for (; b < GAP_BUCKETS && before < target; b++) {
    const members: number[] = [];
    for (let i = 0; i < V; i++) if (bucket[i] === b) members.push(i);
    const sorted = sortBest(Int32Array.from(members), x);
    for (let j = 0; j < sorted.length && before < target; j++) {
      out[n++] = sorted[j]!;
      before += w[sorted[j]!]!;
    }
  }
  return out.subarray(0, Math.max(1, n));
}

export function minPSurvivors(w: Float64Array, minP: number, candidates: Int32Array | null): Int32Array {
  // w = p / p_max over the full distribution; the max survives every filter, so the ratio is the same after renormalising.
  const out: number[] = [];
  if (candidates) {
    for (let j = 0; j < candidates.length; j++) if (w[candidates[j]!]! >= minP) out.push(candidates[j]!);
  } else {
    for (let i = 0; i < w.length; i++) if (w[i]! >= minP) out.push(i);
  }
  return Int32Array.from(out);
}

export function logSumExp(x: ArrayLike<number>): number {
  const m = maxOf(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - m);
  return m + Math.log(s);
}
