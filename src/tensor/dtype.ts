// Element types. Compute is float32 (float64 on the ref backend, for gradient checks); bfloat16 and
// float16 are storage formats for weights, widened on the fly by matmul or explicitly by toFloat32().

import type { FloatArray, HalfArray, HalfDtype } from './backend/kernels.js';
import { TensorError } from './errors.js';

export type FloatDtype = 'float32' | 'float64';
export type DType = FloatDtype | HalfDtype;

export function isHalf(dtype: DType): dtype is HalfDtype {
  return dtype === 'bfloat16' || dtype === 'float16';
}

export function allocArray(dtype: DType, n: number, allocFloat: (n: number) => Float32Array): FloatArray | HalfArray {
  switch (dtype) {
    case 'float32':
      return allocFloat(n);
    case 'float64':
      return new Float64Array(n);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(n);
  }
}

/** The dtype an op computes in for these inputs; half-precision inputs are refused (storage only). */
export function computeDtype(op: string, ...ts: readonly { readonly dtype: DType }[]): FloatDtype {
  let dtype: FloatDtype = 'float32';
  for (const t of ts) {
    if (isHalf(t.dtype)) throw new TensorError(op, `${t.dtype} tensors are storage only; call toFloat32() first`);
    if (t.dtype === 'float64') dtype = 'float64';
  }
  return dtype;
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'float32' ? 4 : 2;
}
