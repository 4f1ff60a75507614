import assert from 'node:assert/strict';
import { test } from 'node:test';
import { largestIndices } from '../../src/util/index.js';

/** The oracle: every index sorted by value, best first, ties to the lower index; the first k. */
function byFullSort(x: number[], k: number): number[] {
  return x.map((_, i) => i).sort((a, b) => x[b]! - x[a]! || a - b).slice(0, k);
}

test('largestIndices equals a full sort, with ties and −Infinity, for every k', () => {
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(next() * 40);
    // Few distinct values, so ties are common; some −Infinity (masked router groups).
    const x = Array.from({ length: n }, () => (next() < 0.15 ? -Infinity : Math.floor(next() * 6)));
    for (const k of [1, 2, 4, n, n + 3]) {
      const got = Array.from(largestIndices(x, new Int32Array(k)));
      assert.deepEqual(got, byFullSort(x, k), `x=${JSON.stringify(x)} k=${k}`);
    }
  }
});

test('largestIndices with k = 0 keeps nothing', () => {
  assert.equal(largestIndices([3, 1, 2], new Int32Array(0)).length, 0);
});
