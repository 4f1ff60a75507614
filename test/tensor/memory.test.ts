// Recycled buffers: outputs that skip zero-filling (matmul) must not show what a freed buffer held,
// and ops that accumulate into their outputs must still start from zero.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

for (const backend of availableBackends()) {
  test(`a matmul output reusing a freed NaN-filled buffer is exact (${backend})`, () => {
    T.withBackend(backend, () => {
      const rng = new T.Rng(11);
      const [M, K, N] = [96, 40, 80];
      const a = T.randn([M, K], rng);
      const b = T.randn([K, N], rng);
      const want = T.withBackend('ref', () => T.tidy(() => T.matmul(a, b).toArray()));
      for (let round = 0; round < 3; round++) {
        T.full([M, N], NaN).dispose(); // same size class: the next allocation may get this buffer back
        const got = T.tidy(() => T.matmul(a, b).toArray());
        got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `element ${i}: ${v} vs ${want[i]}`));
        T.full([M, 64], NaN).dispose();
        const idx = T.tidy(() => T.indexAdd(T.zeros([M, 64]), 0, Int32Array.from([0, 0]), T.ones([2, 64])).toArray());
        assert.equal(idx[0], 2);
        assert.equal(idx[64], 0);
      }
    });
  });
}
