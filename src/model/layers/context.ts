// What a decoder layer needs to know about the current forward pass besides its input.

import type { Tensor } from '../../tensor/index.js';
import type { KVCache } from '../kv-cache.js';
import type { Rotary } from './rotary.js';

export interface LayerContext {
  readonly batch: number;
  /** New tokens per sequence in this pass (the whole prompt in training or prefill, 1 in decode). */
  readonly steps: number;
  /** Absolute position of each of the batch·steps token rows. */
  readonly positions: Int32Array;
  readonly rotary: Rotary;
  /** Present in inference: the layer appends its keys/values and attends over all of them. */
  readonly cache: KVCache | null;
  /** The cache slot of each batch row. */
  readonly slots: Int32Array;
  /**
   * Additive attention mask [B, 1, steps, keys] (0 or −∞) when the rows sit at different positions
   * of the cache; null means plain causal attention with the queries at the end of the keys.
   */
  readonly mask: Tensor | null;
  readonly layerIndex: number;
}
