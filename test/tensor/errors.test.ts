// Bad input gets an error that names the op and the shapes, on every backend; nothing crashes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

for (const backend of availableBackends()) {
  describe(`errors (${backend})`, () => {
    const on = (fn: () => unknown) => () => T.withBackend(backend, () => T.tidy(fn));

    test('broadcast mismatch names both shapes', () => {
      assert.throws(on(() => T.add(T.ones([2, 3]), T.ones([4]))), /^TensorError: add: shapes \[2, 3\] and \[4\] cannot be broadcast together$/m);
    });
    test('matmul inner dimensions', () => {
      assert.throws(on(() => T.matmul(T.ones([2, 3]), T.ones([4, 5]))), /matmul: inner dimensions differ: \[2, 3\] @ \[4, 5\]/);
      assert.throws(on(() => T.matmul(T.ones([3]), T.ones([3, 2]))), /matmul: needs tensors of rank ≥ 2/);
    });
    test('half-precision tensors are storage only', () => {
      assert.throws(on(() => T.exp(T.toHalf(T.ones([2]), 'bfloat16'))), /exp: bfloat16 tensors are storage only/);
    });
    test('indices out of range', () => {
      assert.throws(on(() => T.embedding(T.ones([4, 2]), { data: Int32Array.from([0, 4]), shape: [2] })), /indexSelect: index 4 at position 1 is out of range for a dimension of size 4/);
      assert.throws(on(() => T.gather(T.ones([2, 3]), 1, { data: Int32Array.from([0, -1, 0, 0]), shape: [2, 2] })), /gather: index -1/);
      assert.throws(on(() => T.tokenLogprobs(T.ones([2, 5]), Int32Array.from([1, 5]))), /tokenLogprobs: target 5 at row 1 is outside the vocabulary of 5/);
      assert.throws(on(() => T.rope(T.ones([1, 2, 1, 4]), T.ones([3, 2]), T.ones([3, 2]), Int32Array.from([0, 3]), { interleaved: true })), /rope: position 3 is outside the table of 3 positions/);
    });
    test('shape errors of views and joins', () => {
      assert.throws(on(() => T.reshape(T.ones([2, 3]), [4, 2])), /reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
      assert.throws(on(() => T.slice(T.ones([2, 3]), 1, 2, 5)), /slice: range \[2, 5\) is outside dimension 1 of size 3/);
      assert.throws(on(() => T.cat([T.ones([2, 3]), T.ones([3, 3])], 1)), /cat: shapes \[2, 3\], \[3, 3\]/);
      assert.throws(on(() => T.sum(T.ones([2]), 3)), /sum: dimension 3 is out of range for a tensor of rank 1/);
      assert.throws(on(() => T.topk(T.ones([2, 3]), 4)), /topk: k = 4 is not in \[0, 3\]/);
    });
    test('attention and rmsNorm shapes', () => {
      assert.throws(on(() => T.attention(T.ones([1, 3, 2, 4]), T.ones([1, 2, 2, 4]), T.ones([1, 2, 2, 4]))), /attention: incompatible shapes q \[1, 3, 2, 4\]/);
      assert.throws(on(() => T.rmsNorm(T.ones([2, 4]), T.ones([3]))), /rmsNorm: weight \[3\] does not match the last dimension of x \[2, 4\]/);
    });
  });
}

test('a per-head mask and key padding together are refused, whatever the mask rank', () => {
  const q = T.ones([1, 2, 3, 4]);
  const pad = T.ones([1, 3]);
  assert.throws(() => T.attention(q, q, q, { mask: T.zeros([2, 3, 3]), keyPadding: pad }), /per-head mask cannot be combined with keyPadding/);
  assert.throws(() => T.attention(q, q, q, { mask: T.zeros([1, 2, 3, 3]), keyPadding: pad }), /per-head mask cannot be combined with keyPadding/);
});
