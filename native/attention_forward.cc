// The forward pass of attention: out = softmax(scale·q·kᵀ + mask)·v and the row log-sum-exp, with
// an online softmax over blocks of keys (see attention.cc for the layouts and the overview).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "attention_kernels.h"

namespace r1ts {
namespace attn {
namespace {

// The rows of a kv head (b, g) are the G·Tq pairs (query position i, query head h of the group),
// numbered ρ = i·G + (h − g·G), so that the G heads sharing K and V are processed together (decoding,
// Tq = 1, then reads each K and V block once for all of them) and rows of one position stay
// together (causality depends on i only). One unit = p.unitRows rows (up to kGroupQ blocks of
// kBlockQ rows: fewer when that leaves threads idle); key blocks are the outer loop, so each K block
// is transposed once per unit. The unit's q
// rows are gathered into s.qs and its outputs accumulate in s.os; m and l hold each row's running
// max and sum (online softmax).
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
  const float* k = p.k + b * p.kB + g * p.kH;
  const float* v = p.v + b * p.vB + g * p.vH;
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
    TransposeBlock<I>(k + j0 * p.kT, nk, D, p.kT, s.kt, n16);
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
      Gemm<I, true>(rows, static_cast<int>(Dv), nk, s.s, n16, 1, v + j0 * p.vT, p.vT, os, Dv,
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

struct ForwardWork {
  template <class I>
  static R1TS_INLINE void Run(const Problem& p, const Scratch& s, int64_t unit) {
    ForwardUnit<I>(p, s, unit);
  }
};

}  // namespace

void Forward(Problem& p) {
  if (p.B == 0 || p.Tq == 0) return;
  // Big units share each transposed K block among more rows; smaller ones keep every thread busy.
  p.unitRows = kUnitRows;
  const auto Units = [&] { return p.B * p.Hk * CeilDiv(p.G * p.Tq, p.unitRows); };
  while (p.unitRows > kBlockQ && Units() < 2 * NumThreads()) p.unitRows /= 2;
  const int64_t units = Units();
  const int workers = Workers(p, units);
  ScratchSet scratch(workers, p.D, p.Dv);
  RunUnits<ForwardWork>(p, units, workers, scratch.perThread);
}

}  // namespace attn
}  // namespace r1ts
