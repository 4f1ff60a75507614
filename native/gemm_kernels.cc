// The packed GEMM engine (Goto/BLIS structure) and what it stands on: the choice of instruction set,
// half-precision widening, the register-blocked micro-kernels, the packing of A and B into
// cache-sized blocks, and OwnTile, which runs them over one rectangle of C on one thread.
#include <string>

#include "gemm_kernels.h"

namespace r1ts {
namespace gemm {

// ---- CPU features -----------------------------------------------------------------------------
Isa BestIsa() {
#ifdef R1TS_X86
  static const Isa isa = [] {
    __builtin_cpu_init();
    // R1TS_GEMM_ISA=avx2|sse2 caps the choice, so tests can exercise every kernel on one machine.
    const char* cap = std::getenv("R1TS_GEMM_ISA");
    if (cap && std::string(cap) == "sse2") return Isa::kGeneric;
    if (cap && std::string(cap) == "avx2" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
      return Isa::kAvx2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq"))
      return Isa::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
      return Isa::kAvx2;
    return Isa::kGeneric;
  }();
  return isa;
#else
  return Isa::kGeneric;
#endif
}

const char* IsaName() {
#if defined(__aarch64__)
  return "neon";
#elif defined(R1TS_X86)
  switch (BestIsa()) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    default: return "sse2";
  }
#else
  return "scalar";
#endif
}

// ---- widening half precision ------------------------------------------------------------------
R1TS_SKX_CLONES void WidenBf16(float* dst, const uint16_t* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u = static_cast<uint32_t>(src[i]) << 16;
    std::memcpy(dst + i, &u, 4);
  }
}

#ifdef R1TS_X86
namespace {
R1TS_AVX2 void WidenF16F16c(float* dst, const uint16_t* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; i++) dst[i] = F16ToFloat(src[i]);
}
}  // namespace
#endif

void WidenF16(float* dst, const uint16_t* src, int64_t n) {
#ifdef R1TS_X86
  if (BestIsa() != Isa::kGeneric) return WidenF16F16c(dst, src, n);
#endif
  for (int64_t i = 0; i < n; i++) dst[i] = F16ToFloat(src[i]);
}

namespace {

thread_local Scratch packA, packB, scratchT;  // packed blocks; a widened column of a transposed half B

// ---- micro-kernels: C[MR×NR] = alpha · Ap·Bp + beta · C (beta = 0: C is not read) ---------------
// Ap is an MR×kc panel stored k-major (MR values per k); Bp a kc×NR panel (NR values per k, aligned).
// The AVX-512 and AVX2 kernels are written separately with intrinsics: a single vector-extension body
// compiled per ISA measured ~2% slower at 256³.

// Portable: 4-float vectors (SSE2 on x86-64, NEON on arm64), MR rows × NV vectors.
typedef float v4 __attribute__((vector_size(16)));
template <int MR, int NV>
void KernelGeneric(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float alpha, float beta) {
  v4 acc[MR][NV] = {};
  for (int64_t k = 0; k < kc; k++, A += MR, B += 4 * NV) {
    v4 b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) b[v] = *reinterpret_cast<const v4*>(B + 4 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) acc[r][v] += A[r] * b[v];
  }
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) {
      v4 c;
      std::memcpy(&c, C + r * ldc + 4 * v, 16);
      c = alpha * acc[r][v] + (beta == 0 ? v4{} : beta * c);
      std::memcpy(C + r * ldc + 4 * v, &c, 16);
    }
}

#ifdef R1TS_X86
// MR rows × NV vectors of 16 floats. 32 zmm registers hold MR·NV accumulators plus B and a broadcast.
template <int MR, int NV>
R1TS_AVX512 void Kernel512(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float alpha, float beta) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; k++, A += MR, B += 16 * NV) {
    __m512 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(B + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m512 a = _mm512_set1_ps(A[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* p = C + r * ldc + 16 * v;
      __m512 x = _mm512_mul_ps(va, acc[r][v]);
      if (beta != 0) x = _mm512_fmadd_ps(vb, _mm512_loadu_ps(p), x);
      _mm512_storeu_ps(p, x);
    }
}

template <int MR, int NV>
R1TS_AVX2 void Kernel256(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float alpha, float beta) {
  __m256 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++, A += MR, B += 8 * NV) {
    __m256 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = _mm256_load_ps(B + 8 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m256 a = _mm256_broadcast_ss(A + r);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* p = C + r * ldc + 8 * v;
      __m256 x = _mm256_mul_ps(va, acc[r][v]);
      if (beta != 0) x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(p), x);
      _mm256_storeu_ps(p, x);
    }
}
#endif

Engine PickEngine() {
  Engine e{4, 8, 256, 128, 2048, KernelGeneric<4, 2>};
#ifdef R1TS_X86
  if (BestIsa() == Isa::kAvx512) e = Engine{12, 32, 256, 240, 2048, Kernel512<12, 2>};
  else if (BestIsa() == Isa::kAvx2) e = Engine{6, 16, 256, 120, 2048, Kernel256<6, 2>};
#endif
  return e;
}

// ---- packing ----------------------------------------------------------------------------------
// op(A)[i0 .. i0+mr, k0 .. k0+kc) → MR×kc k-major panel, rows past mr zero.
void PackA(float* dst, const Mat& m, int64_t i0, int64_t mr, int64_t k0, int64_t kc, int MR) {
  if (!m.ta) {
    for (int64_t r = 0; r < mr; r++) {
      const float* src = m.a + (i0 + r) * m.lda + k0;
      for (int64_t k = 0; k < kc; k++) dst[k * MR + r] = src[k];
    }
    for (int64_t r = mr; r < MR; r++)
      for (int64_t k = 0; k < kc; k++) dst[k * MR + r] = 0;
  } else {
    for (int64_t k = 0; k < kc; k++) {
      const float* src = m.a + (k0 + k) * m.lda + i0;
      float* d = dst + k * MR;
      for (int64_t r = 0; r < mr; r++) d[r] = src[r];
      for (int64_t r = mr; r < MR; r++) d[r] = 0;
    }
  }
}

// op(B)[k0 .. k0+kc, j0 .. j0+nr) → kc×NR panel (widened to float), columns past nr zero.
void PackB(float* dst, const Mat& m, int64_t k0, int64_t kc, int64_t j0, int64_t nr, int NR) {
  if (!m.tb) {
    for (int64_t k = 0; k < kc; k++) {
      float* d = dst + k * NR;
      Widen(d, m.b, m.bt, (k0 + k) * m.ldb + j0, nr);
      for (int64_t j = nr; j < NR; j++) d[j] = 0;
    }
  } else {
    // Each column of op(B) is a contiguous row of B: widen it (float: read in place), then scatter.
    float* tmp = m.bt == kF32 ? nullptr : scratchT.Get(kc);
    for (int64_t j = 0; j < nr; j++) {
      int64_t off = (j0 + j) * m.ldb + k0;
      const float* col = tmp ? (Widen(tmp, m.b, m.bt, off, kc), tmp) : static_cast<const float*>(m.b) + off;
      for (int64_t k = 0; k < kc; k++) dst[k * NR + j] = col[k];
    }
    for (int64_t j = nr; j < NR; j++)
      for (int64_t k = 0; k < kc; k++) dst[k * NR + j] = 0;
  }
}

}  // namespace

const Engine& GetEngine() {
  static const Engine e = PickEngine();
  return e;
}

// ---- our GEMM on one rectangle of one matrix (single thread) -------------------------------------
void OwnTile(const Mat& m, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const Engine& e = GetEngine();
  const int MR = e.MR, NR = e.NR;
  float* Bp = packB.Get(static_cast<size_t>(e.KC) * (e.NC + NR));
  float* Ap = packA.Get(static_cast<size_t>(e.KC) * (e.MC + MR));
  alignas(64) float edge[16 * 64];  // an MR×NR tile for the ragged borders
  for (int64_t jc = n0; jc < n1; jc += e.NC) {
    const int64_t nc = std::min(e.NC, n1 - jc);
    for (int64_t pc = 0; pc < m.K; pc += e.KC) {
      const int64_t kc = std::min(e.KC, m.K - pc);
      const float beta = pc == 0 ? m.beta : 1.0f;  // later K blocks accumulate
      for (int64_t jr = 0; jr < nc; jr += NR) PackB(Bp + jr * kc, m, pc, kc, jc + jr, std::min<int64_t>(NR, nc - jr), NR);
      for (int64_t ic = m0; ic < m1; ic += e.MC) {
        const int64_t mc = std::min(e.MC, m1 - ic);
        for (int64_t ir = 0; ir < mc; ir += MR) PackA(Ap + ir * kc, m, ic + ir, std::min<int64_t>(MR, mc - ir), pc, kc, MR);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            float* C = m.c + (ic + ir) * m.ldc + jc + jr;
            if (mr == MR && nr == NR) {
              e.kernel(kc, Ap + ir * kc, Bp + jr * kc, C, m.ldc, m.alpha, beta);
            } else {
              e.kernel(kc, Ap + ir * kc, Bp + jr * kc, edge, NR, 1.0f, 0.0f);
              for (int64_t r = 0; r < mr; r++)
                for (int64_t j = 0; j < nr; j++) {
                  float& cv = C[r * m.ldc + j];
                  cv = m.alpha * edge[r * NR + j] + (beta == 0 ? 0.f : beta * cv);
                }
            }
          }
        }
      }
    }
  }
}

}  // namespace gemm
}  // namespace r1ts
