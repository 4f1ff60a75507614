// The shared pieces of the GEMM (gemm.cc, gemm_kernels.cc, gemm_skinny.cc): the problem types, the
// instruction-set choice, half-precision widening of B, per-thread scratch, and the two single-thread
// engines the drivers in gemm.cc split work between: OwnTile (packed, cache-blocked micro-kernels,
// gemm_kernels.cc) and SkinnyTile (M ≤ kSkinnyM, streams B without packing, gemm_skinny.cc).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common.h"
#include "fast_math.h"
#include "half.h"

#ifdef R1TS_X86
#include <immintrin.h>
#define R1TS_AVX2 __attribute__((target("avx2,fma,f16c")))
#define R1TS_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,f16c")))
#endif

namespace r1ts {
namespace gemm {

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

// Runs a validated product with the engine GemmAuto would pick (gemm.cc); inside a pool task it stays
// on the calling thread, so a kernel can run many small products in parallel itself.
void RunGemm(const Problem& p);

inline Mat Item(const Problem& p, int64_t i) {
  const size_t bElem = p.bt == kF32 ? 4 : 2;
  return Mat{p.ta, p.tb, p.M, p.N, p.K, p.alpha, p.beta, p.a + i * p.sA, p.lda,
             static_cast<const char*>(p.b) + i * p.sB * bElem, p.bt, p.ldb, p.c + i * p.sC, p.ldc};
}

// ---- CPU features (gemm_kernels.cc) --------------------------------------------------------------
enum class Isa { kGeneric, kAvx2, kAvx512 };
// The best kernel set the CPU runs; R1TS_GEMM_ISA=avx2|sse2 caps it (tests exercise every kernel).
Isa BestIsa();
const char* IsaName();  // "avx512", "avx2", "sse2", "neon" or "scalar", for info()

// ---- widening half precision ---------------------------------------------------------------------
void WidenBf16(float* dst, const uint16_t* src, int64_t n);
void WidenF16(float* dst, const uint16_t* src, int64_t n);

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

// ---- the engines (single thread, one rectangle of one matrix) ------------------------------------

// The micro-kernel tile and cache blocking for one ISA. KC·NR floats (a B micro-panel) stay in L1,
// MC·KC (the packed A block) in L2, KC·NC (the packed B block) in L3.
using KernelFn = void (*)(int64_t kc, const float* A, const float* B, float* C, int64_t ldc, float alpha, float beta);
struct Engine {
  int MR, NR;
  int64_t KC, MC, NC;
  KernelFn kernel;
};
const Engine& GetEngine();

// C[m0..m1, n0..n1) of one matrix by the packed engine (gemm_kernels.cc).
void OwnTile(const Mat& m, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

// Products with M ≤ kSkinnyM (decoding): C[0..M, n0..n1) streaming B once (gemm_skinny.cc).
constexpr int64_t kSkinnyM = 16;
void SkinnyTile(const Mat& m, int64_t n0, int64_t n1);

}  // namespace gemm
}  // namespace r1ts
