// Expert selection for DeepSeekMoE (V3 §2.1.2; reference sheet §3.2). Selection is discrete and carries
// no gradient, so it runs here on plain arrays; the mixing weights are computed afterwards with tensor
// ops from the chosen indices so gradients reach the router.

import { largestIndices } from '../../util/index.js';

export interface RoutingRule {
  readonly experts: number;
  readonly topK: number;
  /** Experts are split into nGroup equal groups; only the best topkGroup groups may be chosen. */
  readonly nGroup: number;
  readonly topkGroup: number;
  /** sigmoid (V3: group score = sum of the top 2, with the correction bias) or softmax (V2: max). */
  readonly scoring: 'sigmoid' | 'softmax';
  /** Whether group limits apply at all (topk_method 'greedy' chooses from every expert). */
  readonly groupLimited: boolean;
}

/**
 * The topK experts of each of N tokens, [N·topK] row-major, highest selection score first.
 * scores [N, E] are the affinities; `bias` [E] (aux-loss-free balancing) shifts them for selection only.
 * Masked groups are excluded outright (−inf), as DeepSeek's reference and llama.cpp do.
 */
export function selectExperts(scores: ArrayLike<number>, bias: ArrayLike<number> | null, tokens: number, rule: RoutingRule): Int32Array {
  const { experts: E, topK: K } = rule;
  const perGroup = E / rule.nGroup;
  const limitGroups = rule.groupLimited && rule.nGroup > 1 && rule.topkGroup < rule.nGroup;
  const out = new Int32Array(tokens * K);
  const sel = new Float64Array(E);
  const groupScore = new Float64Array(rule.nGroup);
  const keptGroups = new Int32Array(rule.topkGroup);
  const kept = new Uint8Array(rule.nGroup);
  for (let n = 0; n < tokens; n++) {
    for (let e = 0; e < E; e++) sel[e] = scores[n * E + e]! + (bias ? bias[e]! : 0);
    if (limitGroups) {
      for (let g = 0; g < rule.nGroup; g++) groupScore[g] = groupValue(sel, g * perGroup, perGroup, rule.scoring);
      largestIndices(groupScore, keptGroups);
      kept.fill(0);
      for (const g of keptGroups) kept[g] = 1;
      for (let g = 0; g < rule.nGroup; g++) if (!kept[g]) sel.fill(-Infinity, g * perGroup, (g + 1) * perGroup);
    }
    largestIndices(sel, out.subarray(n * K, (n + 1) * K));
  }
  return out;
}

/** V3 ranks a group by the sum of its two best scores; V2 by its best score. */
function groupValue(sel: Float64Array, start: number, size: number, scoring: RoutingRule['scoring']): number {
  let first = -Infinity;
  let second = -Infinity;
  for (let i = start; i < start + size; i++) {
    const v = sel[i]!;
    if (v > first) {
      second = first;
      first = v;
    } else if (v > second) second = v;
  }
  if (scoring === 'softmax' || size < 2) return first;
  return first + second;
}

/** Tokens grouped by expert: the dispatch plan of one MoE layer. */
export interface DispatchPlan {
  /** For each assignment in expert order, the token it came from. */
  readonly token: Int32Array;
  /** For each assignment in expert order, its slot n·K + k in the [N, K] routing arrays. */
  readonly slot: Int32Array;
  /** Assignments per expert; expert e owns rows [start[e], start[e] + count[e]). */
  readonly count: Int32Array;
  readonly start: Int32Array;
}

/** Counting sort of the N·K assignments by expert, stable in token order. */
export function dispatchPlan(chosen: Int32Array, topK: number, experts: number): DispatchPlan {
  const count = new Int32Array(experts);
  for (const e of chosen) count[e]!++;
  const start = new Int32Array(experts);
  for (let e = 1; e < experts; e++) start[e] = start[e - 1]! + count[e - 1]!;
  const next = Int32Array.from(start);
  const token = new Int32Array(chosen.length);
  const slot = new Int32Array(chosen.length);
  for (let a = 0; a < chosen.length; a++) {
    const at = next[chosen[a]!]!++;
    token[at] = Math.floor(a / topK);
    slot[at] = a;
  }
  return { token, slot, count, start };
}
