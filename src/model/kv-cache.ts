// The inference cache: per decoder layer, the keys and values of every token seen so far, so that a
// new token attends to the past without recomputing it. Sized once for `capacity` tokens; layers
// write their new entries at `length`, and the model commits the step when every layer has written.
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
  /** Tokens stored per sequence. */
  length = 0;

  constructor(
    readonly batch: number,
    readonly capacity: number,
    shapes: readonly LayerCacheShape[],
    /** What the entries mean (e.g. 'mla-absorbed'), so a model refuses a cache laid out for another path. */
    readonly layout: string,
  ) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`KVCache: capacity must be a positive integer, got ${capacity}`);
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

  bytes(): number {
    return this.elementsPerToken() * this.batch * this.capacity * 4;
  }

  /**
   * Stores layer `i`'s entries for the next k.shape[2] tokens (k [B, heads, T, keyDim]) and returns
   * views of all keys and values so far, including them. Nothing moves until commit().
   */
  write(i: number, k: Tensor, v: Tensor | null): { keys: Tensor; values: Tensor } {
    const layer = this.layers[i];
    if (!layer) throw new RangeError(`KVCache: no layer ${i} (the cache has ${this.layers.length})`);
    const steps = k.shape[2]!;
    const end = this.length + steps;
    if (end > this.capacity) throw new RangeError(`KVCache: ${end} tokens do not fit the cache capacity of ${this.capacity}; create a larger cache`);
    T.noGrad(() => {
      writeSlice(layer.k, k, this.length, end);
      if (layer.v && v) writeSlice(layer.v, v, this.length, end);
    });
    const keys = T.slice(layer.k, 2, 0, end);
    if (layer.v) return { keys, values: T.slice(layer.v, 2, 0, end) };
    return { keys, values: T.slice(keys, 3, 0, layer.shape.sharedValueDim ?? layer.shape.keyDim) };
  }

  /** Advances the stored length after every layer has written `steps` new tokens. */
  commit(steps: number): void {
    this.length += steps;
  }

  /** Forgets everything stored (the buffers are reused). */
  reset(): void {
    this.length = 0;
  }

  dispose(): void {
    for (const l of this.layers) {
      l.k.dispose();
      l.v?.dispose();
    }
  }
}

function writeSlice(buffer: Tensor, src: Tensor, start: number, end: number): void {
  const dst = T.slice(buffer, 2, start, end);
  T.assign(dst, src);
  dst.dispose();
}
