// Scalar bf16/f16 <-> float conversions on raw bits (used by copy.ts and gemm.ts).
import type { HalfDtype } from '../kernels.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float value of one bf16 or f16 bit pattern (exact: both fit in a float32). */
export function halfBitsToFloat(h: number, dtype: HalfDtype): number {
  if (dtype === 'bfloat16') {
    u32[0] = h << 16;
    return f32[0];
  }
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** q = m >> s rounded to nearest, ties to even (s >= 1). */
function shiftRoundEven(m: number, s: number): number {
  const q = m >>> s;
  const rem = m & ((1 << s) - 1);
  const half = 1 << (s - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/** Bits of x rounded to nearest even in bf16 or f16; NaN stays NaN, overflow becomes ±Inf. */
export function floatToHalfBits(x: number, dtype: HalfDtype): number {
  f32[0] = x;
  let b = u32[0];
  // A float64 input is rounded to float32 first; making that step round-to-odd keeps the final
  // rounding correct (no double rounding), since float32 has more than 2 extra bits over either half.
  if (f32[0] !== x && x === x && (b & 1) === 0) b += Math.abs(f32[0]) > Math.abs(x) ? -1 : 1;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (dtype === 'bfloat16') {
    if (exp === 0xff && mant !== 0) return (b >>> 16) | 0x40; // quiet bit set so the payload cannot vanish
    return shiftRoundEven(b, 16) & 0xffff; // a carry out of the mantissa bumps the exponent, up to Inf
  }
  const sign = (b >>> 16) & 0x8000;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) return sign | shiftRoundEven((e << 23) | mant, 13); // carry may reach 0x7c00 = Inf, as it should
  if (e < -10) return sign; // below half the smallest subnormal (2^-25): rounds to zero
  // Subnormal: value = (1.mant) · 2^(e-15) = significand · 2^(e-14) units of 2^-24.
  return sign | shiftRoundEven(mant | 0x800000, 14 - e);
}
