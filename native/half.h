// Exact scalar conversions between float and the half-precision storage types, shared by memory.cc
// (halfToFloat, floatToHalf) and the GEMM (half B): round to nearest even, subnormals, Inf, and NaN kept
// quiet with its sign and top payload bits, as the F16C instructions do.
#pragma once
#include <cstdint>
#include <cstring>

namespace r1ts {

inline uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float FloatFromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float Bf16ToFloat(uint16_t h) { return FloatFromBits(static_cast<uint32_t>(h) << 16); }

inline uint16_t FloatToBf16(float f) {
  uint32_t u = FloatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1);  // round to nearest, ties to even (overflow rounds to Inf correctly)
  return static_cast<uint16_t>(u >> 16);
}

inline float F16ToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13);  // Inf or NaN (payload kept)
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);  // normal: rebias 15 -> 127
  } else if (mant == 0) {
    u = sign;  // ±0
  } else {
    // Subnormal: mant · 2^-24, exactly representable as a normal float.
    u = FloatBits(static_cast<float>(mant) * 5.9604644775390625e-8f) | sign;
  }
  return FloatFromBits(u);
}

inline uint16_t FloatToF16(float f) {
  const uint32_t u = FloatBits(f);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00 | static_cast<uint16_t>((a >> 13) & 0x3ff);  // quiet NaN
  if (a >= 0x477ff000u) return sign | 0x7c00;  // ≥ 65520 rounds to Inf (and Inf stays Inf)
  if (a >= 0x38800000u) {                      // normal half (≥ 2^-14)
    uint32_t r = a + 0x0fffu + ((a >> 13) & 1) - (112u << 23);  // RNE on the 13 dropped bits, rebias
    return sign | static_cast<uint16_t>(r >> 13);
  }
  if (a < 0x33000000u) return sign;  // below half the smallest subnormal (2^-25): ±0 (2^-25 ties to 0)
  // Subnormal half: value / 2^-24 rounded to nearest even. Do it on the integer significand.
  uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - e;  // 14..24 bits dropped from the 24-bit significand
  uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) q++;
  return sign | static_cast<uint16_t>(q);
}

}  // namespace r1ts
