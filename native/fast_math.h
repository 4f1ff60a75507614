// Vectorizable float math shared by the kernel files (elementwise, reduce, layers, indexing,
// attention): the target_clones macro for hot loops, branch-free exp / sigmoid / tanh, and sums in
// lanes of double.
//
// Hot loops are `R1TS_CLONES` functions, so one binary carries AVX-512, AVX2 and baseline versions and
// the loader picks one; the helpers here are always inlined into them, so each clone vectorizes them
// at its own width. FastExp exists because libm's expf does not vectorize without -ffast-math.
// The GEMM widening and half-conversion loops (gemm_kernels.cc, memory.cc) use R1TS_SKX_CLONES, whose
// AVX-512 clone is arch=skylake-avx512 (AVX-512 BW/VL/DQ too); optim.cc defines the same set itself.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#define R1TS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define R1TS_INLINE inline __attribute__((always_inline))

#if defined(__x86_64__) || defined(__i386__)
#define R1TS_X86 1
#define R1TS_SKX_CLONES __attribute__((target_clones("default", "avx2", "arch=skylake-avx512")))
#else
#define R1TS_SKX_CLONES
#endif

namespace r1ts {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

R1TS_INLINE float BitsToFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// exp(x) within ~1 ulp (Cephes expf), branch-free. Over/underflow and ±inf come out of the clamp:
// x ≥ 88.73 gives inf, x ≤ -104 gives 0; the two half exponents keep 2^n normal down to subnormals.
R1TS_INLINE float FastExp(float x) {
  float xc = x > -104.f ? x : -104.f;  // NaN becomes -104 here and is restored at the end
  xc = xc < 88.8f ? xc : 88.8f;
  float nf = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;  // round to nearest
  float r = xc - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.f;
  int32_t n = static_cast<int32_t>(nf), n1 = n >> 1, n2 = n - n1;
  y = y * BitsToFloat((n1 + 127) << 23) * BitsToFloat((n2 + 127) << 23);
  return x != x ? x : y;
}

R1TS_INLINE float Sigmoid(float x) { return 1.f / (1.f + FastExp(-x)); }

// tanh: Cephes' odd polynomial near 0 (keeps relative accuracy), 1 - 2/(e^{2|x|}+1) elsewhere.
R1TS_INLINE float FastTanh(float x) {
  float ax = std::fabs(x), s = x * x;
  float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s +
                  1.33314422036e-1f) * s - 3.33332819422e-1f) * s * x + x;
  float big = std::copysign(1.f - 2.f / (FastExp(2.f * ax) + 1.f), x);
  return ax < 0.625f ? small : big;
}

// Σ f(i) over [0, n) in kLanes independent lanes of double: the compiler vectorizes it without
// -ffast-math reassociation, and double keeps long sums accurate.
constexpr int kLanes = 16;

template <class F>
R1TS_INLINE double LaneSum(int64_t n, F f) {
  double acc[kLanes] = {0};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; k++) acc[k] += f(i + k);
  }
  double total = 0;
  for (; i < n; i++) total += f(i);
  for (int k = 0; k < kLanes; k++) total += acc[k];
  return total;
}

// Σ x[i]², in lanes of double (rmsnorm's row statistic, sumSquares); defined in reduce.cc.
double SumSquaresRow(const float* x, int64_t n);

}  // namespace r1ts
