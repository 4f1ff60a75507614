// Memory-efficient attention (FlashAttention style) on the CPU: `attention` and `attentionBackward`.
//
// Layouts (dense, row-major): q [B,H,Tq,D], k [B,Hk,Tk,D], v [B,Hk,Tk,Dv], out [B,H,Tq,Dv], lse [B,H,Tq].
// Query head h reads kv head h / (H/Hk). scores = scale·q·kᵀ + mask (optional, strided, 0 strides
// broadcast, -Infinity hides a key); with `causal`, query i sees key j only when j <= i + (Tk - Tq).
//
// Nothing of size Tq×Tk is ever stored: work goes in blocks of kBlockQ queries × kBlockK keys with a
// scratch per thread whose size depends only on the block sizes and D, Dv. The forward pass keeps a
// running max and sum per query row (online softmax) and saves only out and the row log-sum-exp;
// the backward pass recomputes the probabilities of each block from lse.
//
// Threads: the forward pass splits the rows of every kv head into units; in the backward pass a
// thread owns a whole kv head (its gk, gv and the gq of the query heads sharing it), so nothing is
// written by two threads. Units are handed out from a shared counter (causal units differ in cost).
// Blocks entirely above the causal diagonal are skipped, and the products of diagonal blocks skip
// the hidden part tile by tile (see Band).
//
// The block products are small GEMMs done by our own register-tiled kernel (below), written with GCC
// vector extensions and compiled three times (AVX-512, AVX2+FMA, baseline SSE2); the best one the
// CPU supports is chosen at run time, so the binary runs on any x86-64. cblas_sgemm is not used: the
// blocks are small (64×64×64) with row-wise softmax work between the products, and a threaded
// OpenBLAS called from inside our own pool would compete with it for the cores.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common.h"

// 64-byte vector types in always-inline helpers trigger ABI notes that do not apply (nothing with
// a vector type crosses a real call boundary).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace r1ts {
namespace {

constexpr int kBlockQ = 64;  // query rows per block
constexpr int kBlockK = 64;  // keys per block; a multiple of 16 so that padded score rows are whole vectors
constexpr int kPad = 16;     // score rows are padded to a multiple of the widest vector (16 floats)
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

#define R1TS_INLINE inline __attribute__((always_inline))

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

// dst[d·ld + c] = src[c·dim + d] for c < n (rows of a K or V block), zero in the padding columns
// [n, ld). Whole W×W tiles are transposed in registers, the edges one element at a time.
template <class I>
R1TS_INLINE void TransposeBlock(const float* src, int n, int64_t dim, float* dst, int ld) {
  constexpr int W = I::W;
  const int nFull = n / W * W;
  const int64_t dimFull = dim / W * W;
  for (int c0 = 0; c0 < nFull; c0 += W) {
    for (int64_t d0 = 0; d0 < dimFull; d0 += W) {
      typename I::V x[W];
#pragma GCC unroll 16
      for (int r = 0; r < W; r++) x[r] = Load<I>(src + (c0 + r) * dim + d0);
      TransposeStage<I, 1>(x);
      TransposeStage<I, 2>(x);
      if (W > 4) TransposeStage<I, (W > 4 ? 4 : 1)>(x);
      if (W > 8) TransposeStage<I, (W > 8 ? 8 : 1)>(x);
#pragma GCC unroll 16
      for (int r = 0; r < W; r++) Store<I>(dst + (d0 + r) * ld + c0, x[r]);
    }
    for (int c = c0; c < c0 + W; c++)
      for (int64_t d = dimFull; d < dim; d++) dst[d * ld + c] = src[c * dim + d];
  }
  for (int c = nFull; c < n; c++)
    for (int64_t d = 0; d < dim; d++) dst[d * ld + c] = src[c * dim + d];
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

// ---- forward ---------------------------------------------------------------------------------
// The rows of a kv head (b, g) are the G·Tq pairs (query position i, query head h of the group),
// numbered ρ = i·G + (h − g·G), so that the G heads sharing K and V are processed together (decoding,
// Tq = 1, then reads each K and V block once for all of them) and rows of one position stay
// together (causality depends on i only). One unit = p.unitRows rows (up to kGroupQ blocks of
// kBlockQ rows: fewer when that leaves threads idle); key blocks are the outer loop, so each K block
// is transposed once per unit. The unit's q
// rows are gathered into s.qs and its outputs accumulate in s.os; m and l hold each row's running
// max and sum (online softmax).
constexpr int kGroupQ = 4;
constexpr int kUnitRows = kBlockQ * kGroupQ;

// Band of a P·V style product under causality: row r (query position i0 + r, or (base + r) / div
// for grouped rows) sees key j0 + k only when k < i + (Tk − Tq) − j0 + 1.
inline Band CausalQueryBand(const Problem& p, int64_t i0, int64_t j0, int64_t base = 0, int64_t div = 1) {
  Band band;
  band.base = base;
  band.div = div;
  if (p.causal) band.hi = i0 + (p.Tk - p.Tq) - j0 + 1;
  return band;
}

template <class I>
R1TS_INLINE void ForwardUnit(const Problem& p, const Scratch& s, int64_t unit) {
  const int64_t G = p.G, D = p.D, Dv = p.Dv, off = p.Tk - p.Tq;
  const int64_t headRows = G * p.Tq;
  const int64_t nGroups = CeilDiv(headRows, p.unitRows);
  const int64_t bg = unit / nGroups;
  const int64_t group = nGroups - 1 - unit % nGroups;  // the last (heaviest when causal) groups first: better balance
  const int64_t b = bg / p.Hk, g = bg % p.Hk;
  const int64_t rho0 = group * p.unitRows;
  const int gRows = static_cast<int>(std::min<int64_t>(p.unitRows, headRows - rho0));
  const float* k = p.k + (b * p.Hk + g) * p.Tk * D;
  const float* v = p.v + (b * p.Hk + g) * p.Tk * Dv;
  // Row ρ of the kv head is query position ρ / G of head g·G + ρ % G; `QueryRow` is its row in q/out.
  const auto QueryRow = [&](int64_t rho) { return (b * p.H + g * G + rho % G) * p.Tq + rho / G; };

  // With one query head per kv head the unit's rows are contiguous in q and out: use them in place.
  const float* qs = G == 1 ? p.q + QueryRow(rho0) * D : s.qs;
  float* const osBase = G == 1 ? p.out + QueryRow(rho0) * Dv : s.os;
  for (int r = 0; r < gRows; r++) {
    if (G > 1) std::memcpy(s.qs + r * D, p.q + QueryRow(rho0 + r) * D, D * sizeof(float));
    s.m[r] = kNegInf;
    s.l[r] = 0;
  }
  std::memset(osBase, 0, gRows * Dv * sizeof(float));

  // Keys past the last one the unit's last position may see are skipped entirely.
  const int64_t lastPos = (rho0 + gRows - 1) / G;
  const int64_t keyEnd = p.causal ? std::max<int64_t>(0, std::min<int64_t>(p.Tk, lastPos + off + 1)) : p.Tk;
  for (int64_t j0 = 0; j0 < keyEnd; j0 += kBlockK) {
    const int nk = static_cast<int>(std::min<int64_t>(kBlockK, keyEnd - j0));
    const int n16 = RoundUpPad(nk);
    TransposeBlock<I>(k + j0 * D, nk, D, s.kt, n16);
    // Blocks whose rows all come before the first position that sees key j0 are skipped.
    const int firstRow = static_cast<int>(std::min<int64_t>(gRows, std::max<int64_t>(0, FirstQueryFor(p, j0) * G - rho0)));
    for (int r0 = firstRow / kBlockQ * kBlockQ; r0 < gRows; r0 += kBlockQ) {
      const int rows = std::min(kBlockQ, gRows - r0);
      float* os = osBase + r0 * Dv;
      Gemm<I, false>(rows, n16, static_cast<int>(D), qs + r0 * D, D, 1, s.kt, n16, s.s, n16);  // S = Q·Kᵀ
      for (int r = 0; r < rows; r++) {
        float* row = s.s + r * n16;
        const int64_t rho = rho0 + r0 + r, i = rho / G, h = g * G + rho % G;
        const int visible = VisibleKeys(p, i, j0, nk);
        const float mx = visible > 0 ? PrepareScores<I>(p, row, n16, visible, MaskRow(p, b, h, i, j0)) : kNegInf;
        if (mx == kNegInf) {  // nothing visible in this block: the row adds nothing
          std::memset(row, 0, n16 * sizeof(float));
          continue;
        }
        float& m = s.m[r0 + r];
        float& l = s.l[r0 + r];
        const float mNew = std::max(m, mx);
        const float alpha = std::exp(m - mNew);  // rescales what was accumulated under the old max
        const float sum = ExpRow<I>(row, n16, mNew);
        l = l * alpha + sum;
        m = mNew;
        if (alpha != 1.0f) {
          float* o = os + r * Dv;
          for (int64_t d = 0; d < Dv; d++) o[d] *= alpha;
        }
      }
      Gemm<I, true>(rows, static_cast<int>(Dv), nk, s.s, n16, 1, v + j0 * Dv, Dv, os, Dv,
                    CausalQueryBand(p, 0, j0, rho0 + r0, G));  // O += P·V
    }
  }

  for (int r = 0; r < gRows; r++) {
    const int64_t row = QueryRow(rho0 + r);
    float* out = p.out + row * Dv;
    const float* o = osBase + r * Dv;  // may be `out` itself
    if (s.l[r] > 0) {
      const float inv = 1.0f / s.l[r];
      for (int64_t d = 0; d < Dv; d++) out[d] = o[d] * inv;
      p.lse[row] = s.m[r] + std::log(s.l[r]);
    } else {
      std::memset(out, 0, Dv * sizeof(float));
      p.lse[row] = kNegInf;  // no visible key: the out row is 0
    }
  }
}

// ---- backward --------------------------------------------------------------------------------
// One block of queries [i0, i0+rows) of query head h against keys [j0, j0+nk) of its kv head, whose
// transposes are in s.kt and s.vt. Recomputes P from lse, forms dS = P ⊙ (dP − rowsum(dO ⊙ O)) and
// accumulates gq (doQ) and gk, gv (doKV) directly in the outputs, which the caller's thread owns.
template <class I>
R1TS_INLINE void BackwardBlock(const Problem& p, const Scratch& s, int64_t b, int64_t h, int64_t i0, int rows,
                               int64_t j0, int nk, bool doQ, bool doKV) {
  const int64_t D = p.D, Dv = p.Dv, bh = b * p.H + h, kvh = h / p.G;
  const int n16 = RoundUpPad(nk);
  const float* q = p.q + (bh * p.Tq + i0) * D;
  const float* dO = p.gout + (bh * p.Tq + i0) * Dv;
  const float* lse = p.lseIn + bh * p.Tq + i0;
  const float* rowDot = p.rowDot + bh * p.Tq + i0;
  const int64_t kvRow = (b * p.Hk + kvh) * p.Tk + j0;

  Gemm<I, false>(rows, n16, static_cast<int>(D), q, D, 1, s.kt, n16, s.s, n16);     // S = Q·Kᵀ
  Gemm<I, false>(rows, n16, static_cast<int>(Dv), dO, Dv, 1, s.vt, n16, s.dp, n16);  // dP = dO·Vᵀ
  using V = typename I::V;
  for (int r = 0; r < rows; r++) {
    float* srow = s.s + r * n16;
    float* dprow = s.dp + r * n16;
    const int64_t i = i0 + r;
    const int visible = VisibleKeys(p, i, j0, nk);
    const float L = lse[r];
    if (visible == 0 || L == kNegInf) {  // the row saw no key here: P = dS = 0
      std::memset(srow, 0, n16 * sizeof(float));
      std::memset(dprow, 0, n16 * sizeof(float));
      continue;
    }
    PrepareScores<I>(p, srow, n16, visible, MaskRow(p, b, h, i, j0));
    const V vl = Splat<I>(L), vd = Splat<I>(rowDot[r]), vs = Splat<I>(p.scale);
    for (int c = 0; c < n16; c += I::W) {
      const V pr = Exp<I>(Load<I>(srow + c) - vl);
      Store<I>(srow + c, pr);
      Store<I>(dprow + c, pr * (Load<I>(dprow + c) - vd) * vs);  // dS, with the scale of gq and gk folded in
    }
  }
  if (doQ)  // gq_i += scale·dS · K_j
    Gemm<I, true>(rows, static_cast<int>(D), nk, s.dp, n16, 1, p.k + kvRow * D, D, p.gq + (bh * p.Tq + i0) * D, D,
                  CausalQueryBand(p, i0, j0));
  if (doKV) {
    // gk_j += scale·dSᵀ · Q_i and gv_j += Pᵀ · dO_i (A read transposed: rsA = 1, csA = n16)
    // Under causality key c (from j0) is seen by rows r >= c + j0 - (Tk - Tq) - i0 only.
    Band band;
    if (p.causal) band.lo = j0 - (p.Tk - p.Tq) - i0;
    Gemm<I, true>(nk, static_cast<int>(D), rows, s.dp, 1, n16, q, D, p.gk + kvRow * D, D, band);
    Gemm<I, true>(nk, static_cast<int>(Dv), rows, s.s, 1, n16, dO, Dv, p.gv + kvRow * Dv, Dv, band);
  }
}

// Owner of a whole kv head (b, g): computes gk, gv of that head and gq of the query heads sharing it.
template <class I>
R1TS_INLINE void BackwardKvHead(const Problem& p, const Scratch& s, int64_t unit) {
  const int64_t b = unit / p.Hk, g = unit % p.Hk;
  const int64_t D = p.D, Dv = p.Dv, kvRow = (b * p.Hk + g) * p.Tk;
  std::memset(p.gk + kvRow * D, 0, p.Tk * D * sizeof(float));
  std::memset(p.gv + kvRow * Dv, 0, p.Tk * Dv * sizeof(float));
  std::memset(p.gq + (b * p.H + g * p.G) * p.Tq * D, 0, p.G * p.Tq * D * sizeof(float));
  for (int64_t j0 = 0; j0 < p.Tk; j0 += kBlockK) {
    const int nk = static_cast<int>(std::min<int64_t>(kBlockK, p.Tk - j0));
    const int n16 = RoundUpPad(nk);
    TransposeBlock<I>(p.k + (kvRow + j0) * D, nk, D, s.kt, n16);
    TransposeBlock<I>(p.v + (kvRow + j0) * Dv, nk, Dv, s.vt, n16);
    const int64_t iStart = FirstQueryFor(p, j0) / kBlockQ * kBlockQ;
    for (int64_t h = g * p.G; h < (g + 1) * p.G; h++)
      for (int64_t i0 = iStart; i0 < p.Tq; i0 += kBlockQ)
        BackwardBlock<I>(p, s, b, h, i0, static_cast<int>(std::min<int64_t>(kBlockQ, p.Tq - i0)), j0, nk, true, true);
  }
}

// When there are fewer kv heads than threads, the work is split finer in two passes: owners of a
// key block compute its gk, gv; then owners of a query block compute its gq. P and dP get computed
// twice, which costs less than leaving threads idle.
template <class I>
R1TS_INLINE void BackwardKeyBlock(const Problem& p, const Scratch& s, int64_t unit) {
  const int64_t nKB = CeilDiv(p.Tk, kBlockK);
  const int64_t bg = unit / nKB, b = bg / p.Hk, g = bg % p.Hk;
  const int64_t j0 = (unit % nKB) * kBlockK;
  const int nk = static_cast<int>(std::min<int64_t>(kBlockK, p.Tk - j0));
  const int n16 = RoundUpPad(nk);
  const int64_t D = p.D, Dv = p.Dv, kvRow = (b * p.Hk + g) * p.Tk + j0;
  std::memset(p.gk + kvRow * D, 0, nk * D * sizeof(float));
  std::memset(p.gv + kvRow * Dv, 0, nk * Dv * sizeof(float));
  TransposeBlock<I>(p.k + kvRow * D, nk, D, s.kt, n16);
  TransposeBlock<I>(p.v + kvRow * Dv, nk, Dv, s.vt, n16);
  const int64_t iStart = FirstQueryFor(p, j0) / kBlockQ * kBlockQ;
  for (int64_t h = g * p.G; h < (g + 1) * p.G; h++)
    for (int64_t i0 = iStart; i0 < p.Tq; i0 += kBlockQ)
      BackwardBlock<I>(p, s, b, h, i0, static_cast<int>(std::min<int64_t>(kBlockQ, p.Tq - i0)), j0, nk, false, true);
}

template <class I>
R1TS_INLINE void BackwardQueryBlock(const Problem& p, const Scratch& s, int64_t unit) {
  const int64_t nQB = CeilDiv(p.Tq, kBlockQ);
  const int64_t bh = unit / nQB, b = bh / p.H, h = bh % p.H, kvh = h / p.G;
  const int64_t i0 = (nQB - 1 - unit % nQB) * kBlockQ;  // heaviest first
  const int rows = static_cast<int>(std::min<int64_t>(kBlockQ, p.Tq - i0));
  const int64_t D = p.D, Dv = p.Dv, kvRow = (b * p.Hk + kvh) * p.Tk;
  std::memset(p.gq + (bh * p.Tq + i0) * D, 0, rows * D * sizeof(float));
  const int64_t keyEnd = p.causal ? std::max<int64_t>(0, std::min<int64_t>(p.Tk, i0 + rows + p.Tk - p.Tq)) : p.Tk;
  for (int64_t j0 = 0; j0 < keyEnd; j0 += kBlockK) {
    const int nk = static_cast<int>(std::min<int64_t>(kBlockK, keyEnd - j0));
    const int n16 = RoundUpPad(nk);
    TransposeBlock<I>(p.k + (kvRow + j0) * D, nk, D, s.kt, n16);
    TransposeBlock<I>(p.v + (kvRow + j0) * Dv, nk, Dv, s.vt, n16);
    BackwardBlock<I>(p, s, b, h, i0, rows, j0, nk, true, false);
  }
}

// D_i = rowsum(gout_i ⊙ out_i) for the kRowDotChunk rows of unit u, computed once before the main
// backward pass (every key block of row i needs it).
constexpr int64_t kRowDotChunk = 256;
template <class I>
R1TS_INLINE void RowDotUnit(const Problem& p, int64_t unit) {
  const int64_t rows = p.B * p.H * p.Tq, r0 = unit * kRowDotChunk, r1 = std::min(rows, r0 + kRowDotChunk);
  for (int64_t r = r0; r < r1; r++) {
    const float* g = p.gout + r * p.Dv;
    const float* o = p.outIn + r * p.Dv;
    float sum = 0;
    for (int64_t d = 0; d < p.Dv; d++) sum += g[d] * o[d];
    p.rowDot[r] = sum;
  }
}

// ---- instruction-set dispatch ----------------------------------------------------------------
enum class Work { kForward, kRowDot, kBackwardKvHead, kBackwardKeyBlock, kBackwardQueryBlock };

template <class I>
R1TS_INLINE void RunUnit(Work w, const Problem& p, const Scratch& s, int64_t unit) {
  switch (w) {
    case Work::kForward: ForwardUnit<I>(p, s, unit); break;
    case Work::kRowDot: RowDotUnit<I>(p, unit); break;
    case Work::kBackwardKvHead: BackwardKvHead<I>(p, s, unit); break;
    case Work::kBackwardKeyBlock: BackwardKeyBlock<I>(p, s, unit); break;
    case Work::kBackwardQueryBlock: BackwardQueryBlock<I>(p, s, unit); break;
  }
}

__attribute__((target("avx512f,avx2,fma"))) void RunUnitAvx512(Work w, const Problem& p, const Scratch& s, int64_t u) {
  RunUnit<IsaAvx512>(w, p, s, u);
}
__attribute__((target("avx2,fma"))) void RunUnitAvx2(Work w, const Problem& p, const Scratch& s, int64_t u) {
  RunUnit<IsaAvx2>(w, p, s, u);
}
void RunUnitBase(Work w, const Problem& p, const Scratch& s, int64_t u) { RunUnit<IsaBase>(w, p, s, u); }

using UnitFn = void (*)(Work, const Problem&, const Scratch&, int64_t);

UnitFn SelectUnitFn() {
  // R1TS_ATTENTION_ISA=avx2|base forces a narrower path (to test the fallbacks on an AVX-512 machine).
  const char* force = std::getenv("R1TS_ATTENTION_ISA");
  const std::string f = force ? force : "";
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (f.empty() && avx2 && __builtin_cpu_supports("avx512f")) return RunUnitAvx512;
  if ((f.empty() || f == "avx2") && avx2) return RunUnitAvx2;
  return RunUnitBase;
}

UnitFn GetUnitFn() {
  static const UnitFn fn = SelectUnitFn();
  return fn;
}

// Runs `units` work units on up to `workers` threads; each thread takes the next unit from a shared
// counter (units differ in cost under causality) and uses its own scratch.
void RunUnits(Work w, const Problem& p, int64_t units, int workers, std::vector<Scratch>& scratch) {
  if (units <= 0) return;
  const UnitFn fn = GetUnitFn();
  std::atomic<int64_t> next{0};
  ParallelFor(workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++)
      for (int64_t u = next.fetch_add(1, std::memory_order_relaxed); u < units;
           u = next.fetch_add(1, std::memory_order_relaxed))
        fn(w, p, scratch[t], u);
  });
}

// Scratch for `workers` threads, 64-byte aligned pieces in one allocation (made on the JS thread, so
// that a failed allocation becomes a JS error rather than an exception in a pool thread).
struct ScratchSet {
  std::unique_ptr<float[]> storage;  // uninitialised: every piece is written before it is read
  std::vector<Scratch> perThread;
  ScratchSet(int workers, int64_t D, int64_t Dv) {
    const auto round = [](int64_t n) { return CeilDiv(n, 16) * 16; };  // keeps every piece 64-byte aligned
    const int64_t kt = round(D * kBlockK), vt = round(Dv * kBlockK), blk = round(kBlockQ * kBlockK);
    const int64_t qs = round(kUnitRows * D), os = round(kUnitRows * Dv), rowv = round(kUnitRows);
    const int64_t per = kt + vt + 2 * blk + qs + os + 2 * rowv;
    storage.reset(new float[per * workers + 16]);
    float* base = storage.get();
    base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
    for (int t = 0; t < workers; t++) {
      Scratch s;
      s.kt = base + per * t;
      s.vt = s.kt + kt;
      s.s = s.vt + vt;
      s.dp = s.s + blk;
      s.qs = s.dp + blk;
      s.os = s.qs + qs;
      s.m = s.os + os;
      s.l = s.m + rowv;
      perThread.push_back(s);
    }
  }
};

// Threads worth using: all of them, unless the problem is so small that waking them costs more.
int Workers(const Problem& p, int64_t units) {
  const double flops = static_cast<double>(p.B) * p.H * p.Tq * p.Tk * (p.D + p.Dv);
  if (flops < 2e5) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(NumThreads(), units)));
}

// ---- argument checking -----------------------------------------------------------------------
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* kernel, const char* name, int64_t lo,
               int64_t hi) {
  const Napi::Value v = info[index];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(kernel) + ": " + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi) && d == std::floor(d))) {
    throw Napi::RangeError::New(info.Env(), std::string(kernel) + ": " + name + " must be an integer in [" +
                                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

std::string Shape(std::initializer_list<std::pair<const char*, int64_t>> dims) {
  std::string s = "[";
  for (const auto& d : dims) s += (s.size() > 1 ? ", " : "") + std::string(d.first) + "=" + std::to_string(d.second);
  return s + "]";
}

// A Float32Array argument holding at least the product of `dims` elements.
float* TensorArg(const Napi::CallbackInfo& info, size_t index, const char* kernel, const char* name,
                 std::initializer_list<std::pair<const char*, int64_t>> dims) {
  const std::string what = std::string(kernel) + ": " + name;
  float* data = F32(info[index], what.c_str());
  int64_t need = 1;
  for (const auto& d : dims) {
    if (__builtin_mul_overflow(need, d.second, &need)) {
      throw Napi::RangeError::New(info.Env(), what + " " + Shape(dims) + " is too large");
    }
  }
  const size_t have = Length(info[index]);
  if (static_cast<uint64_t>(need) > have) {
    throw Napi::RangeError::New(info.Env(), what + " " + Shape(dims) + " needs " + std::to_string(need) +
                                                " elements but the Float32Array has " + std::to_string(have));
  }
  return data;
}

// Reads the shared tail (B, H, Hk, Tq, Tk, D, Dv, scale, causal, maskData, maskOffset, maskStrides)
// starting at argument `t`.
void ParseTail(const Napi::CallbackInfo& info, size_t t, const char* kernel, Problem& p) {
  const Napi::Env env = info.Env();
  if (info.Length() < t + 12) {
    throw Napi::TypeError::New(env, std::string(kernel) + ": expected " + std::to_string(t + 12) +
                                        " arguments, got " + std::to_string(info.Length()));
  }
  constexpr int64_t kMaxDim = 0x7fffffff;  // block arithmetic uses int for sizes within a head
  p.B = IntArg(info, t + 0, kernel, "B", 0, kMaxDim);
  p.H = IntArg(info, t + 1, kernel, "H", 1, kMaxDim);
  p.Hk = IntArg(info, t + 2, kernel, "Hk", 1, kMaxDim);
  p.Tq = IntArg(info, t + 3, kernel, "Tq", 0, kMaxDim);
  p.Tk = IntArg(info, t + 4, kernel, "Tk", 0, kMaxDim);
  p.D = IntArg(info, t + 5, kernel, "D", 1, kMaxDim);
  p.Dv = IntArg(info, t + 6, kernel, "Dv", 1, kMaxDim);
  if (p.H % p.Hk != 0) {
    throw Napi::RangeError::New(env, std::string(kernel) + ": H=" + std::to_string(p.H) +
                                         " must be a multiple of Hk=" + std::to_string(p.Hk));
  }
  p.G = p.H / p.Hk;
  if (!info[t + 7].IsNumber()) throw Napi::TypeError::New(env, std::string(kernel) + ": scale must be a number");
  p.scale = static_cast<float>(info[t + 7].As<Napi::Number>().DoubleValue());
  if (!info[t + 8].IsBoolean()) throw Napi::TypeError::New(env, std::string(kernel) + ": causal must be a boolean");
  p.causal = info[t + 8].As<Napi::Boolean>().Value();

  const Napi::Value maskData = info[t + 9];
  if (maskData.IsNull() || maskData.IsUndefined()) return;
  const std::string what = std::string(kernel) + ": mask";
  const float* mask = F32(maskData, what.c_str());
  const int64_t off = IntArg(info, t + 10, kernel, "maskOffset", 0, int64_t(1) << 53);
  const Napi::Value sv = info[t + 11];
  if (!sv.IsArray() || sv.As<Napi::Array>().Length() != 4) {
    throw Napi::TypeError::New(env, what + ": maskStrides must be an array of 4 numbers (for [B, H, Tq, Tk])");
  }
  int64_t st[4];
  const int64_t dims[4] = {p.B, p.H, p.Tq, p.Tk};
  // Every element the kernel may read, offset + Σ i_k·stride_k with 0 <= i_k < dims_k, must lie in the array.
  __int128 lo = off, hi = off;
  for (uint32_t d = 0; d < 4; d++) {
    const Napi::Value x = sv.As<Napi::Array>().Get(d);
    const double v = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : std::nan("");
    if (!(std::fabs(v) <= 9007199254740992.0 && v == std::floor(v))) {
      throw Napi::TypeError::New(env, what + ": maskStrides must be integers");
    }
    st[d] = static_cast<int64_t>(v);
    const __int128 span = static_cast<__int128>(st[d]) * (dims[d] > 0 ? dims[d] - 1 : 0);
    (span < 0 ? lo : hi) += span;
  }
  const bool empty = p.B == 0 || p.Tq == 0 || p.Tk == 0;
  const size_t len = Length(maskData);
  if (!empty && (lo < 0 || hi >= static_cast<__int128>(len))) {
    throw Napi::RangeError::New(env, what + " with offset " + std::to_string(off) + " and strides [" +
                                         std::to_string(st[0]) + ", " + std::to_string(st[1]) + ", " +
                                         std::to_string(st[2]) + ", " + std::to_string(st[3]) + "] over " +
                                         Shape({{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Tk", p.Tk}}) +
                                         " reads outside its Float32Array of " + std::to_string(len) + " elements");
  }
  if (!empty) p.mask = mask + off;
  p.msb = st[0];
  p.msh = st[1];
  p.msi = st[2];
  p.msj = st[3];
}

// attention(out, lse, q, k, v, B, H, Hk, Tq, Tk, D, Dv, scale, causal, maskData, maskOffset, maskStrides)
void Attention(const Napi::CallbackInfo& info) {
  const char* K = "attention";
  Problem p;
  ParseTail(info, 5, K, p);
  p.out = TensorArg(info, 0, K, "out", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.lse = TensorArg(info, 1, K, "lse", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}});
  p.q = TensorArg(info, 2, K, "q", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.k = TensorArg(info, 3, K, "k", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"D", p.D}});
  p.v = TensorArg(info, 4, K, "v", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"Dv", p.Dv}});
  if (p.B == 0 || p.Tq == 0) return;
  // Big units share each transposed K block among more rows; smaller ones keep every thread busy.
  p.unitRows = kBlockQ * kGroupQ;
  const auto Units = [&] { return p.B * p.Hk * CeilDiv(p.G * p.Tq, p.unitRows); };
  while (p.unitRows > kBlockQ && Units() < 2 * NumThreads()) p.unitRows /= 2;
  const int64_t units = Units();
  const int workers = Workers(p, units);
  try {
    ScratchSet scratch(workers, p.D, p.Dv);
    RunUnits(Work::kForward, p, units, workers, scratch.perThread);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "attention: out of memory for the per-thread scratch");
  }
}

// attentionBackward(gq, gk, gv, gout, q, k, v, out, lse, B, H, Hk, Tq, Tk, D, Dv, scale, causal,
//                   maskData, maskOffset, maskStrides)
void AttentionBackward(const Napi::CallbackInfo& info) {
  const char* K = "attentionBackward";
  Problem p;
  ParseTail(info, 9, K, p);
  p.gq = TensorArg(info, 0, K, "gq", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.gk = TensorArg(info, 1, K, "gk", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"D", p.D}});
  p.gv = TensorArg(info, 2, K, "gv", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"Dv", p.Dv}});
  p.gout = TensorArg(info, 3, K, "gout", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.q = TensorArg(info, 4, K, "q", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.k = TensorArg(info, 5, K, "k", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"D", p.D}});
  p.v = TensorArg(info, 6, K, "v", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"Dv", p.Dv}});
  p.outIn = TensorArg(info, 7, K, "out", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.lseIn = TensorArg(info, 8, K, "lse", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}});
  if (p.B == 0) return;
  if (p.Tq == 0 || p.Tk == 0) {  // no query–key pair: every gradient is 0 (and one of them is empty)
    if (p.Tq > 0) std::memset(p.gq, 0, p.B * p.H * p.Tq * p.D * sizeof(float));
    if (p.Tk > 0) std::memset(p.gk, 0, p.B * p.Hk * p.Tk * p.D * sizeof(float));
    if (p.Tk > 0) std::memset(p.gv, 0, p.B * p.Hk * p.Tk * p.Dv * sizeof(float));
    return;
  }
  try {
    std::unique_ptr<float[]> rowDot(new float[p.B * p.H * p.Tq]);
    p.rowDot = rowDot.get();
    const int64_t rowChunks = CeilDiv(p.B * p.H * p.Tq, kRowDotChunk);
    {
      std::vector<Scratch> none(NumThreads());
      RunUnits(Work::kRowDot, p, rowChunks, p.B * p.H * p.Tq * p.Dv < 200000 ? 1 : NumThreads(), none);
    }
    const int64_t kvHeads = p.B * p.Hk;
    const int64_t nKB = CeilDiv(p.Tk, kBlockK), nQB = CeilDiv(p.Tq, kBlockQ);
    const int threads = Workers(p, std::max(kvHeads, std::max(kvHeads * nKB, p.B * p.H * nQB)));
    if (kvHeads >= threads || (nKB == 1 && nQB == 1)) {
      const int workers = static_cast<int>(std::min<int64_t>(threads, kvHeads));
      ScratchSet scratch(workers, p.D, p.Dv);
      RunUnits(Work::kBackwardKvHead, p, kvHeads, workers, scratch.perThread);
    } else {
      ScratchSet scratch(threads, p.D, p.Dv);
      RunUnits(Work::kBackwardKeyBlock, p, kvHeads * nKB, std::min<int64_t>(threads, kvHeads * nKB), scratch.perThread);
      RunUnits(Work::kBackwardQueryBlock, p, p.B * p.H * nQB, std::min<int64_t>(threads, p.B * p.H * nQB),
               scratch.perThread);
    }
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "attentionBackward: out of memory for the per-thread scratch");
  }
}

}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, Attention, "attention"));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward, "attentionBackward"));
}

}  // namespace r1ts
