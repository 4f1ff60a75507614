// The inference cache: per decoder layer, the keys and values of every token seen so far, so that a
// new token attends to the past without recomputing it. Sized once for `batch` sequence slots of up to
// `capacity` tokens. Each slot has its own length, so sequences of different lengths share one cache
// and a finished sequence's slot can be reset and reused by a new one (continuous batching).
// Absorbed MLA stores one "head" of kv_lora_rank + rope dims per token whose first kv_lora_rank dims
// double as the values (valueDim 'shared'), which is the whole point of MLA's small cache.

import type { Tensor } from '../tensor/index.js';
import * as T from '../tensor/index.js';

export interface LayerCacheShape {
  /** Key/value heads stored per token (1 for absorbed MLA). */
  readonly heads: number;
  readonly keyDim: number;
  /** Value width, or 'shared': the values are the first `sharedValueDim` dims of the keys. */
  readonly valueDim: number | 'shared';
  readonly sharedValueDim?: number;
}

interface LayerCache {
  readonly shape: LayerCacheShape;
  readonly k: Tensor;
  readonly v: Tensor | null;
}

export class KVCache {
  private readonly layers: LayerCache[];
  /** Tokens stored in each slot. */
  readonly lengths: Int32Array;

  constructor(
    readonly batch: number,
    readonly capacity: number,
    shapes: readonly LayerCacheShape[],
    /** What the entries mean (e.g. 'mla-absorbed'), so a model refuses a cache laid out for another path. */
    readonly layout: string,
  ) {
    if (!Number.isInteger(batch) || batch <= 0) throw new RangeError(`KVCache: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`KVCache: capacity must be a positive integer, got ${capacity}`);
    this.lengths = new Int32Array(batch);
    this.layers = shapes.map((shape) => ({
      shape,
      k: T.keep(T.zeros([batch, shape.heads, capacity, shape.keyDim])),
      v: shape.valueDim === 'shared' ? null : T.keep(T.zeros([batch, shape.heads, capacity, shape.valueDim])),
    }));
  }

  /** Cached values per token per layer (keys plus separate values), the number MLA shrinks. */
  elementsPerToken(): number {
    return this.layers.reduce((n, l) => n + l.shape.heads * (l.shape.keyDim + (l.shape.valueDim === 'shared' ? 0 : l.shape.valueDim)), 0);
  }

  /** Slots 0 … batch−1 in order: the rows of a pass over the whole cache. */
  allSlots(): Int32Array {
    return Int32Array.from({ length: this.batch }, (_, i) => i);
  }

  /** Refuses a pass whose new tokens would not fit, before the first write. */
  private checkRoom(slots: Int32Array, steps: number): void {
    for (const s of slots) {
      if (!(s >= 0 && s < this.batch)) throw new RangeError(`KVCache: slot ${s} does not exist (the cache has ${this.batch})`);
      const end = this.lengths[s]! + steps;
      if (end > this.capacity) throw new RangeError(`KVCache: ${end} tokens do not fit the cache capacity of ${this.capacity}; create a larger cache`);
    }
  }

  /**
   * Stores layer `i`'s entries for the next T = k.shape[2] tokens of each input row r (k [R, heads, T,
   * keyDim]) at the end of slot slots[r], and returns all keys and values of those slots, [R, heads,
   * Tk, ·] with Tk the longest slot after the write. Entries past a slot's own end are stale: the
   * attention mask must hide them. Lengths move only at commit().
   */
  write(i: number, k: Tensor, v: Tensor | null, slots: Int32Array): { keys: Tensor; values: Tensor } {
    const layer = this.layers[i];
    if (!layer) throw new RangeError(`KVCache: no layer ${i} (the cache has ${this.layers.length})`);
    const steps = k.shape[2]!;
    this.checkRoom(slots, steps);
    let end = 0;
    for (const slot of slots) end = Math.max(end, this.lengths[slot]! + steps);
    // Every row continues its own slot at its own position: one scatter per buffer writes them all.
    T.noGrad(() => {
      const at = this.entryRows(slots, layer.shape.heads, steps);
      scatterRows(layer.k, at, k);
      if (layer.v && v) scatterRows(layer.v, at, v);
    });
    const whole = slots.length === this.batch && slots.every((s, r) => s === r);
    const rows = (t: Tensor) => {
      const upTo = T.slice(t, 2, 0, end);
      return whole ? upTo : T.indexSelect(upTo, 0, slots);
    };
    const keys = rows(layer.k);
    if (layer.v) return { keys, values: rows(layer.v) };
    return { keys, values: T.slice(keys, 3, 0, layer.shape.sharedValueDim ?? layer.shape.keyDim) };
  }

  /**
   * Where row r's entries go, as rows of a buffer flattened to [batch · heads · capacity, dim]: head h,
   * step t of row r lands at ((slots[r] · heads + h) · capacity + lengths[slots[r]] + t).
   */
  private entryRows(slots: Int32Array, heads: number, steps: number): Int32Array {
    const at = new Int32Array(slots.length * heads * steps);
    slots.forEach((slot, r) => {
      for (let h = 0; h < heads; h++) {
        const base = (slot * heads + h) * this.capacity + this.lengths[slot]!;
        for (let t = 0; t < steps; t++) at[(r * heads + h) * steps + t] = base + t;
      }
    });
    return at;
  }

  /** Advances each slot by the real tokens its row added, after every layer has written. */
  commit(slots: Int32Array, added: Int32Array): void {
    slots.forEach((slot, r) => (this.lengths[slot] += added[r]!));
  }

  /** Empties one slot for a new sequence (its buffers are reused). */
  resetSlot(slot: number): void {
    this.lengths[slot] = 0;
  }

  dispose(): void {
    for (const l of this.layers) {
      l.k.dispose();
      l.v?.dispose();
    }
  }
}

/** Entries [R, heads, T, dim] into the buffer rows `at` (see entryRows). */
function scatterRows(buffer: Tensor, at: Int32Array, entries: Tensor): void {
  const dim = buffer.shape[3]!;
  const flat = T.reshape(buffer, [buffer.size / dim, dim]);
  const src = T.reshape(entries, [at.length, dim]);
  T.indexCopyInto(flat, 0, at, src);
  flat.dispose();
  src.dispose();
}
