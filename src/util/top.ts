// The indices of the largest entries of a row, best first, ties to the lower index: expert selection
// in the MoE router and the sampler's top-k / top-N both need exactly this.

/**
 * Fills `best` with the indices of the best.length largest values of x (a size-k heap, O(n log k)) and
 * returns it. −Infinity entries rank last but still fill the list when nothing better is left.
 */
export function largestIndices(x: ArrayLike<number>, best: Int32Array): Int32Array {
  const n = best.length;
  const better = (a: number, b: number): boolean => x[a]! > x[b]! || (x[a] === x[b] && a < b);
  // A min-heap under `better`: best[0] is the worst index kept so far.
  let size = 0;
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let worst = i;
      if (l < size && better(best[worst]!, best[l]!)) worst = l;
      if (r < size && better(best[worst]!, best[r]!)) worst = r;
      if (worst === i) return;
      const t = best[i]!; best[i] = best[worst]!; best[worst] = t;
      i = worst;
    }
  };
  for (let i = 0; i < x.length && n > 0; i++) {
    if (size < n) {
      let c = size++;
      best[c] = i;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!better(best[parent]!, best[c]!)) break;
        const t = best[c]!; best[c] = best[parent]!; best[parent] = t;
        c = parent;
      }
    } else if (better(i, best[0]!)) {
      best[0] = i;
      siftDown(0);
    }
  }
  return sortBest(best.subarray(0, size), x);
}

/** Indices ordered by value, best first, ties to the lower index (in place). */
export function sortBest(idx: Int32Array, x: ArrayLike<number>): Int32Array {
  return idx.sort((a, b) => x[b]! - x[a]! || a - b);
}
