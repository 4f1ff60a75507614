// Group-relative advantages against PyTorch (test/oracle/grpo_loss.py), and DAPO's filters (dynamic
// sampling, truncation masking) on exact values.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { AdvantageScale, StdKind } from '../../src/train/grpo/index.js';
import { groupAdvantages, informativeGroups, rowsOfGroups, truncationMask } from '../../src/train/grpo/index.js';

interface AdvCase { rewards: (number | null)[]; group: number; scale: AdvantageScale; std: StdKind; eps: number }

function oracle(cases: readonly AdvCase[]): { advantages: number[]; group_std: number[] }[] {
  const r = spawnSync('/usr/bin/python3', ['test/oracle/grpo_loss.py'], { input: JSON.stringify({ version: 1, advantages: cases }), encoding: 'utf8' });
  assert.equal(r.status, 0, `oracle failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { advantages: { advantages: number[]; group_std: number[] }[] }).advantages;
}

// Four groups of 4: mixed rewards, all equal (σ = 0), one null, a lone non-null among nulls.
const REWARDS = [1, 0, 0.5, 2, 1, 1, 1, 1, 0, null, 1, 0.25, null, null, 3, null];

test('advantages match PyTorch for every scale mode and both σ, nulls excluded and given 0', () => {
  const cases: AdvCase[] = [];
  for (const scale of ['group', 'batch', 'none'] as const) {
    for (const std of ['sample', 'population'] as const) cases.push({ rewards: REWARDS, group: 4, scale, std, eps: 1e-4 });
  }
  cases.push({ rewards: [0.3, -1.2, 4, 2.5, 0, 1], group: 3, scale: 'group', std: 'sample', eps: 1e-6 });
  const want = oracle(cases);
  cases.forEach((c, k) => {
    const got = groupAdvantages(c.rewards, c.group, { scale: c.scale, std: c.std, epsilon: c.eps });
    got.advantages.forEach((a, i) => assert.ok(Math.abs(a - want[k]!.advantages[i]!) < 1e-12, `case ${k} (${c.scale}, ${c.std}) row ${i}: ${a} vs PyTorch ${want[k]!.advantages[i]}`));
    got.groupStd.forEach((s, g) => assert.ok(Math.abs(s - want[k]!.group_std[g]!) < 1e-12, `case ${k} group ${g} σ`));
  });
});

test('advantages: exact values and the zero-σ count', () => {
  // Mean 0.25, sample σ = 0.5: (1 − 0.25)/0.5 = 1.5, (0 − 0.25)/0.5 = −0.5.
  const a = groupAdvantages([1, 0, 0, 0], 4, { epsilon: 0 });
  assert.deepEqual([...a.advantages], [1.5, -0.5, -0.5, -0.5]);
  const b = groupAdvantages(REWARDS, 4);
  assert.equal(b.zeroStdGroups, 2, 'the all-1 group and the group with a single non-null reward');
  assert.deepEqual([...b.advantages.slice(4, 8)], [0, 0, 0, 0]);
  assert.equal(b.advantages[9], 0, 'a null reward gets advantage 0');
  assert.deepEqual([...groupAdvantages([3, 1], 2, { scale: 'none' }).advantages], [1, -1], 'Dr. GRPO: r − mean only');
});

test('advantages: bad input is refused with a message that says what to do', () => {
  assert.throws(() => groupAdvantages([1, 0, 1], 2), /3 rows do not split into groups of 2; lay the completions out G per prompt/);
  assert.throws(() => groupAdvantages([1, NaN], 2), /reward 1 is NaN; rewards must be finite numbers or null/);
  assert.throws(() => groupAdvantages([1, 0], 2, { scale: 'rank' as AdvantageScale }), /scale must be 'group', 'batch' or 'none'/);
});

test('dynamic sampling keeps only groups whose rewards differ', () => {
  assert.deepEqual(informativeGroups(REWARDS, 4), [0, 2]);
  assert.deepEqual(informativeGroups([1, 1, 0, 1, null, null], 2), [1]);
  assert.deepEqual(informativeGroups([0.5, 0.5000001, 1, 1], 2, 1e-3), [], 'within the tolerance counts as equal');
  assert.deepEqual(rowsOfGroups([0, 2], 4), [0, 1, 2, 3, 8, 9, 10, 11]);
});

test('truncation masking zeroes only completions cut off at the limit, and only when asked', () => {
  assert.deepEqual([...truncationMask(['stop', 'length', 'stop'], true)], [1, 0, 1]);
  assert.deepEqual([...truncationMask(['stop', 'length', 'stop'], false)], [1, 1, 1]);
});
