// The shared pieces of the attention kernels (attention_forward.cc, attention_backward.cc): the
// problem description, the per-thread scratch, and the blocked micro-kernels, written once with GCC
// vector extensions over an instruction-set parameter I (IsaAvx512, IsaAvx2, IsaBase).
//
// Everything that touches vectors is an always-inline template: it is instantiated inside the work
// unit functions that UnitAvx512 / UnitAvx2 / UnitBase (below) compile once per instruction set, and
// RunUnits runs the best one the CPU supports, so the binary runs on any x86-64.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "common.h"
#include "fast_math.h"

// 64-byte vector types in always-inline helpers trigger ABI notes that do not apply (nothing with
// a vector type crosses a real call boundary). Only the attention files include this header.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace r1ts {
namespace attn {

constexpr int kBlockQ = 64;  // query rows per block
constexpr int kBlockK = 64;  // keys per block; a multiple of 16 so that padded score rows are whole vectors
constexpr int kPad = 16;     // score rows are padded to a multiple of the widest vector (16 floats)
constexpr int kGroupQ = 4;   // forward: a work unit holds up to kGroupQ blocks of query rows
constexpr int kUnitRows = kBlockQ * kGroupQ;

// ---- instruction sets ------------------------------------------------------------------------
// W: floats per vector; R × NV: the GEMM register tile (R rows × NV vectors), sized so that the
// R·NV accumulators, NV loads of B and one broadcast fit in the register file (32 zmm / 16 ymm / 16 xmm).
struct IsaAvx512 {
  typedef float V __attribute__((vector_size(64)));
  typedef int32_t VI __attribute__((vector_size(64)));
  typedef float VU __attribute__((vector_size(64), aligned(4), may_alias));  // unaligned access
  static constexpr int W = 16, R = 4, NV = 4;
};
struct IsaAvx2 {
  typedef float V __attribute__((vector_size(32)));
  typedef int32_t VI __attribute__((vector_size(32)));
  typedef float VU __attribute__((vector_size(32), aligned(4), may_alias));
  static constexpr int W = 8, R = 4, NV = 3;
};
struct IsaBase {  // SSE2, part of every x86-64
  typedef float V __attribute__((vector_size(16)));
  typedef int32_t VI __attribute__((vector_size(16)));
  typedef float VU __attribute__((vector_size(16), aligned(4), may_alias));
  static constexpr int W = 4, R = 4, NV = 2;
};

template <class I>
R1TS_INLINE typename I::V Load(const float* p) {
  return *reinterpret_cast<const typename I::VU*>(p);
}
template <class I>
R1TS_INLINE void Store(float* p, const typename I::V& x) {
  *reinterpret_cast<typename I::VU*>(p) = x;
}
template <class I>
R1TS_INLINE typename I::V Splat(float x) {
  return typename I::V{} + x;
}
template <class I>
R1TS_INLINE float HorizontalMax(const typename I::V& x) {
  float m = x[0];
#pragma GCC unroll 16
  for (int l = 1; l < I::W; l++) m = m > x[l] ? m : x[l];
  return m;
}
template <class I>
R1TS_INLINE float HorizontalSum(const typename I::V& x) {
  float s = 0;
#pragma GCC unroll 16
  for (int l = 0; l < I::W; l++) s += x[l];
  return s;
}

// exp(x) to about 1 ulp (Cephes expf polynomial), vectorised. Exactly 0 below -87.3 so that hidden
// keys (-Infinity) get probability 0; inputs are clamped at 88 (our arguments are <= ~0 anyway).
template <class I>
R1TS_INLINE typename I::V Exp(const typename I::V& in) {
  using V = typename I::V;
  V x = in;
  using VI = typename I::VI;
  const V lo = Splat<I>(-87.33654f), hi = Splat<I>(88.0f);
  const VI dead = x < lo;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  // n = round(x / ln 2) with the 1.5·2^23 trick: after the add, the low mantissa bits of t hold n.
  const V magic = Splat<I>(12582912.0f);
  const V t = x * 1.44269504088896341f + magic;
  const V n = t - magic;
  V r = x - n * 0.693359375f;  // ln 2 split in two parts (Cody–Waite) for an exact reduction
  r = r - n * -2.12194440e-4f;
  V p = Splat<I>(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const V e = p * (r * r) + r + 1.0f;
  const VI pow2 = (((VI)t - (VI)magic) + 127) << 23;  // 2^n as float bits
  const V y = e * (V)pow2;
  return dead ? V{} : y;
}

// ---- small GEMM ------------------------------------------------------------------------------
// C[M, 0:N] (=, or += when kAcc) Σ_k A(m, k) · B[k, 0:N] with A(m, k) = A[m·rsA + k·csA].
// A is only read one scalar at a time (broadcast), so any layout of A works, a transposed one
// included; B and C rows must be contiguous along N.
//
// Band: row m only sums over k in [lo + pos(m), hi + pos(m)) with pos(m) = (base + m) / div (rows
// may stand for G heads of one query position, hence the divisor). The caller promises A(m, k) = 0
// outside (keys hidden by causality), so the band only saves work, at the granularity of a tile.
struct Band {
  int64_t lo = -(int64_t(1) << 40), hi = int64_t(1) << 40;
  int64_t base = 0, div = 1;
};

template <class I, int R, int NV, bool kAcc>
R1TS_INLINE void MicroTile(int k0, int k1, const float* A, int64_t rsA, int64_t csA, const float* B, int64_t ldb,
                           float* C, int64_t ldc) {
  using V = typename I::V;
  constexpr int W = I::W;
  V acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) acc[r][v] = kAcc ? Load<I>(C + r * ldc + v * W) : V{};
  for (int k = k0; k < k1; k++) {
    const float* b = B + k * ldb;
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) bv[v] = Load<I>(b + v * W);
    const float* a = A + k * csA;
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const float ar = a[r * rsA];
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) acc[r][v] += ar * bv[v];
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) Store<I>(C + r * ldc + v * W, acc[r][v]);
}

// The k range a tile of rows [m, m + rows) needs under `band`, clipped to [0, K).
inline void TileRange(const Band& band, int m, int rows, int K, int& k0, int& k1) {
  const int64_t first = (band.base + m) / band.div, last = (band.base + m + rows - 1) / band.div;
  k0 = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(K, band.lo + first)));
  k1 = static_cast<int>(std::max<int64_t>(k0, std::min<int64_t>(K, band.hi + last)));
}

template <class I, int NV, bool kAcc>
R1TS_INLINE void GemmColumns(int M, int K, const Band& band, const float* A, int64_t rsA, int64_t csA, const float* B,
                             int64_t ldb, float* C, int64_t ldc) {
  int m = 0, k0, k1;
  for (; m + I::R <= M; m += I::R) {
    TileRange(band, m, I::R, K, k0, k1);
    MicroTile<I, I::R, NV, kAcc>(k0, k1, A + m * rsA, rsA, csA, B, ldb, C + m * ldc, ldc);
  }
  for (; m < M; m++) {
    TileRange(band, m, 1, K, k0, k1);
    MicroTile<I, 1, NV, kAcc>(k0, k1, A + m * rsA, rsA, csA, B, ldb, C + m * ldc, ldc);
  }
}

template <class I, bool kAcc>
R1TS_INLINE void Gemm(int M, int N, int K, const float* A, int64_t rsA, int64_t csA, const float* B, int64_t ldb,
                      float* C, int64_t ldc, const Band& band = Band()) {
  constexpr int W = I::W, NV = I::NV;
  int n = 0;
  // Column panels of NV vectors (the B panel, K × NV·W, stays in L1 across the row tiles).
  for (; n + NV * W <= N; n += NV * W) GemmColumns<I, NV, kAcc>(M, K, band, A, rsA, csA, B + n, ldb, C + n, ldc);
  for (; n + W <= N; n += W) GemmColumns<I, 1, kAcc>(M, K, band, A, rsA, csA, B + n, ldb, C + n, ldc);
  if (n == N) return;
  // Leftover columns (a head size that is not a multiple of the vector width).
  for (int m = 0; m < M; m++) {
    int k0, k1;
    TileRange(band, m, 1, K, k0, k1);
    for (int c = n; c < N; c++) {
      float s = kAcc ? C[m * ldc + c] : 0.0f;
      for (int k = k0; k < k1; k++) s += A[m * rsA + k * csA] * B[k * ldb + c];
      C[m * ldc + c] = s;
    }
  }
}

// ---- the problem and its pieces ----------------------------------------------------------------
struct Problem {
  // forward
  float* out = nullptr;
  float* lse = nullptr;
  // backward
  float* gq = nullptr;
  float* gk = nullptr;
  float* gv = nullptr;
  const float* gout = nullptr;
  const float* outIn = nullptr;  // the forward output, read by the backward pass
  const float* lseIn = nullptr;
  float* rowDot = nullptr;  // backward scratch [B, H, Tq]: D_i = rowsum(gout_i ⊙ out_i)
  // both
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t B = 0, H = 0, Hk = 0, G = 1, Tq = 0, Tk = 0, D = 0, Dv = 0;
  // Forward: element strides of k and v over [B, Hk, Tk] (dense unless k/v are views, e.g. a KV cache).
  int64_t kB = 0, kH = 0, kT = 0, vB = 0, vH = 0, vT = 0;
  float scale = 1;
  bool causal = false;
  const float* mask = nullptr;  // already advanced by the mask offset
  int64_t msb = 0, msh = 0, msi = 0, msj = 0;
  int64_t unitRows = 0;  // forward: rows per work unit (see ForwardUnit)
};

// Per-thread scratch, all bounded by the block sizes (never by Tq or Tk).
struct Scratch {
  float* kt;  // K block transposed: D × kBlockK
  float* vt;  // V block transposed: Dv × kBlockK (backward)
  float* s;   // scores, then probabilities: kBlockQ × kBlockK
  float* dp;  // backward: dP, then dS: kBlockQ × kBlockK
  float* qs;  // forward: the unit's q rows (kUnitRows × D)
  float* os;  // forward: the unit's output accumulators (kUnitRows × Dv)
  float* m;   // forward: running row max (kUnitRows)
  float* l;   // forward: running row sum (kUnitRows)
};

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int RoundUpPad(int64_t n) { return static_cast<int>(CeilDiv(n, kPad) * kPad); }

// One butterfly stage of a W×W in-register transpose: for each pair of rows (r, r + d), swaps bit d
// of the row index with bit d of the lane index. After the stages d = 1, 2, 4, … < W, x[r][l] holds
// the old x[l][r].
template <class I, int d>
R1TS_INLINE void TransposeStage(typename I::V* x) {
  using VI = typename I::VI;
  constexpr int W = I::W;
  VI lo, hi;
#pragma GCC unroll 16
  for (int l = 0; l < W; l++) {
    lo[l] = (l & d) ? W + (l ^ d) : l;
    hi[l] = (l & d) ? W + l : (l ^ d);
  }
#pragma GCC unroll 16
  for (int r = 0; r < W; r++) {
    if (r & d) continue;
    const typename I::V a = x[r], b = x[r + d];
    x[r] = __builtin_shuffle(a, b, lo);
    x[r + d] = __builtin_shuffle(a, b, hi);
  }
}

// dst[d·ld + c] = src[c·srcLd + d] for c < n (rows of a K or V block), zero in the padding columns
// [n, ld). Whole W×W tiles are transposed in registers, the edges one element at a time.
template <class I>
R1TS_INLINE void TransposeBlock(const float* src, int n, int64_t dim, int64_t srcLd, float* dst, int ld) {
  constexpr int W = I::W;
  const int nFull = n / W * W;
  const int64_t dimFull = dim / W * W;
  for (int c0 = 0; c0 < nFull; c0 += W) {
    for (int64_t d0 = 0; d0 < dimFull; d0 += W) {
      typename I::V x[W];
#pragma GCC unroll 16
      for (int r = 0; r < W; r++) x[r] = Load<I>(src + (c0 + r) * srcLd + d0);
      TransposeStage<I, 1>(x);
      TransposeStage<I, 2>(x);
      if (W > 4) TransposeStage<I, (W > 4 ? 4 : 1)>(x);
      if (W > 8) TransposeStage<I, (W > 8 ? 8 : 1)>(x);
#pragma GCC unroll 16
      for (int r = 0; r < W; r++) Store<I>(dst + (d0 + r) * ld + c0, x[r]);
    }
    for (int c = c0; c < c0 + W; c++)
      for (int64_t d = dimFull; d < dim; d++) dst[d * ld + c] = src[c * srcLd + d];
  }
  for (int c = nFull; c < n; c++)
    for (int64_t d = 0; d < dim; d++) dst[d * ld + c] = src[c * srcLd + d];
  if (n < ld)
    for (int64_t d = 0; d < dim; d++) std::memset(dst + d * ld + n, 0, (ld - n) * sizeof(float));
}

// Number of the block's keys (starting at key j0, `nk` of them) that query i may see by causality.
inline int VisibleKeys(const Problem& p, int64_t i, int64_t j0, int nk) {
  if (!p.causal) return nk;
  const int64_t last = i + (p.Tk - p.Tq) - j0;  // last visible key, relative to j0
  return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(nk, last + 1)));
}

// Turns the raw products q·k of one row into scores: scale, add the mask, hide keys at and beyond
// `visible` (causality, padding). Returns the row max (-Infinity when every key is hidden).
template <class I>
R1TS_INLINE float PrepareScores(const Problem& p, float* row, int n16, int visible, const float* maskRow) {
  using V = typename I::V;
  const V sc = Splat<I>(p.scale);
  for (int c = 0; c < n16; c += I::W) Store<I>(row + c, Load<I>(row + c) * sc);
  if (maskRow) {
    const int64_t sj = p.msj;
    if (sj == 1) {
      for (int c = 0; c < visible; c++) row[c] += maskRow[c];
    } else {
      for (int c = 0; c < visible; c++) row[c] += maskRow[c * sj];
    }
  }
  for (int c = visible; c < n16; c++) row[c] = kNegInf;
  V mx = Splat<I>(kNegInf);
  for (int c = 0; c < n16; c += I::W) {
    const V x = Load<I>(row + c);
    mx = x > mx ? x : mx;
  }
  return HorizontalMax<I>(mx);
}

// row[c] = exp(row[c] - shift); returns the sum of the new values.
template <class I>
R1TS_INLINE float ExpRow(float* row, int n16, float shift) {
  using V = typename I::V;
  const V sh = Splat<I>(shift);
  V sum{};
  for (int c = 0; c < n16; c += I::W) {
    const V e = Exp<I>(Load<I>(row + c) - sh);
    Store<I>(row + c, e);
    sum += e;
  }
  return HorizontalSum<I>(sum);
}

inline const float* MaskRow(const Problem& p, int64_t b, int64_t h, int64_t i, int64_t j0) {
  return p.mask ? p.mask + b * p.msb + h * p.msh + i * p.msi + j0 * p.msj : nullptr;
}

// First query row that may see key j0 (causality), so that blocks above it can be skipped.
inline int64_t FirstQueryFor(const Problem& p, int64_t j0) {
  return p.causal ? std::max<int64_t>(0, j0 - (p.Tk - p.Tq)) : 0;
}

// Band of a P·V style product under causality: row r (query position i0 + r, or (base + r) / div
// for grouped rows) sees key j0 + k only when k < i + (Tk − Tq) − j0 + 1.
inline Band CausalQueryBand(const Problem& p, int64_t i0, int64_t j0, int64_t base = 0, int64_t div = 1) {
  Band band;
  band.base = base;
  band.div = div;
  if (p.causal) band.hi = i0 + (p.Tk - p.Tq) - j0 + 1;
  return band;
}

// ---- work units and threads (attention_kernels.cc) ---------------------------------------------

// One work unit, compiled for one instruction set.
using UnitFn = void (*)(const Problem&, const Scratch&, int64_t unit);

// Whichever of the three versions the CPU supports best (R1TS_ATTENTION_ISA=avx2|base forces a
// narrower one, to test the fallbacks on an AVX-512 machine).
UnitFn PickIsa(UnitFn avx512, UnitFn avx2, UnitFn base);

// Runs units 0 .. units-1 of fn on up to `workers` threads; each thread takes the next unit from a
// shared counter (units differ in cost under causality) and uses its own scratch.
void RunUnitFn(UnitFn fn, const Problem& p, int64_t units, int workers, std::vector<Scratch>& scratch);

// A kind of work unit is a class with `template <class I> static void Run(p, s, unit)`, always
// inline; these compile it once per instruction set.
template <class Work>
__attribute__((target("avx512f,avx2,fma"))) void UnitAvx512(const Problem& p, const Scratch& s, int64_t unit) {
  Work::template Run<IsaAvx512>(p, s, unit);
}
template <class Work>
__attribute__((target("avx2,fma"))) void UnitAvx2(const Problem& p, const Scratch& s, int64_t unit) {
  Work::template Run<IsaAvx2>(p, s, unit);
}
template <class Work>
void UnitBase(const Problem& p, const Scratch& s, int64_t unit) {
  Work::template Run<IsaBase>(p, s, unit);
}

template <class Work>
void RunUnits(const Problem& p, int64_t units, int workers, std::vector<Scratch>& scratch) {
  static const UnitFn fn = PickIsa(UnitAvx512<Work>, UnitAvx2<Work>, UnitBase<Work>);
  RunUnitFn(fn, p, units, workers, scratch);
}

// Scratch for `workers` threads, 64-byte aligned pieces in one allocation (made on the JS thread, so
// that a failed allocation becomes a JS error rather than an exception in a pool thread).
struct ScratchSet {
  std::unique_ptr<float[]> storage;  // uninitialised: every piece is written before it is read
  std::vector<Scratch> perThread;
  ScratchSet(int workers, int64_t D, int64_t Dv);
};

// Threads worth using: all of them, unless the problem is so small that waking them costs more.
int Workers(const Problem& p, int64_t units);

// The two passes (attention_forward.cc, attention_backward.cc) on a validated problem. They may
// throw std::bad_alloc for their scratch.
void Forward(Problem& p);
void Backward(Problem& p);

}  // namespace attn
}  // namespace r1ts
