// Every differentiable op's backward against central finite differences, in float64 on the ref
// backend: perturb each input element by ±h and compare (L(x+h) − L(x−h)) / 2h with autograd, where
// L = Σ out · gradOut.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import type { CaseData } from './harness.js';
import { closeness, makeCaseData, runOurs } from './harness.js';
import { opCases } from './op-cases.js';

function loss(c: (typeof opCases)[number], data: CaseData): number {
  const r = runOurs({ ...c, backward: false }, data, 'float64');
  let s = 0;
  r.outputs.forEach((o, i) => o.data.forEach((v, j) => (s += v * data.gradOutputs[i]!.data[j]!)));
  return s;
}

describe('ops vs finite differences (float64, ref backend)', () => {
  opCases.forEach((c, ci) => {
    if (c.gradcheck === false || c.backward === false) return;
    test(c.name, () => {
      T.withBackend('ref', () => {
        const data = makeCaseData(c, 5000 + ci);
        const analytic = runOurs(c, data, 'float64');
        const h = 1e-6;
        data.inputs.forEach((input, i) => {
          const g = analytic.grads[i];
          if (!g) return;
          const numeric = input.data.map((v, j) => {
            input.data[j] = v + h;
            const up = loss(c, data);
            input.data[j] = v - h;
            const down = loss(c, data);
            input.data[j] = v;
            return (up - down) / (2 * h);
          });
          const { ratio, at } = closeness(g.data, numeric, 1e-6, 1e-5);
          assert.ok(ratio <= 1, `${c.name}: input ${i} element ${at}: autograd ${g.data[at]} vs numeric ${numeric[at]}`);
        });
      });
    });
  });
});
