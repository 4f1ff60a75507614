// Every op, forward and backward, on every available backend, against PyTorch in float64.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';
import type { CaseData, RunResult } from './harness.js';
import { closeness, makeCaseData, runOurs, torchResults } from './harness.js';
import { opCases } from './op-cases.js';

const backends = availableBackends();

function check(label: string, ours: RunResult, want: RunResult, tol: number): void {
  ours.outputs.forEach((o, i) => {
    const w = want.outputs[i]!;
    assert.deepEqual(o.shape, w.shape, `${label}: output ${i} shape`);
    const { ratio, at } = closeness(o.data, w.data, tol, tol * 10);
    assert.ok(ratio <= 1, `${label}: output ${i} differs at ${at}: ours ${o.data[at]} vs torch ${w.data[at]}`);
  });
  ours.grads.forEach((g, i) => {
    const w = want.grads[i];
    if (!g || !w) {
      assert.equal(g === null, w === null || w === undefined, `${label}: gradient ${i} presence`);
      return;
    }
    assert.deepEqual(g.shape, w.shape, `${label}: gradient ${i} shape`);
    const { ratio, at } = closeness(g.data, w.data, tol, tol * 10);
    assert.ok(ratio <= 1, `${label}: gradient ${i} differs at ${at}: ours ${g.data[at]} vs torch ${w.data[at]}`);
  });
}

describe('ops vs PyTorch', () => {
  let data: CaseData[] = [];
  let torch: RunResult[] = [];
  before(() => {
    data = opCases.map((c, i) => makeCaseData(c, 1000 + i));
    torch = torchResults(opCases, data);
  });
  for (const backend of backends) {
    describe(`backend ${backend}`, () => {
      opCases.forEach((c, i) => {
        test(c.name, () => {
          const ours = T.withBackend(backend, () => runOurs(c, data[i]!));
          check(`${backend} ${c.name}`, ours, torch[i]!, c.tol ?? 2e-5);
        });
      });
    });
  }
});
