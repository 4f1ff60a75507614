// The skinny GEMM path: products with M ≤ kSkinnyM = 16 (decoding, GEMV-like), which are memory-bound. B is
// streamed once, without packing, converting half B in registers. The bodies are written once with GCC
// vector extensions (16 floats); SkinnyAvx512 / SkinnyAvx2 / SkinnyGeneric compile them for their
// registers, and SkinnyTile runs the best one.
#include <vector>

#include "gemm_kernels.h"

#pragma GCC diagnostic ignored "-Wpsabi"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // from inside GCC's _mm512_cvtph_ps

namespace r1ts {
namespace gemm {
namespace {

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef uint16_t u16x16u __attribute__((vector_size(32), aligned(2)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));

// float16 → float for 16 values, per ISA (GCC's generic _Float16 vector conversion is scalar).
struct IsaGenericOps {
  static inline v16 F16(const uint16_t* p) {
    v16 r;
    for (int i = 0; i < 16; i++) r[i] = F16ToFloat(p[i]);
    return r;
  }
  // Blocking that fits the register file: B columns per pass (plain B), and rows of a transposed B
  // streamed together for 1, 2 and 3–4 rows of A (more rows in flight, more memory bandwidth).
  static constexpr int kAxpyVecs = 2;
  static constexpr int kDotRows1 = 4, kDotRows2 = 2, kDotRows4 = 2;
};
#ifdef R1TS_X86
struct IsaAvx2Ops {
  static R1TS_AVX2 inline v16 F16(const uint16_t* p) {
    __m256 lo = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    __m256 hi = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)));
    v16 r;
    std::memcpy(&r, &lo, 32);
    std::memcpy(reinterpret_cast<char*>(&r) + 32, &hi, 32);
    return r;
  }
  static constexpr int kAxpyVecs = 2;
  static constexpr int kDotRows1 = 4, kDotRows2 = 2, kDotRows4 = 2;
};
struct IsaAvx512Ops {
  static R1TS_AVX512 inline v16 F16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static constexpr int kAxpyVecs = 4;
  // 32 vector registers, but 24 accumulators (6 rows of B for 4 of A) made GCC keep some in memory and
  // chain them through the stack; 16 stay in registers: warm B at M = 16 10.4 → 7.8 µs, from DRAM no slower.
  static constexpr int kDotRows1 = 12, kDotRows2 = 8, kDotRows4 = 4;
};
#endif

template <BType BT, class I>
inline v16 LoadB16(const void* b, int64_t off) {
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
inline float LoadB1(const void* b, int64_t off) {
  if constexpr (BT == kF32) {
    return static_cast<const float*>(b)[off];
  } else if constexpr (BT == kBf16) {
    return Bf16ToFloat(static_cast<const uint16_t*>(b)[off]);
  } else {
    return F16ToFloat(static_cast<const uint16_t*>(b)[off]);
  }
}

inline void StoreC(const Mat& m, float* c, float dot) { *c = m.alpha * dot + (m.beta == 0 ? 0.f : m.beta * *c); }

typedef int32_t i16 __attribute__((vector_size(64)));

// The lane sums of up to 8 vectors, by a transposing tree of two-source shuffles (each level halves
// the partial sums per vector and packs two vectors' partials into one register). Summing each vector's
// 16 lanes on its own is 15 dependent scalar adds (the compiler may not reassociate float adds), which
// cost as much as the multiply-adds themselves when K is a few hundred.
inline void LaneSums8(const v16* v, int count, float* sums) {
  v16 in[8];
  for (int j = 0; j < 8; j++) in[j] = j < count ? v[j] : v16{};
  constexpr i16 lo1 = {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23};
  constexpr i16 hi1 = {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31};
  constexpr i16 lo2 = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
  constexpr i16 hi2 = {4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31};
  constexpr i16 lo3 = {0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29};
  constexpr i16 hi3 = {2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31};
  constexpr i16 even = {0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14};
  constexpr i16 odd = {1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15};
  v16 half[4], quarter[2];
  for (int j = 0; j < 4; j++) half[j] = __builtin_shuffle(in[2 * j], in[2 * j + 1], lo1) + __builtin_shuffle(in[2 * j], in[2 * j + 1], hi1);
  for (int j = 0; j < 2; j++) quarter[j] = __builtin_shuffle(half[2 * j], half[2 * j + 1], lo2) + __builtin_shuffle(half[2 * j], half[2 * j + 1], hi2);
  const v16 pairs = __builtin_shuffle(quarter[0], quarter[1], lo3) + __builtin_shuffle(quarter[0], quarter[1], hi3);
  const v16 total = __builtin_shuffle(pairs, even) + __builtin_shuffle(pairs, odd);
  for (int j = 0; j < count; j++) sums[j] = total[j];
}

// Transposed B (B is N×K, a Linear layer's weight): C[i, n..n+NB) are dot products of A row i with
// NB contiguous rows of B; NB rows share each A load.
template <int M, int NB, BType BT, class I>
inline void DotBlock(const Mat& m, const float* A, int64_t lda, int64_t n) {
  v16 acc[M][NB] = {};
  int64_t k = 0;
  const size_t bElem = BT == kF32 ? 4 : 2;
  const char* next = static_cast<const char*>(m.b) + (n + NB) * m.ldb * bElem;  // the next block's rows
  for (; k + 16 <= m.K; k += 16) {
    // Each row of B is short (K values), too short for the hardware prefetcher to ramp up on its
    // own: ask for the next block's rows while this block is multiplied (memory-bound decoding).
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) __builtin_prefetch(next + (j * m.ldb + k) * bElem);
    // The M rows of A stay in registers and each B vector is used as soon as it is loaded: holding all
    // NB B vectors as well left too few of the 32 registers for the M·NB accumulators, and the compiler
    // spilled B to the stack (one extra load per multiply-add).
    v16 av[M];
#pragma GCC unroll 16
    for (int i = 0; i < M; i++) av[i] = *reinterpret_cast<const v16u*>(A + i * lda + k);
#pragma GCC unroll 16
    for (int j = 0; j < NB; j++) {
      const v16 bv = LoadB16<BT, I>(m.b, (n + j) * m.ldb + k);
#pragma GCC unroll 16
      for (int i = 0; i < M; i++) acc[i][j] += av[i] * bv;
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
#pragma GCC unroll 2
    for (int j0 = 0; j0 < NB; j0 += 8) {
      float dots[8];
      const int count = NB - j0 < 8 ? NB - j0 : 8;
      LaneSums8(acc[i] + j0, count, dots);
#pragma GCC unroll 8
      for (int j = 0; j < count; j++) StoreC(m, m.c + i * m.ldc + n + j0 + j, dots[j] + tail[i][j0 + j]);
    }
}

// Plain B (K×N): a strip of 16·NV columns of C accumulates A[i, k] · B row k over k, in registers.
template <int M, int NV, BType BT, class I>
inline void AxpyBlock(const Mat& m, const float* A, int64_t lda, int64_t j0) {
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
inline void SkinnyBody(const Mat& m, const float* A, int64_t lda, int64_t n0, int64_t n1) {
  if (m.tb) {
    constexpr int NB = M == 1 ? I::kDotRows1 : M == 2 ? I::kDotRows2 : I::kDotRows4;
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

// The body for M rows of C and B's type.
template <int M, class I>
inline void SkinnyRows(const Mat& m, const float* A, int64_t lda, int64_t n0, int64_t n1) {
  switch (m.bt) {
    case kF32: return SkinnyBody<M, kF32, I>(m, A, lda, n0, n1);
    case kBf16: return SkinnyBody<M, kBf16, I>(m, A, lda, n0, n1);
    case kF16: return SkinnyBody<M, kF16, I>(m, A, lda, n0, n1);
  }
}

// One entry point per ISA, each instantiating the body for M = 1..4 and the three B types. The bodies
// are plain inline templates; the entry point is `flatten`, which inlines them into it and compiles them
// for its target (always_inline would check targets before that and fail).
#define R1TS_SKINNY_ENTRY(NAME, ATTR, OPS)                                                                        \
  ATTR __attribute__((flatten)) void NAME(const Mat& m, const float* A, int64_t lda, int64_t n0, int64_t n1) { \
    switch (m.M) {                                                                                              \
      case 1: return SkinnyRows<1, OPS>(m, A, lda, n0, n1);                                                     \
      case 2: return SkinnyRows<2, OPS>(m, A, lda, n0, n1);                                                     \
      case 3: return SkinnyRows<3, OPS>(m, A, lda, n0, n1);                                                     \
      case 4: return SkinnyRows<4, OPS>(m, A, lda, n0, n1);                                                     \
    }                                                                                                           \
  }
R1TS_SKINNY_ENTRY(SkinnyGeneric, , IsaGenericOps)
#ifdef R1TS_X86
R1TS_SKINNY_ENTRY(SkinnyAvx2, R1TS_AVX2, IsaAvx2Ops)
R1TS_SKINNY_ENTRY(SkinnyAvx512, R1TS_AVX512, IsaAvx512Ops)
#endif

}  // namespace

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
  // The bodies take up to 4 rows; more (up to kSkinnyM) go in chunks of 4, the later chunks reading
  // B again from cache rather than packing it as the blocked path would.
  for (int64_t r0 = 0; r0 < m.M; r0 += 4) {
    Mat part = m;
    part.M = std::min<int64_t>(4, m.M - r0);
    part.c = m.c + r0 * m.ldc;
    const float* Ar = A + r0 * lda;
#ifdef R1TS_X86
    if (BestIsa() == Isa::kAvx512) {
      SkinnyAvx512(part, Ar, lda, n0, n1);
      continue;
    }
    if (BestIsa() == Isa::kAvx2) {
      SkinnyAvx2(part, Ar, lda, n0, n1);
      continue;
    }
#endif
    SkinnyGeneric(part, Ar, lda, n0, n1);
  }
}

}  // namespace gemm
}  // namespace r1ts
