// The indices of the largest entries of a row, best first, ties to the lower index: expert selection
// in the MoE router and the sampler's top-k / top-N both need exactly this. The router calls it twice
// per token per MoE layer, so it allocates nothing and creates no closures per call.

/** Whether index a ranks before index b in x: larger value, or the same value and a lower index. */
function better(x: ArrayLike<number>, a: number, b: number): boolean {
  const xa = x[a]!, xb = x[b]!;
  return xa > xb || (xa === xb && a < b);
}

/** Restores the min-heap (under `better`, so heap[0] is the worst kept index) below position i. */
function siftDown(x: ArrayLike<number>, heap: Int32Array, i: number, size: number): void {
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let worst = i;
    if (l < size && better(x, heap[worst]!, heap[l]!)) worst = l;
    if (r < size && better(x, heap[worst]!, heap[r]!)) worst = r;
    if (worst === i) return;
    const t = heap[i]!; heap[i] = heap[worst]!; heap[worst] = t;
    i = worst;
  }
}

/**
 * Fills `best` with the indices of the best.length largest values of x (a size-k heap, O(n log k)) and
 * returns it. −Infinity entries rank last but still fill the list when nothing better is left.
 */
export function largestIndices(x: ArrayLike<number>, best: Int32Array): Int32Array {
  const k = best.length;
  let size = 0;
  for (let i = 0; i < x.length && k > 0; i++) {
    if (size < k) {
      let c = size++;
      best[c] = i;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!better(x, best[parent]!, best[c]!)) break;
        const t = best[c]!; best[c] = best[parent]!; best[parent] = t;
        c = parent;
      }
    } else if (better(x, i, best[0]!)) {
      best[0] = i;
      siftDown(x, best, 0, size);
    }
  }
  // Heap-sort in place: moving the worst kept index to the back, one at a time, leaves them best first.
  for (let end = size - 1; end > 0; end--) {
    const t = best[0]!; best[0] = best[end]!; best[end] = t;
    siftDown(x, best, 0, end);
  }
  return best.subarray(0, size);
}

/** Indices ordered by value, best first, ties to the lower index (in place). */
export function sortBest(idx: Int32Array, x: ArrayLike<number>): Int32Array {
  return idx.sort((a, b) => x[b]! - x[a]! || a - b);
}
