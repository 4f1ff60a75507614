// GEMM: C = alpha · op(A) · op(B) + beta · C, batched, with B in float, bfloat16 or float16.
//
// Two engines:
// - the system BLAS (cblas_sgemm) when built with R1TS_HAVE_CBLAS; a half-precision B is widened to
//   float one bounded panel at a time, so the scratch memory stays small whatever the matrix size;
// - our own GEMM (Goto/BLIS structure): B and A are packed into cache-sized blocks (half B widened while
//   packing), and a register-blocked SIMD micro-kernel computes MR×NR tiles. The micro-kernel is picked
//   at run time (AVX-512, AVX2+FMA, or portable 4-wide vectors), so one binary runs on any x86-64;
//   products with M ≤ 4 (decoding) skip packing and stream B once (the "skinny" kernels).
// `gemm` chooses; `blasGemm` and `ownGemm` force one engine (benchmarks and tests).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1TS_X86 1
#define R1TS_CLONES __attribute__((target_clones("default", "avx2", "arch=skylake-avx512")))
#define R1TS_AVX2 __attribute__((target("avx2,fma,f16c")))
#define R1TS_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c")))
#else
#define R1TS_CLONES
#endif

#ifdef R1TS_HAVE_CBLAS
#include <cblas.h>
#endif

namespace r1ts {

namespace {

enum BType { kF32, kBf16, kF16 };

// One GEMM problem, validated; offsets already applied to the pointers.
struct Problem {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  const float* a;
  int64_t lda, sA;
  const void* b;
  BType bt;
  int64_t ldb, sB;
  float* c;
  int64_t ldc, sC;
  int64_t batch;
};

// One matrix of the batch.
struct Mat {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  const float* a;
  int64_t lda;
  const void* b;  // float* or uint16_t*
  BType bt;
  int64_t ldb;
  float* c;
  int64_t ldc;
};

Mat Item(const Problem& p, int64_t i) {
  const size_t bElem = p.bt == kF32 ? 4 : 2;
  return Mat{p.ta, p.tb, p.M, p.N, p.K, p.alpha, p.beta, p.a + i * p.sA, p.lda,
             static_cast<const char*>(p.b) + i * p.sB * bElem, p.bt, p.ldb, p.c + i * p.sC, p.ldc};
}

// ---- CPU features -----------------------------------------------------------------------------
enum class Isa { kGeneric, kAvx2, kAvx512 };

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
inline float F16ToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);
  } else {
    float f = static_cast<float>(mant) * 5.9604644775390625e-8f;  // subnormal: mant · 2^-24
    std::memcpy(&u, &f, 4);
    u |= sign;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

R1TS_CLONES void WidenBf16(float* dst, const uint16_t* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t u = static_cast<uint32_t>(src[i]) << 16;
    std::memcpy(dst + i, &u, 4);
  }
}

#ifdef R1TS_X86
R1TS_AVX2 void WidenF16F16c(float* dst, const uint16_t* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; i++) dst[i] = F16ToFloat(src[i]);
}
#endif

void WidenF16(float* dst, const uint16_t* src, int64_t n) {
#ifdef R1TS_X86
  if (BestIsa() != Isa::kGeneric) return WidenF16F16c(dst, src, n);
#endif
  for (int64_t i = 0; i < n; i++) dst[i] = F16ToFloat(src[i]);
}

// dst[0..n) = float(B[off .. off+n)) for any B type.
inline void Widen(float* dst, const void* b, BType bt, int64_t off, int64_t n) {
  if (bt == kF32) {
    std::memcpy(dst, static_cast<const float*>(b) + off, n * sizeof(float));
  } else if (bt == kBf16) {
    WidenBf16(dst, static_cast<const uint16_t*>(b) + off, n);
  } else {
    WidenF16(dst, static_cast<const uint16_t*>(b) + off, n);
  }
}

// Per-thread scratch (the pool threads are persistent, so these are allocated once and reused).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  float* Get(size_t need) {
    if (need > n) {
      std::free(p);
      n = std::max<size_t>(need, 1024);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) & ~size_t(63)));
      if (!p) {
        n = 0;
        throw std::bad_alloc();
      }
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};
thread_local Scratch packA, packB, scratchT;

// ---- micro-kernels: C[MR×NR] = alpha · Ap·Bp + beta · C (beta = 0: C is not read) ---------------
// Ap is an MR×kc panel stored k-major (MR values per k); Bp a kc×NR panel (NR values per k, aligned).
using KernelFn = void (*)(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float alpha, float beta);

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

// The micro-kernel and the cache blocking for one ISA. KC·NR floats (a B micro-panel) stay in L1,
// MC·KC (the packed A block) in L2, KC·NC (the packed B block) in L3.
struct Engine {
  int MR, NR;
  int64_t KC, MC, NC;
  KernelFn kernel;
};

Engine PickEngine() {
  Engine e{4, 8, 256, 128, 2048, KernelGeneric<4, 2>};
#ifdef R1TS_X86
  if (BestIsa() == Isa::kAvx512) e = Engine{12, 32, 256, 240, 2048, Kernel512<12, 2>};
  else if (BestIsa() == Isa::kAvx2) e = Engine{6, 16, 256, 120, 2048, Kernel256<6, 2>};
#endif
  return e;
}

const Engine& GetEngine() {
  static const Engine e = PickEngine();
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

// ---- skinny products (M ≤ 4: decoding, GEMV-like) ------------------------------------------------
// Memory-bound: stream B once, without packing, converting half B in registers. Written with GCC
// vector extensions (16 floats); each ISA variant below compiles the same body for its registers.
#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // from inside GCC's _mm512_cvtph_ps
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef uint16_t u16x16u __attribute__((vector_size(32), aligned(2)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
// Bodies are plain inline templates; each ISA entry point is `flatten`, which inlines them into it and
// compiles them for its target (always_inline would check targets before that and fail).
#define R1TS_INLINE inline

// float16 → float for 16 values, per ISA (GCC's generic _Float16 vector conversion is scalar).
struct IsaGenericOps {
  static R1TS_INLINE v16 F16(const uint16_t* p) {
    v16 r;
    for (int i = 0; i < 16; i++) r[i] = F16ToFloat(p[i]);
    return r;
  }
  static constexpr int kDotRows = 2, kAxpyVecs = 2;  // blocking that fits the register file
};
#ifdef R1TS_X86
struct IsaAvx2Ops {
  static R1TS_AVX2 R1TS_INLINE v16 F16(const uint16_t* p) {
    __m256 lo = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    __m256 hi = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)));
    v16 r;
    std::memcpy(&r, &lo, 32);
    std::memcpy(reinterpret_cast<char*>(&r) + 32, &hi, 32);
    return r;
  }
  static constexpr int kDotRows = 2, kAxpyVecs = 2;
};
struct IsaAvx512Ops {
  static R1TS_AVX512 R1TS_INLINE v16 F16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static constexpr int kDotRows = 4, kAxpyVecs = 4;
};
#endif

template <BType BT, class I>
R1TS_INLINE v16 LoadB16(const void* b, int64_t off) {
  if constexpr (BT == kF32) {
    return *reinterpret_cast<const v16u*>(static_cast<const float*>(b) + off);
  } else if constexpr (BT == kBf16) {
    u32x16 w = __builtin_convertvector(*reinterpret_cast<const u16x16u*>(static_cast<const uint16_t*>(b) + off), u32x16) << 16;
    return reinterpret_cast<v16>(w);
  } else {
    return I::F16(static_cast<const uint16_t*>(b) + off);
  }
}

template <BType BT>
R1TS_INLINE float LoadB1(const void* b, int64_t off) {
  if constexpr (BT == kF32) {
    return static_cast<const float*>(b)[off];
  } else if constexpr (BT == kBf16) {
    uint32_t u = static_cast<uint32_t>(static_cast<const uint16_t*>(b)[off]) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  } else {
    return F16ToFloat(static_cast<const uint16_t*>(b)[off]);
  }
}

R1TS_INLINE void StoreC(const Mat& m, float* c, float dot) { *c = m.alpha * dot + (m.beta == 0 ? 0.f : m.beta * *c); }

// Transposed B (B is N×K, a Linear layer's weight): C[i, n..n+NB) are dot products of A row i with
// NB contiguous rows of B; NB rows share each A load.
template <int M, int NB, BType BT, class I>
R1TS_INLINE void DotBlock(const Mat& m, const float* A, int64_t lda, int64_t n) {
  v16 acc[M][NB] = {};
  int64_t k = 0;
  for (; k + 16 <= m.K; k += 16) {
    v16 bv[NB];
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) bv[j] = LoadB16<BT, I>(m.b, (n + j) * m.ldb + k);
#pragma GCC unroll 16
    for (int i = 0; i < M; i++) {
      const v16 av = *reinterpret_cast<const v16u*>(A + i * lda + k);
#pragma GCC unroll 16
      for (int j = 0; j < NB; j++) acc[i][j] += av * bv[j];
    }
  }
  float tail[M][NB] = {};
  for (; k < m.K; k++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) {
      const float bk = LoadB1<BT>(m.b, (n + j) * m.ldb + k);
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) tail[i][j] += A[i * lda + k] * bk;
    }
#pragma GCC unroll 16
  for (int i = 0; i < M; i++)
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) {
      float dot = tail[i][j];
#pragma GCC unroll 16
      for (int l = 0; l < 16; l++) dot += acc[i][j][l];
      StoreC(m, m.c + i * m.ldc + n + j, dot);
    }
}

// Plain B (K×N): a strip of 16·NV columns of C accumulates A[i, k] · B row k over k, in registers.
template <int M, int NV, BType BT, class I>
R1TS_INLINE void AxpyBlock(const Mat& m, const float* A, int64_t lda, int64_t j0) {
  v16 acc[M][NV] = {};
  for (int64_t k = 0; k < m.K; k++) {
    v16 bv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; v++) bv[v] = LoadB16<BT, I>(m.b, k * m.ldb + j0 + 16 * v);
#pragma GCC unroll 16
    for (int i = 0; i < M; i++) {
      const float a = A[i * lda + k];
#pragma GCC unroll 16
      for (int v = 0; v < NV; v++) acc[i][v] += a * bv[v];
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < M; i++)
#pragma GCC unroll 16
    for (int v = 0; v < NV; v++)
#pragma GCC unroll 16
      for (int l = 0; l < 16; l++) StoreC(m, m.c + i * m.ldc + j0 + 16 * v + l, acc[i][v][l]);
}

template <int M, BType BT, class I>
R1TS_INLINE void SkinnyBody(const Mat& m, const float* A, int64_t lda, int64_t n0, int64_t n1) {
  if (m.tb) {
    constexpr int NB = M == 1 ? 2 * I::kDotRows : I::kDotRows;
    int64_t n = n0;
    for (; n + NB <= n1; n += NB) DotBlock<M, NB, BT, I>(m, A, lda, n);
    for (; n < n1; n++) DotBlock<M, 1, BT, I>(m, A, lda, n);
  } else {
    constexpr int NV = M == 1 ? 2 * I::kAxpyVecs : I::kAxpyVecs;
    int64_t j = n0;
    for (; j + 16 * NV <= n1; j += 16 * NV) AxpyBlock<M, NV, BT, I>(m, A, lda, j);
    for (; j + 16 <= n1; j += 16) AxpyBlock<M, 1, BT, I>(m, A, lda, j);
    for (; j < n1; j++) {  // the last < 16 columns
      float acc[M] = {};
      for (int64_t k = 0; k < m.K; k++) {
        const float bk = LoadB1<BT>(m.b, k * m.ldb + j);
#pragma GCC unroll 16
        for (int i = 0; i < M; i++) acc[i] += A[i * lda + k] * bk;
      }
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) StoreC(m, m.c + i * m.ldc + j, acc[i]);
    }
  }
}

// One entry point per ISA, each instantiating the body for M = 1..4 and the three B types.
#define R1TS_SKINNY_ENTRY(NAME, ATTR, OPS)                                                          \
  ATTR __attribute__((flatten)) void NAME(const Mat& m, const float* A, int64_t lda, int64_t n0, int64_t n1) { \
    const int key = static_cast<int>(m.M) * 3 + static_cast<int>(m.bt);                           \
    switch (key) {                                                                                \
      case 3: return SkinnyBody<1, kF32, OPS>(m, A, lda, n0, n1);                                 \
      case 4: return SkinnyBody<1, kBf16, OPS>(m, A, lda, n0, n1);                                \
      case 5: return SkinnyBody<1, kF16, OPS>(m, A, lda, n0, n1);                                 \
      case 6: return SkinnyBody<2, kF32, OPS>(m, A, lda, n0, n1);                                 \
      case 7: return SkinnyBody<2, kBf16, OPS>(m, A, lda, n0, n1);                                \
      case 8: return SkinnyBody<2, kF16, OPS>(m, A, lda, n0, n1);                                 \
      case 9: return SkinnyBody<3, kF32, OPS>(m, A, lda, n0, n1);                                 \
      case 10: return SkinnyBody<3, kBf16, OPS>(m, A, lda, n0, n1);                               \
      case 11: return SkinnyBody<3, kF16, OPS>(m, A, lda, n0, n1);                                \
      case 12: return SkinnyBody<4, kF32, OPS>(m, A, lda, n0, n1);                                \
      case 13: return SkinnyBody<4, kBf16, OPS>(m, A, lda, n0, n1);                               \
      case 14: return SkinnyBody<4, kF16, OPS>(m, A, lda, n0, n1);                                \
    }                                                                                             \
  }
R1TS_SKINNY_ENTRY(SkinnyGeneric, , IsaGenericOps)
#ifdef R1TS_X86
R1TS_SKINNY_ENTRY(SkinnyAvx2, R1TS_AVX2, IsaAvx2Ops)
R1TS_SKINNY_ENTRY(SkinnyAvx512, R1TS_AVX512, IsaAvx512Ops)
#endif

constexpr int64_t kSkinnyM = 4;

void SkinnyTile(const Mat& m, int64_t n0, int64_t n1) {
  // A as M dense rows of K (a transposed A is gathered first).
  const float* A = m.a;
  int64_t lda = m.lda;
  std::vector<float> at;
  if (m.ta && m.M > 1) {
    at.resize(m.M * m.K);
    for (int64_t k = 0; k < m.K; k++)
      for (int64_t i = 0; i < m.M; i++) at[i * m.K + k] = m.a[k * m.lda + i];
    A = at.data();
    lda = m.K;
  } else if (m.ta) {
    at.resize(m.K);
    for (int64_t k = 0; k < m.K; k++) at[k] = m.a[k * m.lda];
    A = at.data();
    lda = m.K;
  }
#ifdef R1TS_X86
  if (BestIsa() == Isa::kAvx512) return SkinnyAvx512(m, A, lda, n0, n1);
  if (BestIsa() == Isa::kAvx2) return SkinnyAvx2(m, A, lda, n0, n1);
#endif
  SkinnyGeneric(m, A, lda, n0, n1);
}

// ---- drivers ----------------------------------------------------------------------------------
// C = beta · C, for the degenerate cases (K = 0 or alpha = 0) where A and B are not read.
void ScaleC(const Problem& p) {
  for (int64_t bi = 0; bi < p.batch; bi++) {
    float* c = p.c + bi * p.sC;
    for (int64_t i = 0; i < p.M; i++) {
      float* row = c + i * p.ldc;
      if (p.beta == 0) std::fill(row, row + p.N, 0.f);
      else if (p.beta != 1)
        for (int64_t j = 0; j < p.N; j++) row[j] *= p.beta;
    }
  }
}

// Splits the batch into batch · tm · tn rectangles so that the pool's threads get one each (or more
// batch items than threads), and runs them in parallel. Rectangles are whole MR×NR tiles.
void OwnGemm(const Problem& p) {
  const Engine& e = GetEngine();
  const bool skinny = p.M <= kSkinnyM;
  const int64_t unitM = skinny ? p.M : e.MR, unitN = skinny ? 128 : e.NR;
  const int64_t blocksM = (p.M + unitM - 1) / unitM, blocksN = (p.N + unitN - 1) / unitN;
  const double flops = 2.0 * p.M * p.N * p.K * p.batch;
  const int threads = flops < 2e6 ? 1 : NumThreads();
  int64_t tm = 1, tn = 1;
  if (p.batch < threads) {
    // Per matrix, want ≈ threads / batch rectangles; choose the split with the smallest perimeter.
    const int64_t want = (threads + p.batch - 1) / p.batch;
    double best = 1e300;
    for (int64_t a = 1; a <= want; a++) {
      const int64_t b = (want + a - 1) / a;
      if (a > blocksM || b > blocksN) continue;
      const double cost = static_cast<double>(p.M) / a + static_cast<double>(p.N) / b;
      if (cost < best) best = cost, tm = a, tn = b;
    }
  }
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; it++) {
      const int64_t bi = it / (tm * tn), ti = it / tn % tm, tj = it % tn;
      const Mat m = Item(p, bi);
      const int64_t m0 = blocksM * ti / tm * unitM, m1 = std::min(p.M, blocksM * (ti + 1) / tm * unitM);
      const int64_t n0 = blocksN * tj / tn * unitN, n1 = std::min(p.N, blocksN * (tj + 1) / tn * unitN);
      if (m0 >= m1 || n0 >= n1) continue;
      if (skinny) SkinnyTile(m, n0, n1);
      else OwnTile(m, m0, m1, n0, n1);
    }
  };
  const int64_t items = p.batch * tm * tn;
  if (threads == 1) run(0, items);
  else ParallelFor(items, 1, run);
}

#ifdef R1TS_HAVE_CBLAS
constexpr int64_t kBlasMax = 2147483647;

bool FitsBlas(const Problem& p) {
  return p.M <= kBlasMax && p.N <= kBlasMax && p.K <= kBlasMax && p.lda <= kBlasMax && p.ldb <= kBlasMax && p.ldc <= kBlasMax;
}

void BlasGemm(const Problem& p) {
  const CBLAS_TRANSPOSE ta = p.ta ? CblasTrans : CblasNoTrans, tb = p.tb ? CblasTrans : CblasNoTrans;
  const int lda = static_cast<int>(std::max<int64_t>(p.lda, 1)), ldc = static_cast<int>(std::max<int64_t>(p.ldc, 1));
  auto sgemm = [&](const Mat& m) {
    cblas_sgemm(CblasRowMajor, ta, tb, m.M, m.N, m.K, m.alpha, m.a, lda, static_cast<const float*>(m.b),
                static_cast<int>(std::max<int64_t>(m.ldb, 1)), m.beta, m.c, ldc);
  };
  // OpenBLAS runs a product with M·N·K ≤ 65536·4 (its GEMM_MULTITHREAD_THRESHOLD) on the calling
  // thread alone, so a batch of such products is spread over our pool instead of running one by one.
  const double mnk = static_cast<double>(p.M) * p.N * p.K;
  if (p.bt == kF32 && p.batch > 1 && mnk <= 262144) {
    ParallelFor(p.batch, std::max<int64_t>(1, static_cast<int64_t>(5e5 / mnk)), [&](int64_t b, int64_t e) {
      for (int64_t bi = b; bi < e; bi++) sgemm(Item(p, bi));
    });
    return;
  }
  for (int64_t bi = 0; bi < p.batch; bi++) {
    const Mat m = Item(p, bi);
    if (m.bt == kF32) {
      sgemm(m);
      continue;
    }
    // Half B: widen op(B) one kb×nb panel at a time (8 MiB of scratch at most) and multiply it into the
    // matching columns of C. A transposed B stays transposed (nb rows of kb), so widening is a copy.
    const int64_t kb = std::min<int64_t>(m.K, 512), nb = std::min<int64_t>(m.N, std::max<int64_t>(64, (int64_t(2) << 20) / kb));
    float* panel = scratchT.Get(static_cast<size_t>(kb * nb));
    for (int64_t n0 = 0; n0 < m.N; n0 += nb) {
      const int64_t nw = std::min(nb, m.N - n0);
      for (int64_t k0 = 0; k0 < m.K; k0 += kb) {
        const int64_t kw = std::min(kb, m.K - k0);
        const int64_t rows = m.tb ? nw : kw, cols = m.tb ? kw : nw, ld = m.tb ? kw : nw;
        ParallelFor(rows, std::max<int64_t>(1, 16384 / cols), [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; r++) {
            const int64_t off = m.tb ? (n0 + r) * m.ldb + k0 : (k0 + r) * m.ldb + n0;
            Widen(panel + r * ld, m.b, m.bt, off, cols);
          }
        });
        const float* a = m.ta ? m.a + k0 * m.lda : m.a + k0;
        cblas_sgemm(CblasRowMajor, ta, tb, m.M, nw, kw, m.alpha, a, lda, panel, static_cast<int>(ld),
                    k0 == 0 ? m.beta : 1.0f, m.c + n0, ldc);
      }
    }
  }
}
#endif

// ---- argument parsing and validation -------------------------------------------------------------
int64_t SizeArg(const Napi::Value& v, const char* kernel, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(kernel) + ": " + what + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
    throw Napi::RangeError::New(v.Env(), std::string(kernel) + ": " + what + ": expected a non-negative integer, got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

bool BoolArg(const Napi::Value& v, const char* kernel, const char* what) {
  if (!v.IsBoolean()) throw Napi::TypeError::New(v.Env(), std::string(kernel) + ": " + what + ": expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

float NumArg(const Napi::Value& v, const char* kernel, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(kernel) + ": " + what + ": expected a number");
  return static_cast<float>(v.As<Napi::Number>().DoubleValue());
}

// Checks that a batch of `rows`×`cols` matrices (row stride ld, batch stride s) fits in the array.
void CheckMatrix(const Napi::Value& arr, const std::string& kernel, const char* name, int64_t off, int64_t rows, int64_t cols,
                 int64_t ld, int64_t s, int64_t batch, const std::string& sizes) {
  if (ld < cols) {
    throw Napi::RangeError::New(arr.Env(), kernel + ": " + name + ": leading dimension " + std::to_string(ld) +
                                               " is smaller than the row length " + std::to_string(cols) + " (" + sizes + ")");
  }
  if (rows == 0 || cols == 0 || batch == 0) return;
  const __int128 last = static_cast<__int128>(off) + static_cast<__int128>(batch - 1) * s + static_cast<__int128>(rows - 1) * ld + cols - 1;
  const size_t have = Length(arr);
  if (last >= static_cast<__int128>(have)) {
    const std::string need = last < INT64_MAX ? std::to_string(static_cast<int64_t>(last + 1)) : std::string("more than 2^63");
    throw Napi::RangeError::New(arr.Env(), kernel + ": " + name + ": needs " + need +
                                               " elements but the array has " + std::to_string(have) + " (" + sizes + ")");
  }
}

Problem Parse(const Napi::CallbackInfo& info, const char* kernel) {
  Napi::Env env = info.Env();
  const std::string k = kernel;
  if (info.Length() < 21) throw Napi::TypeError::New(env, k + ": expected 21 arguments, got " + std::to_string(info.Length()));
  Problem p{};
  p.ta = BoolArg(info[0], kernel, "transA");
  p.tb = BoolArg(info[1], kernel, "transB");
  p.M = SizeArg(info[2], kernel, "M");
  p.N = SizeArg(info[3], kernel, "N");
  p.K = SizeArg(info[4], kernel, "K");
  p.alpha = NumArg(info[5], kernel, "alpha");
  p.a = F32(info[6], (k + ": a").c_str());
  const int64_t aOff = SizeArg(info[7], kernel, "aOffset");
  p.lda = SizeArg(info[8], kernel, "lda");
  p.sA = SizeArg(info[9], kernel, "strideA");
  std::string bd = info[11].IsString() ? info[11].As<Napi::String>().Utf8Value() : "";
  if (bd == "float") p.bt = kF32, p.b = F32(info[10], (k + ": b").c_str());
  else if (bd == "bfloat16") p.bt = kBf16, p.b = U16(info[10], (k + ": b").c_str());
  else if (bd == "float16") p.bt = kF16, p.b = U16(info[10], (k + ": b").c_str());
  else throw Napi::TypeError::New(env, k + ": bDtype: expected 'float', 'bfloat16' or 'float16'");
  const int64_t bOff = SizeArg(info[12], kernel, "bOffset");
  p.ldb = SizeArg(info[13], kernel, "ldb");
  p.sB = SizeArg(info[14], kernel, "strideB");
  p.beta = NumArg(info[15], kernel, "beta");
  p.c = F32(info[16], (k + ": c").c_str());
  const int64_t cOff = SizeArg(info[17], kernel, "cOffset");
  p.ldc = SizeArg(info[18], kernel, "ldc");
  p.sC = SizeArg(info[19], kernel, "strideC");
  p.batch = SizeArg(info[20], kernel, "batch");

  const std::string sizes = "M=" + std::to_string(p.M) + " N=" + std::to_string(p.N) + " K=" + std::to_string(p.K) +
                            " transA=" + (p.ta ? "true" : "false") + " transB=" + (p.tb ? "true" : "false") +
                            " lda=" + std::to_string(p.lda) + " ldb=" + std::to_string(p.ldb) + " ldc=" + std::to_string(p.ldc) +
                            " batch=" + std::to_string(p.batch);
  CheckMatrix(info[6], k, "a", aOff, p.ta ? p.K : p.M, p.ta ? p.M : p.K, p.lda, p.sA, p.batch, sizes);
  CheckMatrix(info[10], k, "b", bOff, p.tb ? p.N : p.K, p.tb ? p.K : p.N, p.ldb, p.sB, p.batch, sizes);
  CheckMatrix(info[16], k, "c", cOff, p.M, p.N, p.ldc, p.sC, p.batch, sizes);
  if (p.batch > 1 && p.sC == 0 && p.M > 0 && p.N > 0) {
    throw Napi::RangeError::New(env, k + ": c: strideC is 0 with batch " + std::to_string(p.batch) + ", so the outputs would overlap");
  }
  p.a += aOff;
  p.b = static_cast<const char*>(p.b) + bOff * (p.bt == kF32 ? 4 : 2);
  p.c += cOff;
  return p;
}

// Handles the cases without a product; returns true when nothing is left to do.
bool Trivial(const Problem& p) {
  if (p.M == 0 || p.N == 0 || p.batch == 0) return true;
  if (p.K == 0 || p.alpha == 0) {
    ScaleC(p);
    return true;
  }
  return false;
}

Napi::Value GemmAuto(const Napi::CallbackInfo& info) {
  const Problem p = Parse(info, "gemm");
  if (Trivial(p)) return info.Env().Undefined();
#ifdef R1TS_HAVE_CBLAS
  // Skinny products stream B without packing, which beats sgemm (no GEMV path in OpenBLAS's sgemm);
  // everything else goes to the BLAS when it can take the sizes.
  // Batches of mid-sized float products: OpenBLAS threads each product separately and poorly
  // (measured 120 vs our 160 GFLOP/s at 32 × 128·128·64 on 2 cores); ours splits the batch instead.
  const double mnk = static_cast<double>(p.M) * p.N * p.K;
  const bool midBatch = p.bt == kF32 && p.batch >= NumThreads() && p.batch > 1 && mnk > 262144 && mnk <= (1 << 22);
  if (p.M > kSkinnyM && !midBatch && FitsBlas(p)) {
    BlasGemm(p);
    return info.Env().Undefined();
  }
#endif
  OwnGemm(p);
  return info.Env().Undefined();
}

Napi::Value GemmOwn(const Napi::CallbackInfo& info) {
  const Problem p = Parse(info, "ownGemm");
  if (!Trivial(p)) OwnGemm(p);
  return info.Env().Undefined();
}

Napi::Value GemmBlas(const Napi::CallbackInfo& info) {
#ifdef R1TS_HAVE_CBLAS
  const Problem p = Parse(info, "blasGemm");
  if (!FitsBlas(p)) throw Napi::RangeError::New(info.Env(), "blasGemm: a size or leading dimension exceeds the BLAS's 32-bit range");
  if (!Trivial(p)) BlasGemm(p);
  return info.Env().Undefined();
#else
  throw Napi::Error::New(info.Env(), "blasGemm: the native addon was built without a BLAS (R1TS_BLAS=none or libopenblas-dev missing)");
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef R1TS_HAVE_CBLAS
  o.Set("blas", "openblas");
  o.Set("openblasCore", openblas_get_corename());
#else
  o.Set("blas", "none");
#endif
  o.Set("threads", NumThreads());
  o.Set("simd", IsaName());
  const char* ct = std::getenv("OPENBLAS_CORETYPE");
  o.Set("openblasCoretype", ct ? ct : "");
  return o;
}

}  // namespace

void InitGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, GemmAuto, "gemm"));
  exports.Set("ownGemm", Napi::Function::New(env, GemmOwn, "ownGemm"));
  exports.Set("blasGemm", Napi::Function::New(env, GemmBlas, "blasGemm"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
}

}  // namespace r1ts
