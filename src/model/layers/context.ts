// What a decoder layer needs to know about the current forward pass besides its input.

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
  readonly layerIndex: number;
}
