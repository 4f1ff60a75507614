// Autograd mechanics: accumulation, noGrad, scopes and the errors users hit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';

describe('autograd', () => {
  test('gradients accumulate across backward calls until zeroGrad', () => {
    const x = T.tensor([1, 2, 3], [3], { requiresGrad: true });
    T.backward(T.sum(T.mul(x, x)));
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    T.backward(T.sum(T.mul(x, 3)));
    assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
    T.zeroGrad([x]);
    assert.equal(x.grad, null);
  });

  test('a tensor used twice gets both contributions (x·x and x + x)', () => {
    const x = T.tensor([1.5, -2], [2], { requiresGrad: true });
    T.backward(T.sum(T.add(x, x)));
    assert.deepEqual(x.grad!.toArray(), [2, 2]);
  });

  test('noGrad records nothing', () => {
    const x = T.tensor([1, 2], [2], { requiresGrad: true });
    const y = T.noGrad(() => T.mul(x, 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assert.throws(() => T.backward(T.sum(y)), /does not require grad/);
  });

  test('backward on a non-scalar needs a gradient of its shape', () => {
    const x = T.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const y = T.mul(x, x);
    assert.throws(() => T.backward(y), /backward: called on a tensor of shape \[2, 2\]/);
    assert.throws(() => T.backward(y, T.ones([4])), /gradient \[4\] does not match output \[2, 2\]/);
    T.backward(y, T.tensor([1, 0, 0, 1], [2, 2]));
    assert.deepEqual(x.grad!.toArray(), [2, 0, 0, 8]);
  });

  test('backward through a freed tensor is a clear error, as is a second backward', () => {
    const w = T.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const x = T.tensor([1, 1, 1, 1], [2, 2]);
    const y = T.sum(T.matmul(x, w));
    x.dispose();
    assert.throws(() => T.backward(y), /op 'matmul' needs a tensor of shape \[2, 2\] that was disposed/);
    const z = T.sum(T.exp(w));
    T.backward(z);
    assert.throws(() => T.backward(z), /already back-propagated/);
  });

  test('reading a disposed tensor names the problem', () => {
    const x = T.tensor([1], [1]);
    x.dispose();
    assert.throws(() => x.toArray(), /tensor \[1\] was disposed/);
  });
});

describe('tidy', () => {
  test('disposes what the step created, keeps what it returns and the leaves’ gradients', () => {
    const w = T.tensor([0.5, -1], [2], { requiresGrad: true });
    let inner: T.Tensor[] = [];
    const loss = T.tidy(() => {
      const a = T.mul(w, w);
      const b = T.exp(a);
      inner = [a, b];
      const l = T.sum(b);
      T.backward(l);
      return l;
    });
    assert.ok(inner.every((t) => t.disposed), 'intermediates are freed');
    assert.equal(loss.disposed, false);
    assert.equal(w.grad!.disposed, false);
    const expected = [0.5, -1].map((v) => 2 * v * Math.exp(v * v));
    w.grad!.toArray().forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 1e-5));
  });

  test('returned tensors move to the enclosing scope and are freed with it', () => {
    let kept: T.Tensor | null = null;
    T.tidy(() => {
      kept = T.tidy(() => T.ones([3]));
      assert.equal(kept.disposed, false);
      assert.equal(T.scopeSize(), 1);
    });
    assert.equal(kept!.disposed, true);
  });

  test('keep() exempts a tensor; an exception still frees the scope', () => {
    let made: T.Tensor | null = null;
    const k = T.tidy(() => {
      T.keep(T.ones([2]));
      return 0;
    });
    assert.equal(k, 0);
    assert.throws(() =>
      T.tidy(() => {
        made = T.ones([2]);
        throw new Error('boom');
      }),
    /boom/);
    assert.equal(made!.disposed, true);
  });

  test('a training step does not grow memory: every tensor it makes is freed', () => {
    const w = T.randn([8, 8], new T.Rng(3), { requiresGrad: true });
    const x = T.randn([4, 8], new T.Rng(4));
    const before = T.memoryStats();
    for (let step = 0; step < 3; step++) {
      T.tidy(() => {
        const loss = T.mean(T.square(T.matmul(x, w)));
        T.backward(loss);
        assert.ok(T.memoryStats().storages > before.storages + 3, 'the step allocates');
      });
      T.zeroGrad([w]);
      assert.deepEqual(T.memoryStats(), before);
    }
  });
});
