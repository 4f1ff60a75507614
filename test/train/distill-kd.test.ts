// The logit-level distillation loss: its value against the formula computed directly in float64 numbers,
// its gradient against central finite differences (float64, reference backend), masking and errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { distillationKl } from '../../src/train/distill/kd-loss.js';

/** T² · mean over masked rows of KL(softmax(t/T) ‖ softmax(s/T)), straight from the definition. */
function direct(s: number[], t: number[], V: number, mask: number[], temp: number): number {
  let total = 0;
  let rows = 0;
  for (let r = 0; r < mask.length; r++) {
    if (!mask[r]) continue;
    rows++;
    const soft = (x: number[]) => {
      const z = x.slice(r * V, (r + 1) * V).map((v) => v / temp);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    };
    const p = soft(t), q = soft(s);
    total += p.reduce((acc, pv, v) => acc + pv * (Math.log(pv) - Math.log(q[v]!)), 0);
  }
  return (temp * temp * total) / rows;
}

test('distillationKl equals the definition and its gradient equals finite differences', () => {
  T.withBackend('ref', () => {
    const rng = new T.Rng(3);
    const rows = 5, V = 7;
    const s = Array.from({ length: rows * V }, () => rng.normal() * 2);
    const t = Array.from({ length: rows * V }, () => rng.normal() * 2);
    const mask = [1, 0, 1, 1, 0];
    for (const temp of [1, 2.5]) {
      const student = T.tensor(s, [rows, V], { dtype: 'float64', requiresGrad: true });
      const teacher = T.tensor(t, [rows, V], { dtype: 'float64' });
      const loss = distillationKl(student, teacher, mask, temp);
      const value = loss.toArray()[0]!;
      assert.ok(Math.abs(value - direct(s, t, V, mask, temp)) < 1e-12, `T=${temp}: ${value} vs ${direct(s, t, V, mask, temp)}`);
      T.backward(loss);
      const grad = student.grad!.toArray();
      const h = 1e-6;
      for (let i = 0; i < s.length; i++) {
        const up = s.slice(), down = s.slice();
        up[i]! += h;
        down[i]! -= h;
        const fd = (direct(up, t, V, mask, temp) - direct(down, t, V, mask, temp)) / (2 * h);
        assert.ok(Math.abs(grad[i]! - fd) < 1e-7, `T=${temp} element ${i}: ${grad[i]} vs ${fd}`);
      }
      // Unmasked rows get no gradient; the teacher none at all.
      for (let v = 0; v < V; v++) assert.equal(Math.abs(grad[1 * V + v]!), 0);
      assert.equal(teacher.grad, null);
    }
    // Identical distributions: zero loss.
    const same = T.tensor(s, [rows, V], { dtype: 'float64' });
    assert.ok(Math.abs(distillationKl(same, same, mask, 2).toArray()[0]!) < 1e-12);
  });
});

test('distillationKl refuses mismatched vocabularies, empty masks and bad temperatures', () => {
  const a = T.zeros([2, 3]), b = T.zeros([2, 4]);
  assert.throws(() => distillationKl(a, b, [1, 1]), /do not match the student/);
  assert.throws(() => distillationKl(a, a, [0, 0]), /selects no position/);
  assert.throws(() => distillationKl(a, a, [1, 1], 0), /temperature must be a positive number/);
  assert.throws(() => distillationKl(a, a, [1]), /1 mask entries for 2 positions/);
});
