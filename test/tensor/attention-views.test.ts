// Attention without gradients reads k and v views in place (a KV cache's slots: rows spaced by the
// cache capacity, values that are the first dims of the keys, heads broadcast by expand). The result
// must be exactly that of dense copies, on every backend.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

for (const backend of availableBackends()) {
  test(`attention over strided k/v views equals attention over dense copies (${backend})`, () => {
    T.withBackend(backend, () => {
      T.noGrad(() => T.tidy(() => {
        const rng = new T.Rng(4);
        const [B, H, Tq, Tk, cap, D, Dv] = [3, 4, 2, 9, 16, 24, 16];
        const q = T.randn([B, H, Tq, D], rng);
        // A cache [B, 1, cap, D]: the first Tk rows are live, the values are its first Dv dims.
        const cache = T.randn([B, 1, cap, D], rng);
        const k = T.expand(T.slice(cache, 2, 0, Tk), [B, H, Tk, D]);
        const v = T.expand(T.slice(T.slice(cache, 2, 0, Tk), 3, 0, Dv), [B, H, Tk, Dv]);
        assert.ok(!k.isContiguous() && !v.isContiguous());
        const mask = T.tensor(Array.from({ length: B * Tq * Tk }, (_, i) => (i % Tk > Tk - 1 - (i % 3) ? -Infinity : 0)), [B, 1, Tq, Tk]);
        for (const opts of [{ causal: true, scale: 0.3 }, { mask, scale: 0.2 }]) {
          const viewed = T.attention(q, k, v, opts).toArray();
          const dense = T.attention(q, T.clone(k), T.clone(v), opts).toArray();
          assert.deepEqual(viewed, dense);
        }
        // Grouped heads read one kv head in place too.
        const kg = T.slice(cache, 2, 0, Tk);
        const vg = T.slice(kg, 3, 0, Dv);
        assert.deepEqual(T.attention(q, kg, vg, { causal: true }).toArray(), T.attention(q, T.clone(kg), T.clone(vg), { causal: true }).toArray());
      }));
    });
  });
}
