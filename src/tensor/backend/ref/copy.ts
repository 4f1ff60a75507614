// Allocation, strided copy, fill and half-precision conversion kernels.
import type { FloatArray, HalfArray, HalfDtype, StridedArg } from '../kernels.js';
import { floatToHalfBits, halfBitsToFloat } from './half.js';
import { forEachStrided } from './strided.js';

export function allocFloat(n: number): Float32Array {
  return new Float32Array(n);
}

export function free(): void {
  // Ref arrays live on the V8 heap: the garbage collector reclaims them, there is nothing to release.
}

export function copy(dst: StridedArg, src: StridedArg, shape: readonly number[]): void {
  const d = dst.data;
  const s = src.data;
  forEachStrided(shape, [dst, src], (_i, o) => {
    d[o[0]] = s[o[1]];
  });
}

export function fill(out: FloatArray, value: number, offset: number, n: number): void {
  out.fill(value, offset, offset + n);
}

export function halfToFloat(out: FloatArray, src: HalfArray, dtype: HalfDtype, n: number): void {
  for (let i = 0; i < n; i++) out[i] = halfBitsToFloat(src[i], dtype);
}

export function floatToHalf(out: HalfArray, src: FloatArray, dtype: HalfDtype, n: number): void {
  for (let i = 0; i < n; i++) out[i] = floatToHalfBits(src[i], dtype);
}
