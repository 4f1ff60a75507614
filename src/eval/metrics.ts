// The scores of the R1 evaluation protocol (serving-evaluation-hardware.md §3.2): with n samples of a
// problem of which c are correct, the unbiased pass@k = 1 − C(n−c, k) / C(n, k) (Chen et al. 2021; k = 1 is
// R1's "pass@1 averaged over k samples", c / n), and cons@k, the majority vote: the most frequent answer
// among the samples, answers counted as the same when the verifier judges them equal ("0.5" and "\frac12"
// vote together), scored against the gold answer. Benchmark scores are means over problems.

import type { Verdict } from '../rewards/index.js';
import { verifyAnswer } from '../rewards/index.js';

/**
 * Unbiased pass@k of one problem: n samples, c correct, 0 < k ≤ n. Computed as 1 − Π_{i=n−c+1}^{n}(1 − k/i),
 * which never forms the huge binomials; 1 when fewer than k samples are wrong.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`passAtK: need integers 0 ≤ c ≤ n and 1 ≤ k ≤ n, got n = ${n}, c = ${c}, k = ${k}`);
  }
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

export interface Vote {
  /** The winning answer as first written, or null when no sample gave an answer. */
  readonly answer: string | null;
  /** Samples that voted for it. */
  readonly votes: number;
  /** Samples with an answer at all. */
  readonly answered: number;
  /** Whether the winning answer equals the gold one. */
  readonly correct: boolean;
}

/**
 * cons@k: extracted answers (null where a sample gave none) grouped by verified equivalence, the largest
 * group wins; a tie goes to the group whose first member came first (a documented, deterministic
 * tie-break); null answers never vote. `equal` defaults to the verifier.
 */
export function majorityVote(answers: readonly (string | null)[], gold: string, equal: (a: string, b: string) => Verdict = verifyAnswer): Vote {
  const groups: { answer: string; votes: number }[] = [];
  let answered = 0;
  for (const a of answers) {
    if (a === null) continue;
    answered++;
    const group = groups.find((g) => equal(g.answer, a).equal);
    if (group) group.votes++;
    else groups.push({ answer: a, votes: 1 });
  }
  let best: { answer: string; votes: number } | null = null;
  for (const g of groups) if (best === null || g.votes > best.votes) best = g;
  if (best === null) return { answer: null, votes: 0, answered, correct: false };
  return { answer: best.answer, votes: best.votes, answered, correct: equal(gold, best.answer).equal };
}
