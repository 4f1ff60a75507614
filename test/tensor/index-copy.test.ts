// indexCopyInto: rows overwritten in place along a dimension (a KV cache's staggered writes), on both
// backends, with exact values; and its refusals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

for (const backend of availableBackends()) {
  test(`indexCopyInto overwrites the indexed rows and nothing else (${backend})`, () => {
    T.withBackend(backend, () => {
      const x = T.tensor(Array.from({ length: 24 }, (_, i) => i), [2, 4, 3]);
      const src = T.tensor(Array.from({ length: 12 }, (_, i) => -1 - i), [2, 2, 3]);
      T.noGrad(() => T.indexCopyInto(x, 1, Int32Array.from([3, 0]), src));
      assert.deepEqual(x.toArray(), [
        -4, -5, -6, 3, 4, 5, 6, 7, 8, -1, -2, -3,
        -10, -11, -12, 15, 16, 17, 18, 19, 20, -7, -8, -9,
      ]);
      // Through a view of a bigger buffer: only the view's rows move.
      const buffer = T.zeros([3, 2]);
      const rows = T.slice(buffer, 0, 1, 3);
      assert.throws(() => T.indexCopyInto(T.transpose(T.zeros([2, 3]), 0, 1), 0, Int32Array.from([0]), T.zeros([1, 2])), /must be contiguous/);
      T.indexCopyInto(rows, 0, Int32Array.from([1]), T.tensor([5, 6], [1, 2]));
      assert.deepEqual(buffer.toArray(), [0, 0, 0, 0, 5, 6]);
    });
  });
}

test('indexCopyInto refuses repeated or out-of-range indices, wrong shapes, and gradients', () => {
  const x = T.zeros([4, 2]);
  assert.throws(() => T.indexCopyInto(x, 0, Int32Array.from([1, 1]), T.zeros([2, 2])), /an index repeats/);
  assert.throws(() => T.indexCopyInto(x, 0, Int32Array.from([4]), T.zeros([1, 2])), /out of range/);
  assert.throws(() => T.indexCopyInto(x, 0, Int32Array.from([0]), T.zeros([1, 3])), /must be \[1, 2\]/);
  const w = T.zeros([4, 2], { requiresGrad: true });
  assert.throws(() => T.indexCopyInto(w, 0, Int32Array.from([0]), T.zeros([1, 2])), /under noGrad/);
});
