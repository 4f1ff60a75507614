// Views of a dense tensor's storage, for copying checkpoint bytes straight into or out of it.

import type { Tensor } from '../../tensor/index.js';
import { fmtShape } from '../../tensor/index.js';
import { CheckpointError } from './errors.js';

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export type DenseStorage = Float32Array | Float64Array | Uint16Array;

/** The elements of a contiguous tensor in its storage: float32/float64 values or bf16/f16 bits. */
export function denseStorage(t: Tensor, name: string, where: string): DenseStorage {
  if (!t.isContiguous()) throw new CheckpointError(where, `tensor "${name}" ${fmtShape(t.shape)} is a strided view; pass a contiguous tensor`);
  return t.data.subarray(t.offset, t.offset + t.size);
}
