// The backward pass of attention: gq, gk, gv from gout, recomputing the probabilities of each block
// from the saved row log-sum-exp (see attention.cc for the layouts and the overview).
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "attention_kernels.h"

namespace r1ts {
namespace attn {
namespace {

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

// Key block [j0, j0+nk) of kv head (b, g) against every query block, of the G query heads sharing the
// head, that may see it: accumulates the block's gk, gv and, when doQ, the gq of those queries.
template <class I>
R1TS_INLINE void BackwardKeyBlockRows(const Problem& p, const Scratch& s, int64_t b, int64_t g, int64_t j0, int nk,
                                      bool doQ) {
  const int n16 = RoundUpPad(nk);
  const int64_t D = p.D, Dv = p.Dv, kvRow = (b * p.Hk + g) * p.Tk + j0;
  TransposeBlock<I>(p.k + kvRow * D, nk, D, D, s.kt, n16);
  TransposeBlock<I>(p.v + kvRow * Dv, nk, Dv, Dv, s.vt, n16);
  const int64_t iStart = FirstQueryFor(p, j0) / kBlockQ * kBlockQ;
  for (int64_t h = g * p.G; h < (g + 1) * p.G; h++)
    for (int64_t i0 = iStart; i0 < p.Tq; i0 += kBlockQ)
      BackwardBlock<I>(p, s, b, h, i0, static_cast<int>(std::min<int64_t>(kBlockQ, p.Tq - i0)), j0, nk, doQ, true);
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
    BackwardKeyBlockRows<I>(p, s, b, g, j0, static_cast<int>(std::min<int64_t>(kBlockK, p.Tk - j0)), true);
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
  const int64_t D = p.D, Dv = p.Dv, kvRow = (b * p.Hk + g) * p.Tk + j0;
  std::memset(p.gk + kvRow * D, 0, nk * D * sizeof(float));
  std::memset(p.gv + kvRow * Dv, 0, nk * Dv * sizeof(float));
  BackwardKeyBlockRows<I>(p, s, b, g, j0, nk, false);
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
    TransposeBlock<I>(p.k + (kvRow + j0) * D, nk, D, D, s.kt, n16);
    TransposeBlock<I>(p.v + (kvRow + j0) * Dv, nk, Dv, Dv, s.vt, n16);
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

// The kinds of work unit of the backward pass.
struct RowDotWork {
  template <class I>
  static R1TS_INLINE void Run(const Problem& p, const Scratch&, int64_t unit) {
    RowDotUnit<I>(p, unit);
  }
};
struct KvHeadWork {
  template <class I>
  static R1TS_INLINE void Run(const Problem& p, const Scratch& s, int64_t unit) {
    BackwardKvHead<I>(p, s, unit);
  }
};
struct KeyBlockWork {
  template <class I>
  static R1TS_INLINE void Run(const Problem& p, const Scratch& s, int64_t unit) {
    BackwardKeyBlock<I>(p, s, unit);
  }
};
struct QueryBlockWork {
  template <class I>
  static R1TS_INLINE void Run(const Problem& p, const Scratch& s, int64_t unit) {
    BackwardQueryBlock<I>(p, s, unit);
  }
};

}  // namespace

void Backward(Problem& p) {
  if (p.B == 0) return;
  if (p.Tq == 0 || p.Tk == 0) {  // no query–key pair: every gradient is 0 (and one of them is empty)
    if (p.Tq > 0) std::memset(p.gq, 0, p.B * p.H * p.Tq * p.D * sizeof(float));
    if (p.Tk > 0) std::memset(p.gk, 0, p.B * p.Hk * p.Tk * p.D * sizeof(float));
    if (p.Tk > 0) std::memset(p.gv, 0, p.B * p.Hk * p.Tk * p.Dv * sizeof(float));
    return;
  }
  std::unique_ptr<float[]> rowDot(new float[p.B * p.H * p.Tq]);
  p.rowDot = rowDot.get();
  const int64_t rowChunks = CeilDiv(p.B * p.H * p.Tq, kRowDotChunk);
  {
    std::vector<Scratch> none(NumThreads());
    RunUnits<RowDotWork>(p, rowChunks, p.B * p.H * p.Tq * p.Dv < 200000 ? 1 : NumThreads(), none);
  }
  const int64_t kvHeads = p.B * p.Hk;
  const int64_t nKB = CeilDiv(p.Tk, kBlockK), nQB = CeilDiv(p.Tq, kBlockQ);
  const int threads = Workers(p, std::max(kvHeads, std::max(kvHeads * nKB, p.B * p.H * nQB)));
  if (kvHeads >= threads || (nKB == 1 && nQB == 1)) {
    const int workers = static_cast<int>(std::min<int64_t>(threads, kvHeads));
    ScratchSet scratch(workers, p.D, p.Dv);
    RunUnits<KvHeadWork>(p, kvHeads, workers, scratch.perThread);
  } else {
    ScratchSet scratch(threads, p.D, p.Dv);
    RunUnits<KeyBlockWork>(p, kvHeads * nKB, std::min<int64_t>(threads, kvHeads * nKB), scratch.perThread);
    RunUnits<QueryBlockWork>(p, p.B * p.H * nQB, std::min<int64_t>(threads, p.B * p.H * nQB), scratch.perThread);
  }
}

}  // namespace attn
}  // namespace r1ts
