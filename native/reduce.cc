// Reductions and the softmax family: sum, max, sumSquares, softmax(+Backward), logSoftmax(+Backward),
// tokenLogprobs(+Backward). See kernels.ts for the contract.
//
// Row reductions keep many independent accumulators ("lanes") so the compiler can vectorize them
// without -ffast-math reassociation; sums are finished in double. Sums over one long array use fixed
// 64K blocks, so the result does not depend on the thread count. Exponentials use FastExp (the same
// Cephes polynomial as elementwise.cc) because libm's expf does not vectorize.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common.h"

#define R1TS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define R1TS_INLINE inline __attribute__((always_inline))

namespace r1ts {
namespace {

// ---- argument helpers ------------------------------------------------------------------------

[[noreturn]] void RangeFail(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

void NeedArgs(const Napi::CallbackInfo& info, size_t n, const char* kernel) {
  if (info.Length() < n) {
    throw Napi::TypeError::New(info.Env(), std::string(kernel) + ": expected " + std::to_string(n) + " arguments");
  }
}

// A size: an integer in [0, 2^53]. Errors name "what[ part]"; no string is built on success.
int64_t Size(const Napi::Value& v, const char* what, const char* part = nullptr) {
  auto name = [&] { return part ? std::string(what) + ": " + part : std::string(what); };
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), name() + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740992.0) || d != std::floor(d)) {
    RangeFail(v.Env(), name() + ": expected a non-negative integer");
  }
  return static_cast<int64_t>(d);
}

// a * b, refusing products past 2^53 (a wrapped product would defeat the length checks).
int64_t Mul(Napi::Env env, int64_t a, int64_t b, const char* kernel) {
  __int128 p = static_cast<__int128>(a) * b;
  if (p > (static_cast<__int128>(1) << 53)) RangeFail(env, std::string(kernel) + ": sizes too large");
  return static_cast<int64_t>(p);
}

template <class F>
void Parallel(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (n <= grain) {
    fn(int64_t{0}, n);  // small work: no std::function, no pool wake-up
    return;
  }
  ParallelFor(n, grain, fn);
}

// Elements per chunk of parallel work; rows of n get max(1, grain / n) rows per chunk.
constexpr int64_t kCheapGrain = 1 << 16;
constexpr int64_t kMathGrain = 1 << 14;
int64_t RowGrain(int64_t grain, int64_t n) { return std::max<int64_t>(1, grain / std::max<int64_t>(n, 1)); }

// ---- vectorizable row primitives -------------------------------------------------------------

constexpr int kLanes = 16;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

R1TS_INLINE float BitsToFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// exp(x) within ~1 ulp (Cephes expf), branch-free; identical to elementwise.cc's FastExp.
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

// Σ f(i) over [0, n) in lanes of double: vectorizes, and double keeps long sums accurate.
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

R1TS_CLONES double SumRow(const float* x, int64_t n) {
  return LaneSum(n, [x](int64_t i) { return static_cast<double>(x[i]); });
}

R1TS_CLONES double SumSquaresRow(const float* x, int64_t n) {
  return LaneSum(n, [x](int64_t i) { double v = x[i]; return v * v; });
}

R1TS_CLONES double DotRow(const float* a, const float* b, int64_t n) {
  return LaneSum(n, [a, b](int64_t i) { return static_cast<double>(a[i]) * b[i]; });
}

// GCC vector extensions, for the max reductions the auto-vectorizer will not take on (a NaN-aware
// max is not an associative reduction for it). Lowered to narrower registers in the older clones.
typedef float V16f __attribute__((vector_size(64)));

// Max of a row (-inf when n = 0), ignoring NaN; *hasNan tells whether the row holds one. Every
// vector step is a blend (`c ? a : b`): a comparison turned into an integer vector is scalarized by
// GCC for plain AVX-512F (no mask-to-vector instruction), a blend maps onto mask registers.
R1TS_CLONES float MaxRow(const float* x, int64_t n, bool* hasNan) {
  V16f m0 = V16f{} + kNegInf, m1 = m0, nan = V16f{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    V16f a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + 16, sizeof b);
    m0 = a > m0 ? a : m0;
    m1 = b > m1 ? b : m1;
    nan = a != a ? a : nan;  // a NaN lane stays NaN
    nan = b != b ? b : nan;
  }
  float best = kNegInf;
  bool anyNan = false;
  for (; i < n; i++) {
    best = x[i] > best ? x[i] : best;
    anyNan |= x[i] != x[i];
  }
  for (int k = 0; k < 16; k++) {
    best = m0[k] > best ? m0[k] : best;
    best = m1[k] > best ? m1[k] : best;
    anyNan |= nan[k] != nan[k];
  }
  *hasNan = anyNan;
  return best;
}

float MaxRow(const float* x, int64_t n) {
  bool hasNan;
  return MaxRow(x, n, &hasNan);
}

// Index of the first x[i] == m (blocks of 64 tested with a vectorizable OR first), or -1.
R1TS_CLONES int64_t FirstEqual(const float* x, int64_t n, float m) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    int hit = 0;
    for (int k = 0; k < 64; k++) hit |= x[i + k] == m;
    if (hit) break;
  }
  for (; i < n; i++) {
    if (x[i] == m) return i;
  }
  return -1;
}

// Σ exp(x[i] - m); out[i] = exp(x[i] - m) as well when out is given.
R1TS_CLONES double SumExpRow(float* __restrict out, const float* __restrict x, int64_t n, float m) {
  if (out) {
    return LaneSum(n, [=](int64_t i) {
      float e = FastExp(x[i] - m);
      out[i] = e;
      return static_cast<double>(e);
    });
  }
  return LaneSum(n, [=](int64_t i) { return static_cast<double>(FastExp(x[i] - m)); });
}

// logsumexp of a row in one pass over memory: each 2K block (L1-resident) gets its max, then its
// exp-sum relative to the running max; the running sum is rescaled when the max grows.
double LogSumExpRow(const float* x, int64_t n) {
  constexpr int64_t kBlock = 2048;
  float m = kNegInf;
  double s = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    int64_t len = std::min(kBlock, n - b);
    float bm = MaxRow(x + b, len);
    if (bm > m) {
      s *= std::exp(static_cast<double>(m) - bm);
      m = bm;
    }
    if (m != kNegInf) s += SumExpRow(nullptr, x + b, len, m);
  }
  if (std::isinf(m)) {
    // All -inf gives -inf; any +inf gives +inf (not inf - inf = NaN), unless a NaN, which MaxRow
    // skips, is present: then NaN.
    for (int64_t i = 0; i < n; i++) {
      if (x[i] != x[i]) return x[i];
    }
    return m;
  }
  return m + std::log(s);
}

R1TS_CLONES void ScaleRow(float* __restrict out, int64_t n, float s) {
  for (int64_t i = 0; i < n; i++) out[i] *= s;
}

// out = (x − m) − s: subtracting the max first keeps the small log Σ exp from being rounded at the
// magnitude of the logits (x − float(m + s) loses digits when |m| is large).
R1TS_CLONES void ShiftRow(float* __restrict out, const float* __restrict x, int64_t n, float m, float s) {
  for (int64_t i = 0; i < n; i++) out[i] = (x[i] - m) - s;
}

// ---- sum / max / sumSquares --------------------------------------------------------------------

// Σ over a long dense array, as fixed blocks summed in parallel then added in order (deterministic).
double BlockedTotal(const float* x, int64_t n, double (*row)(const float*, int64_t)) {
  constexpr int64_t kBlock = 1 << 16;
  int64_t blocks = (n + kBlock - 1) / kBlock;
  if (blocks <= 1) return row(x, n);
  std::vector<double> partial(blocks);
  Parallel(blocks, 4, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; b++) partial[b] = row(x + b * kBlock, std::min(kBlock, n - b * kBlock));
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

// Columns of [n, inner] summed over n for columns [0, w), w <= 1024: accumulate in double (8 KB,
// stays in L1) while streaming the rows, write float.
R1TS_CLONES void SumColumns(float* __restrict out, const float* __restrict x, int64_t n, int64_t inner, int64_t w) {
  double acc[1024];
  for (int64_t i = 0; i < w; i++) acc[i] = 0;
  for (int64_t j = 0; j < n; j++) {
    const float* row = x + j * inner;
    for (int64_t i = 0; i < w; i++) acc[i] += row[i];
  }
  for (int64_t i = 0; i < w; i++) out[i] = static_cast<float>(acc[i]);
}

// Runs fn(o, i0, w) over tiles of the [outer, inner] outputs, in parallel when the work is big.
template <class F>
void ForColumnTiles(int64_t outer, int64_t n, int64_t inner, int64_t tileW, F fn) {
  int64_t perRow = (inner + tileW - 1) / tileW;
  int64_t work = std::max<int64_t>(1, n * std::min(inner, tileW));
  Parallel(outer * perRow, std::max<int64_t>(1, kCheapGrain / work), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      int64_t o = t / perRow, i0 = (t % perRow) * tileW;
      fn(o, i0, std::min(tileW, inner - i0));
    }
  });
}

// sum(out, x, outer, n, inner)
Napi::Value Sum(const Napi::CallbackInfo& info) {
  NeedArgs(info, 5, "sum");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "sum: out");
  const float* x = F32(info[1], "sum: x");
  int64_t outer = Size(info[2], "sum: outer"), n = Size(info[3], "sum: n"), inner = Size(info[4], "sum: inner");
  int64_t outs = Mul(env, outer, inner, "sum");
  CheckLength(info[0], outs, "sum: out");
  CheckLength(info[1], Mul(env, outs, n, "sum"), "sum: x");
  if (inner == 1 && outer == 1) {
    out[0] = static_cast<float>(BlockedTotal(x, n, SumRow));
  } else if (inner == 1) {
    Parallel(outer, RowGrain(kCheapGrain, n), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; o++) out[o] = static_cast<float>(SumRow(x + o * n, n));
    });
  } else {
    ForColumnTiles(outer, n, inner, 1024, [&](int64_t o, int64_t i0, int64_t w) {
      SumColumns(out + o * inner + i0, x + o * n * inner + i0, n, inner, w);
    });
  }
  return env.Undefined();
}

// Max and first index of a row (n >= 1): the max in one vectorized pass, then the first index
// holding it; a NaN counts as the max, so a row with NaN gives its first NaN.
void MaxIndexRow(const float* x, int64_t n, float* outV, int32_t* outI) {
  bool hasNan;
  float m = MaxRow(x, n, &hasNan);
  int64_t at = 0;
  if (hasNan) {
    while (x[at] == x[at]) at++;
  } else {
    at = FirstEqual(x, n, m);  // found: m is one of the values (all -inf gives index 0)
  }
  *outV = x[at];
  *outI = static_cast<int32_t>(at);
}

// Max over n of columns [0, w) of [n, inner]: the running max lives in the outputs themselves.
R1TS_CLONES void MaxColumns(float* __restrict out, int32_t* __restrict idx, const float* __restrict x, int64_t n,
                            int64_t inner, int64_t w) {
  for (int64_t i = 0; i < w; i++) out[i] = x[i], idx[i] = 0;
  for (int64_t j = 1; j < n; j++) {
    const float* row = x + j * inner;
    for (int64_t i = 0; i < w; i++) {
      float v = row[i], m = out[i];
      bool take = (v > m) | ((v != v) & (m == m));  // bitwise, not ||: no branches, so it vectorizes
      out[i] = take ? v : m;
      idx[i] = take ? static_cast<int32_t>(j) : idx[i];
    }
  }
}

// max(out, idx, x, outer, n, inner)
Napi::Value Max(const Napi::CallbackInfo& info) {
  NeedArgs(info, 6, "max");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "max: out");
  int32_t* idx = I32(info[1], "max: idx");
  const float* x = F32(info[2], "max: x");
  int64_t outer = Size(info[3], "max: outer"), n = Size(info[4], "max: n"), inner = Size(info[5], "max: inner");
  int64_t outs = Mul(env, outer, inner, "max");
  CheckLength(info[0], outs, "max: out");
  CheckLength(info[1], outs, "max: idx");
  CheckLength(info[2], Mul(env, outs, n, "max"), "max: x");
  if (n > INT32_MAX) RangeFail(env, "max: n does not fit an Int32 index");
  if (n == 0) {  // an empty reduction has no maximum: -inf at index -1, as the reference backend does
    std::fill(out, out + outs, kNegInf);
    std::fill(idx, idx + outs, -1);
    return env.Undefined();
  }
  if (inner == 1) {
    Parallel(outer, RowGrain(kCheapGrain, n), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; o++) MaxIndexRow(x + o * n, n, out + o, idx + o);
    });
  } else {
    ForColumnTiles(outer, n, inner, 1024, [&](int64_t o, int64_t i0, int64_t w) {
      MaxColumns(out + o * inner + i0, idx + o * inner + i0, x + o * n * inner + i0, n, inner, w);
    });
  }
  return env.Undefined();
}

// sumSquares(x, n) -> number
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  NeedArgs(info, 2, "sumSquares");
  const float* x = F32(info[0], "sumSquares: x");
  int64_t n = Size(info[1], "sumSquares: n");
  CheckLength(info[0], n, "sumSquares: x");
  return Napi::Number::New(info.Env(), BlockedTotal(x, n, SumSquaresRow));
}

// ---- softmax family ----------------------------------------------------------------------------

struct Rows {
  int64_t rows, n;
};

// Reads (rows, n) at `at` and checks that each listed array, e.g. {0, "softmax: out"}, is a
// Float32Array holding rows * n values.
Rows ReadRows(const Napi::CallbackInfo& info, size_t at, const char* kernel,
              std::initializer_list<std::pair<int, const char*>> arrays) {
  Rows r{Size(info[at], kernel, "rows"), Size(info[at + 1], kernel, "n")};
  int64_t total = Mul(info.Env(), r.rows, r.n, kernel);
  for (const auto& a : arrays) {
    F32(info[a.first], a.second);
    CheckLength(info[a.first], total, a.second);
  }
  return r;
}

// softmax(out, x, rows, n)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  NeedArgs(info, 4, "softmax");
  Rows r = ReadRows(info, 2, "softmax", {{0, "softmax: out"}, {1, "softmax: x"}});
  float* out = F32(info[0], "softmax: out");
  const float* x = F32(info[1], "softmax: x");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      const float* xr = x + row * n;
      float* orow = out + row * n;
      float m = MaxRow(xr, n);
      double s = SumExpRow(orow, xr, n, m);
      ScaleRow(orow, n, static_cast<float>(1.0 / s));
    }
  });
  return info.Env().Undefined();
}

R1TS_CLONES void SoftmaxBackwardRow(float* __restrict gx, const float* __restrict gy, const float* __restrict y,
                                    int64_t n, float dot) {
  for (int64_t i = 0; i < n; i++) gx[i] = y[i] * (gy[i] - dot);
}

// softmaxBackward(gx, gy, y, rows, n): gx = y ⊙ (gy − Σ gy⊙y)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 5, "softmaxBackward");
  Rows r = ReadRows(info, 3, "softmaxBackward",
                    {{0, "softmaxBackward: gx"}, {1, "softmaxBackward: gy"}, {2, "softmaxBackward: y"}});
  float* gx = F32(info[0], "softmaxBackward: gx");
  const float* gy = F32(info[1], "softmaxBackward: gy");
  const float* y = F32(info[2], "softmaxBackward: y");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kCheapGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      float dot = static_cast<float>(DotRow(gy + row * n, y + row * n, n));
      SoftmaxBackwardRow(gx + row * n, gy + row * n, y + row * n, n, dot);
    }
  });
  return info.Env().Undefined();
}

// logSoftmax(out, x, rows, n)
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  NeedArgs(info, 4, "logSoftmax");
  Rows r = ReadRows(info, 2, "logSoftmax", {{0, "logSoftmax: out"}, {1, "logSoftmax: x"}});
  float* out = F32(info[0], "logSoftmax: out");
  const float* x = F32(info[1], "logSoftmax: x");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      const float* xr = x + row * n;
      double lse = LogSumExpRow(xr, n);
      float m = MaxRow(xr, n);
      if (std::isfinite(m) && std::isfinite(lse)) ShiftRow(out + row * n, xr, n, m, static_cast<float>(lse - m));
      else ShiftRow(out + row * n, xr, n, static_cast<float>(lse), 0.f);
    }
  });
  return info.Env().Undefined();
}

R1TS_CLONES void LogSoftmaxBackwardRow(float* __restrict gx, const float* __restrict gy, const float* __restrict y,
                                       int64_t n, float sum) {
  for (int64_t i = 0; i < n; i++) gx[i] = gy[i] - FastExp(y[i]) * sum;
}

// logSoftmaxBackward(gx, gy, y, rows, n): gx = gy − exp(y) · Σ gy
Napi::Value LogSoftmaxBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 5, "logSoftmaxBackward");
  Rows r = ReadRows(info, 3, "logSoftmaxBackward",
                    {{0, "logSoftmaxBackward: gx"}, {1, "logSoftmaxBackward: gy"}, {2, "logSoftmaxBackward: y"}});
  float* gx = F32(info[0], "logSoftmaxBackward: gx");
  const float* gy = F32(info[1], "logSoftmaxBackward: gy");
  const float* y = F32(info[2], "logSoftmaxBackward: y");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      float sum = static_cast<float>(SumRow(gy + row * n, n));
      LogSoftmaxBackwardRow(gx + row * n, gy + row * n, y + row * n, n, sum);
    }
  });
  return info.Env().Undefined();
}

// Targets must be < n; negative ones mean "ignore this row".
void CheckTargets(Napi::Env env, const int32_t* t, int64_t rows, int64_t n, const char* kernel) {
  for (int64_t r = 0; r < rows; r++) {
    if (t[r] >= n) {
      RangeFail(env, std::string(kernel) + ": target " + std::to_string(t[r]) + " at row " + std::to_string(r) +
                         " is outside the vocabulary of " + std::to_string(n));
    }
  }
}

// tokenLogprobs(out, lse, logits, targets, rows, n)
Napi::Value TokenLogprobs(const Napi::CallbackInfo& info) {
  NeedArgs(info, 6, "tokenLogprobs");
  Rows r = ReadRows(info, 4, "tokenLogprobs", {{2, "tokenLogprobs: logits"}});
  float* out = F32(info[0], "tokenLogprobs: out");
  float* lse = F32(info[1], "tokenLogprobs: lse");
  const float* logits = F32(info[2], "tokenLogprobs: logits");
  const int32_t* targets = I32(info[3], "tokenLogprobs: targets");
  CheckLength(info[0], r.rows, "tokenLogprobs: out");
  CheckLength(info[1], r.rows, "tokenLogprobs: lse");
  CheckLength(info[3], r.rows, "tokenLogprobs: targets");
  CheckTargets(info.Env(), targets, r.rows, r.n, "tokenLogprobs");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      double l = LogSumExpRow(logits + row * n, n);
      lse[row] = static_cast<float>(l);
      int32_t t = targets[row];
      out[row] = t < 0 ? 0.f : static_cast<float>(logits[row * n + t] - l);
    }
  });
  return info.Env().Undefined();
}

R1TS_CLONES void TokenLogprobsBackwardRow(float* __restrict g, const float* __restrict x, int64_t n, float lse,
                                          float scale) {
  for (int64_t i = 0; i < n; i++) g[i] = scale * FastExp(x[i] - lse);
}

// tokenLogprobsBackward(glogits, gout, logits, lse, targets, rows, n):
// glogits[r, j] = gout[r] · (1[j = t_r] − softmax_j), overwritten; ignored rows get 0.
Napi::Value TokenLogprobsBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "tokenLogprobsBackward");
  Rows r = ReadRows(info, 5, "tokenLogprobsBackward",
                    {{0, "tokenLogprobsBackward: glogits"}, {2, "tokenLogprobsBackward: logits"}});
  float* g = F32(info[0], "tokenLogprobsBackward: glogits");
  const float* gout = F32(info[1], "tokenLogprobsBackward: gout");
  const float* logits = F32(info[2], "tokenLogprobsBackward: logits");
  const float* lse = F32(info[3], "tokenLogprobsBackward: lse");
  const int32_t* targets = I32(info[4], "tokenLogprobsBackward: targets");
  CheckLength(info[1], r.rows, "tokenLogprobsBackward: gout");
  CheckLength(info[3], r.rows, "tokenLogprobsBackward: lse");
  CheckLength(info[4], r.rows, "tokenLogprobsBackward: targets");
  CheckTargets(info.Env(), targets, r.rows, r.n, "tokenLogprobsBackward");
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      float* gr = g + row * n;
      int32_t t = targets[row];
      if (t < 0) {
        std::memset(gr, 0, sizeof(float) * n);
        continue;
      }
      TokenLogprobsBackwardRow(gr, logits + row * n, n, lse[row], -gout[row]);
      gr[t] += gout[row];
    }
  });
  return info.Env().Undefined();
}

}  // namespace

void InitReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("sum", Napi::Function::New(env, Sum, "sum"));
  exports.Set("max", Napi::Function::New(env, Max, "max"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward, "softmaxBackward"));
  exports.Set("logSoftmax", Napi::Function::New(env, LogSoftmax, "logSoftmax"));
  exports.Set("logSoftmaxBackward", Napi::Function::New(env, LogSoftmaxBackward, "logSoftmaxBackward"));
  exports.Set("tokenLogprobs", Napi::Function::New(env, TokenLogprobs, "tokenLogprobs"));
  exports.Set("tokenLogprobsBackward", Napi::Function::New(env, TokenLogprobsBackward, "tokenLogprobsBackward"));
}

}  // namespace r1ts
