// Expert selection and dispatch: a hand-worked V3 example, a sort-based oracle over random scores for
// every routing variant, and the dispatch plan's grouping.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RoutingRule } from '../../src/model/index.js';
import { dispatchPlan, selectExperts } from '../../src/model/index.js';
import * as T from '../../src/tensor/index.js';

/** Indices ordered by value descending, ties by index: the straightforward definition. */
function ranked(values: number[], among: number[]): number[] {
  return [...among].sort((a, b) => values[b]! - values[a]! || a - b);
}

function oracle(scores: number[], bias: number[] | null, rule: RoutingRule): number[] {
  const E = rule.experts;
  const sel = scores.map((s, e) => s + (bias ? bias[e]! : 0));
  const size = E / rule.nGroup;
  let allowed = [...Array(E).keys()];
  if (rule.groupLimited && rule.nGroup > 1) {
    const groupScores = [...Array(rule.nGroup).keys()].map((g) => {
      const top = sel.slice(g * size, (g + 1) * size).sort((a, b) => b - a);
      return rule.scoring === 'sigmoid' ? top[0]! + top[1]! : top[0]!;
    });
    const kept = new Set(ranked(groupScores, [...Array(rule.nGroup).keys()]).slice(0, rule.topkGroup));
    allowed = allowed.filter((e) => kept.has(Math.floor(e / size)));
  }
  return ranked(sel, allowed).slice(0, rule.topK);
}

const v3Rule: RoutingRule = { experts: 8, topK: 2, nGroup: 4, topkGroup: 2, scoring: 'sigmoid', groupLimited: true };

test('V3 routing by hand: group score is the sum of the top two, the bias moves selection only', () => {
  // Groups (2 experts each): g0 = .9+.1 = 1.0, g1 = .5+.5 = 1.0 (tie → lower group), g2 = .8+.0, g3 = .6+.3.
  const s = [0.9, 0.1, 0.5, 0.5, 0.8, 0.0, 0.6, 0.3];
  // Kept groups g0, g1 (g3 = 0.9 < 1.0): the best experts there are 0 (.9) then 2 (.5, tie with 3).
  assert.deepEqual([...selectExperts(s, null, 1, v3Rule)], [0, 2]);
  // A bias of +0.2 on expert 7 lifts g3 to 1.1 and expert 7 to .5: groups g3, g0 → experts 0 then 6 (.6).
  const bias = [0, 0, 0, 0, 0, 0, 0, 0.2];
  assert.deepEqual([...selectExperts(s, bias, 1, v3Rule)], [0, 6]);
  // Without group limits: the global top two.
  assert.deepEqual([...selectExperts(s, null, 1, { ...v3Rule, groupLimited: false })], [0, 4]);
});

test('selection agrees with a sort-based oracle for sigmoid/softmax, grouped or not, with bias', () => {
  const rng = new T.Rng(7);
  const rules: RoutingRule[] = [
    { experts: 16, topK: 4, nGroup: 4, topkGroup: 2, scoring: 'sigmoid', groupLimited: true },
    { experts: 16, topK: 3, nGroup: 8, topkGroup: 3, scoring: 'softmax', groupLimited: true },
    { experts: 12, topK: 5, nGroup: 1, topkGroup: 1, scoring: 'sigmoid', groupLimited: true },
    { experts: 32, topK: 8, nGroup: 4, topkGroup: 4, scoring: 'sigmoid', groupLimited: false },
  ];
  for (const rule of rules) {
    const N = 50;
    const scores = Array.from({ length: N * rule.experts }, () => rng.uniform());
    const bias = Array.from({ length: rule.experts }, () => 0.1 * (rng.uniform() - 0.5));
    const got = selectExperts(scores, bias, N, rule);
    for (let n = 0; n < N; n++) {
      const want = oracle(scores.slice(n * rule.experts, (n + 1) * rule.experts), bias, rule);
      assert.deepEqual([...got.subarray(n * rule.topK, (n + 1) * rule.topK)], want, `token ${n}, rule ${JSON.stringify(rule)}`);
    }
  }
});

test('the dispatch plan groups assignments by expert, in token order, covering each once', () => {
  // 3 tokens, top-2 over 4 experts.
  const chosen = Int32Array.from([2, 0, 0, 3, 2, 1]);
  const plan = dispatchPlan(chosen, 2, 4);
  assert.deepEqual([...plan.count], [2, 1, 2, 1]);
  assert.deepEqual([...plan.start], [0, 2, 3, 5]);
  assert.deepEqual([...plan.token], [0, 1, 2, 0, 2, 1]);
  assert.deepEqual([...plan.slot], [1, 2, 5, 0, 4, 3]);
});
