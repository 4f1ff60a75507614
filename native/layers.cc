// Fused layers: rmsnorm(+Backward), swiglu(+Backward), rope. See kernels.ts for the contract.
//
// Row statistics are accumulated in double lanes (LaneSum, SumSquaresRow: vectorizable without
// reassociation); the per-element math is float. sigmoid uses FastExp (fast_math.h) because libm's expf
// does not vectorize.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "fast_math.h"
#include "kernel_util.h"

namespace r1ts {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk of parallel work

// ---- rmsnorm -----------------------------------------------------------------------------------

// Σ gy·w·x of one row, the coupling term of the rmsnorm gradient.
R1TS_CLONES double DotRow3(const float* a, const float* b, const float* c, int64_t n) {
  return LaneSum(n, [=](int64_t i) { return static_cast<double>(a[i] * b[i]) * c[i]; });
}

R1TS_CLONES void NormRow(float* __restrict out, const float* __restrict x, const float* __restrict w, int64_t n,
                         float r) {
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * r * w[i];
}

// gx = r·w·gy − c·x with c = r³·Σ(gy·w·x)/n.
R1TS_CLONES void NormBackwardRow(float* __restrict gx, const float* __restrict gy, const float* __restrict x,
                                 const float* __restrict w, int64_t n, float r, float c) {
  for (int64_t i = 0; i < n; i++) gx[i] = r * w[i] * gy[i] - c * x[i];
}

// gw[i0 .. i0+w) += Σ_rows gy·x·rstd, accumulated in double over the rows.
R1TS_CLONES void NormWeightGrad(float* __restrict gw, const float* __restrict gy, const float* __restrict x,
                                const float* __restrict rstd, int64_t rows, int64_t n, int64_t w) {
  double acc[256];
  for (int64_t i = 0; i < w; i++) acc[i] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* g = gy + r * n;
    const float* xr = x + r * n;
    float s = rstd[r];
    for (int64_t i = 0; i < w; i++) acc[i] += static_cast<double>(g[i] * xr[i] * s);
  }
  for (int64_t i = 0; i < w; i++) gw[i] = static_cast<float>(gw[i] + acc[i]);
}

// rmsnorm(out, rstd, x, w, rows, n, eps)
Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "rmsnorm");
  Napi::Env env = info.Env();
  int64_t rows = Size(info[4], "rmsnorm: rows"), n = Size(info[5], "rmsnorm: n");
  double eps = Num(info[6], "rmsnorm: eps");
  int64_t total = Mul(env, rows, n, "rmsnorm");
  float* out = F32(info[0], total, "rmsnorm: out");
  float* rstd = F32(info[1], rows, "rmsnorm: rstd");
  const float* x = F32(info[2], total, "rmsnorm: x");
  const float* w = F32(info[3], n, "rmsnorm: w");
  Parallel(rows, RowGrain(kGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * n;
      float s = static_cast<float>(1.0 / std::sqrt(SumSquaresRow(xr, n) / static_cast<double>(n) + eps));
      rstd[r] = s;
      NormRow(out + r * n, xr, w, n, s);
    }
  });
  return env.Undefined();
}

// rmsnormBackward(gx, gw, gy, x, w, rstd, rows, n): gx overwritten, gw accumulates.
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 8, "rmsnormBackward");
  Napi::Env env = info.Env();
  int64_t rows = Size(info[6], "rmsnormBackward: rows"), n = Size(info[7], "rmsnormBackward: n");
  int64_t total = Mul(env, rows, n, "rmsnormBackward");
  float* gx = F32(info[0], total, "rmsnormBackward: gx");
  float* gw = F32(info[1], n, "rmsnormBackward: gw");
  const float* gy = F32(info[2], total, "rmsnormBackward: gy");
  const float* x = F32(info[3], total, "rmsnormBackward: x");
  const float* w = F32(info[4], n, "rmsnormBackward: w");
  const float* rstd = F32(info[5], rows, "rmsnormBackward: rstd");
  // gw first, parallel over column tiles (no two threads share a gw entry, and the result does not
  // depend on the thread count); then gx by rows. This order also keeps gx === gy in place correct.
  constexpr int64_t kTile = 256;
  int64_t tiles = (n + kTile - 1) / kTile;
  Parallel(tiles, RowGrain(kGrain, rows * kTile), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      int64_t i0 = t * kTile;
      NormWeightGrad(gw + i0, gy + i0, x + i0, rstd, rows, n, std::min(kTile, n - i0));
    }
  });
  Parallel(rows, RowGrain(kGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* gr = gy + r * n;
      const float* xr = x + r * n;
      double s = rstd[r];
      float c = static_cast<float>(s * s * s * DotRow3(gr, w, xr, n) / static_cast<double>(n));
      NormBackwardRow(gx + r * n, gr, xr, w, n, static_cast<float>(s), c);
    }
  });
  return env.Undefined();
}

// ---- swiglu ------------------------------------------------------------------------------------

R1TS_CLONES void SwigluLoop(float* __restrict out, const float* __restrict gate, const float* __restrict up,
                            int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = gate[i] * Sigmoid(gate[i]) * up[i];
}

// d/dg silu(g) = s·(1 + g·(1 − s)) with s = sigmoid(g).
R1TS_CLONES void SwigluBackwardLoop(float* __restrict ggate, float* __restrict gup, const float* __restrict gy,
                                    const float* __restrict gate, const float* __restrict up, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float g = gate[i], s = Sigmoid(g), dy = gy[i];
    gup[i] = dy * g * s;
    ggate[i] = dy * up[i] * s * (1.f + g * (1.f - s));
  }
}

// swiglu(out, gate, up, n)
Napi::Value Swiglu(const Napi::CallbackInfo& info) {
  NeedArgs(info, 4, "swiglu");
  int64_t n = Size(info[3], "swiglu: n");
  float* out = F32(info[0], n, "swiglu: out");
  const float* gate = F32(info[1], n, "swiglu: gate");
  const float* up = F32(info[2], n, "swiglu: up");
  Parallel(n, kGrain / 2, [&](int64_t lo, int64_t hi) { SwigluLoop(out + lo, gate + lo, up + lo, hi - lo); });
  return info.Env().Undefined();
}

// swigluBackward(ggate, gup, gy, gate, up, n): both gradients overwritten.
Napi::Value SwigluBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 6, "swigluBackward");
  int64_t n = Size(info[5], "swigluBackward: n");
  float* ggate = F32(info[0], n, "swigluBackward: ggate");
  float* gup = F32(info[1], n, "swigluBackward: gup");
  const float* gy = F32(info[2], n, "swigluBackward: gy");
  const float* gate = F32(info[3], n, "swigluBackward: gate");
  const float* up = F32(info[4], n, "swigluBackward: up");
  Parallel(n, kGrain / 2, [&](int64_t lo, int64_t hi) {
    SwigluBackwardLoop(ggate + lo, gup + lo, gy + lo, gate + lo, up + lo, hi - lo);
  });
  return info.Env().Undefined();
}

// ---- rope --------------------------------------------------------------------------------------

// One head row of D = 2·half values, rotated by sign·θ. out may equal x (see Rope).
R1TS_CLONES void RopeRow(float* __restrict out, const float* __restrict x, const float* __restrict c,
                         const float* __restrict sn, int64_t half, float sign, bool interleaved) {
  if (interleaved) {
    for (int64_t i = 0; i < half; i++) {
      float x0 = x[2 * i], x1 = x[2 * i + 1], s = sign * sn[i];
      out[2 * i] = x0 * c[i] - x1 * s;
      out[2 * i + 1] = x0 * s + x1 * c[i];
    }
  } else {
    for (int64_t i = 0; i < half; i++) {
      float x0 = x[i], x1 = x[i + half], s = sign * sn[i];
      out[i] = x0 * c[i] - x1 * s;
      out[i + half] = x0 * s + x1 * c[i];
    }
  }
}

// rope(out, x, cos, sin, pos, S, H, D, interleaved, inverse)
Napi::Value Rope(const Napi::CallbackInfo& info) {
  NeedArgs(info, 10, "rope");
  Napi::Env env = info.Env();
  int64_t S = Size(info[5], "rope: S"), H = Size(info[6], "rope: H"), D = Size(info[7], "rope: D");
  if (!info[8].IsBoolean() || !info[9].IsBoolean()) {
    throw Napi::TypeError::New(env, "rope: interleaved and inverse must be booleans");
  }
  bool interleaved = Bool(info[8]), inverse = Bool(info[9]);
  if (D % 2 != 0) RangeFail(env, "rope: D must be even, got " + std::to_string(D));
  int64_t rows = Mul(env, S, H, "rope"), total = Mul(env, rows, D, "rope"), half = D / 2;
  float* out = F32(info[0], total, "rope: out");
  const float* x = F32(info[1], total, "rope: x");
  const float* cosT = F32(info[2], "rope: cos");
  const float* sinT = F32(info[3], "rope: sin");
  const int32_t* pos = I32(info[4], S, "rope: pos");
  if (rows == 0 || half == 0) return env.Undefined();
  // The number of positions P comes from the cos table; sin must be as long.
  int64_t P = static_cast<int64_t>(Length(info[2])) / half;
  CheckLength(info[3], P * half, "rope: sin");
  for (int64_t s = 0; s < S; s++) {
    if (pos[s] < 0 || pos[s] >= P) {
      RangeFail(env, "rope: position " + std::to_string(pos[s]) + " at row " + std::to_string(s) +
                         " is outside the table of " + std::to_string(P) + " positions");
    }
  }
  const float sign = inverse ? -1.f : 1.f;
  // out may be x itself: every iteration of RopeRow loads its pair before storing it and no two
  // iterations touch the same element, so in place is exact. A partial overlap is not, so it is refused.
  auto o0 = reinterpret_cast<uintptr_t>(out), x0 = reinterpret_cast<uintptr_t>(x);
  if (out != x && o0 < x0 + total * sizeof(float) && x0 < o0 + total * sizeof(float)) {
    RangeFail(env, "rope: out and x overlap without being the same array");
  }
  Parallel(rows, RowGrain(kGrain, D), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      int64_t p = pos[r / H];
      RopeRow(out + r * D, x + r * D, cosT + p * half, sinT + p * half, half, sign, interleaved);
    }
  });
  return env.Undefined();
}

}  // namespace

void InitLayers(Napi::Env env, Napi::Object exports) {
  exports.Set("rmsnorm", Napi::Function::New(env, RmsNorm, "rmsnorm"));
  exports.Set("rmsnormBackward", Napi::Function::New(env, RmsNormBackward, "rmsnormBackward"));
  exports.Set("swiglu", Napi::Function::New(env, Swiglu, "swiglu"));
  exports.Set("swigluBackward", Napi::Function::New(env, SwigluBackward, "swigluBackward"));
  exports.Set("rope", Napi::Function::New(env, Rope, "rope"));
}

}  // namespace r1ts
