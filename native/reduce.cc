// Reductions and the softmax family: sum, max, sumSquares, softmax(+Backward), logSoftmax(+Backward),
// tokenLogprobs(+Backward). See kernels.ts for the contract.
//
// Row reductions keep many independent accumulators ("lanes") so the compiler can vectorize them
// without -ffast-math reassociation (LaneSum); sums are finished in double. Sums over one long array use
// fixed 64K blocks, so the result does not depend on the thread count. Exponentials use FastExp
// (fast_math.h) because libm's expf does not vectorize.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "fast_math.h"
#include "kernel_util.h"

namespace r1ts {

// Declared in fast_math.h: layers.cc (rmsnorm) uses it too.
R1TS_CLONES double SumSquaresRow(const float* x, int64_t n) {
  return LaneSum(n, [x](int64_t i) { double v = x[i]; return v * v; });
}

namespace {

// ---- vectorizable row primitives -------------------------------------------------------------

R1TS_CLONES double SumRow(const float* x, int64_t n) {
  return LaneSum(n, [x](int64_t i) { return static_cast<double>(x[i]); });
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

// sum(out, x, outer, n, inner)
Napi::Value Sum(const Napi::CallbackInfo& info) {
  NeedArgs(info, 5, "sum");
  Napi::Env env = info.Env();
  int64_t outer = Size(info[2], "sum: outer"), n = Size(info[3], "sum: n"), inner = Size(info[4], "sum: inner");
  int64_t outs = Mul(env, outer, inner, "sum");
  float* out = F32(info[0], outs, "sum: out");
  const float* x = F32(info[1], Mul(env, outs, n, "sum"), "sum: x");
  if (inner == 1 && outer == 1) {
    out[0] = static_cast<float>(BlockedTotal(x, n, SumRow));
  } else if (inner == 1) {
    Parallel(outer, RowGrain(kCheapGrain, n), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; o++) out[o] = static_cast<float>(SumRow(x + o * n, n));
    });
  } else {
    ForColumnTiles(outer, inner, n, kCheapGrain, [&](int64_t o, int64_t i0, int64_t w) {
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
  int64_t outer = Size(info[3], "max: outer"), n = Size(info[4], "max: n"), inner = Size(info[5], "max: inner");
  int64_t outs = Mul(env, outer, inner, "max");
  float* out = F32(info[0], outs, "max: out");
  int32_t* idx = I32(info[1], outs, "max: idx");
  const float* x = F32(info[2], Mul(env, outs, n, "max"), "max: x");
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
    ForColumnTiles(outer, inner, n, kCheapGrain, [&](int64_t o, int64_t i0, int64_t w) {
      MaxColumns(out + o * inner + i0, idx + o * inner + i0, x + o * n * inner + i0, n, inner, w);
    });
  }
  return env.Undefined();
}

// sumSquares(x, n) -> number
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  NeedArgs(info, 2, "sumSquares");
  int64_t n = Size(info[1], "sumSquares: n");
  const float* x = F32(info[0], n, "sumSquares: x");
  return Napi::Number::New(info.Env(), BlockedTotal(x, n, SumSquaresRow));
}

// ---- softmax family ----------------------------------------------------------------------------

// The Float32Array arguments of a row kernel: rows·n values, or one per row (tokenLogprobs' outputs).
struct RowArray {
  int index;
  const char* name;  // for errors, e.g. "softmax: out"
  bool perRow = false;
};

struct Rows {
  int64_t rows, n;
  float* a[4];  // the arrays, in the order they were listed
};

// Reads (rows, n) at `at` (the last two arguments) and the listed arrays, checking their lengths.
Rows ReadRows(const Napi::CallbackInfo& info, size_t at, const char* kernel, std::initializer_list<RowArray> arrays) {
  NeedArgs(info, at + 2, kernel);
  Rows r{Size(info[at], kernel, "rows"), Size(info[at + 1], kernel, "n"), {}};
  int64_t total = Mul(info.Env(), r.rows, r.n, kernel);
  int k = 0;
  for (const RowArray& a : arrays) {
    r.a[k++] = F32(info[a.index], a.perRow ? r.rows : total, a.name);
  }
  return r;
}

// Both forward kernels take (out, x, rows, n) and work row by row: rowKernel(out row, x row, n).
template <class RowKernel>
Napi::Value SoftmaxFamilyForward(const Napi::CallbackInfo& info, const char* kernel, const char* const (&names)[2],
                                 RowKernel rowKernel) {
  Rows r = ReadRows(info, 2, kernel, {{0, names[0]}, {1, names[1]}});
  float* out = r.a[0];
  const float* x = r.a[1];
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(kMathGrain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) rowKernel(out + row * n, x + row * n, n);
  });
  return info.Env().Undefined();
}

void SoftmaxRow(float* out, const float* x, int64_t n) {
  float m = MaxRow(x, n);
  double s = SumExpRow(out, x, n, m);
  ScaleRow(out, n, static_cast<float>(1.0 / s));
}

void LogSoftmaxRow(float* out, const float* x, int64_t n) {
  double lse = LogSumExpRow(x, n);
  float m = MaxRow(x, n);
  if (std::isfinite(m) && std::isfinite(lse)) ShiftRow(out, x, n, m, static_cast<float>(lse - m));
  else ShiftRow(out, x, n, static_cast<float>(lse), 0.f);
}

// softmax(out, x, rows, n)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return SoftmaxFamilyForward(info, "softmax", {"softmax: out", "softmax: x"}, SoftmaxRow);
}

// logSoftmax(out, x, rows, n)
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return SoftmaxFamilyForward(info, "logSoftmax", {"logSoftmax: out", "logSoftmax: x"}, LogSoftmaxRow);
}

R1TS_CLONES void SoftmaxBackwardRow(float* __restrict gx, const float* __restrict gy, const float* __restrict y,
                                    int64_t n, float dot) {
  for (int64_t i = 0; i < n; i++) gx[i] = y[i] * (gy[i] - dot);
}

R1TS_CLONES void LogSoftmaxBackwardRow(float* __restrict gx, const float* __restrict gy, const float* __restrict y,
                                       int64_t n, float sum) {
  for (int64_t i = 0; i < n; i++) gx[i] = gy[i] - FastExp(y[i]) * sum;
}

// Both backward kernels take (gx, gy, y, rows, n) and work row by row: c = reduce(gy, y, n), then
// rowKernel(gx, gy, y, n, c).
template <class Reduce, class RowKernel>
Napi::Value SoftmaxFamilyBackward(const Napi::CallbackInfo& info, const char* kernel, const char* const (&names)[3],
                                  int64_t grain, Reduce reduce, RowKernel rowKernel) {
  Rows r = ReadRows(info, 3, kernel, {{0, names[0]}, {1, names[1]}, {2, names[2]}});
  float* gx = r.a[0];
  const float* gy = r.a[1];
  const float* y = r.a[2];
  const int64_t n = r.n;
  Parallel(r.rows, RowGrain(grain, n), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; row++) {
      const float* gyr = gy + row * n;
      const float* yr = y + row * n;
      rowKernel(gx + row * n, gyr, yr, n, reduce(gyr, yr, n));
    }
  });
  return info.Env().Undefined();
}

// softmaxBackward(gx, gy, y, rows, n): gx = y ⊙ (gy − Σ gy⊙y)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  return SoftmaxFamilyBackward(
      info, "softmaxBackward", {"softmaxBackward: gx", "softmaxBackward: gy", "softmaxBackward: y"}, kCheapGrain,
      [](const float* gy, const float* y, int64_t n) { return static_cast<float>(DotRow(gy, y, n)); },
      SoftmaxBackwardRow);
}

// logSoftmaxBackward(gx, gy, y, rows, n): gx = gy − exp(y) · Σ gy
Napi::Value LogSoftmaxBackward(const Napi::CallbackInfo& info) {
  return SoftmaxFamilyBackward(
      info, "logSoftmaxBackward", {"logSoftmaxBackward: gx", "logSoftmaxBackward: gy", "logSoftmaxBackward: y"},
      kMathGrain, [](const float* gy, const float*, int64_t n) { return static_cast<float>(SumRow(gy, n)); },
      LogSoftmaxBackwardRow);
}

// The Int32Array of one target per row, at argument `index`. Targets must be < n; negative ones mean
// "ignore this row".
const int32_t* ReadTargets(const Napi::CallbackInfo& info, size_t index, const Rows& r, const char* kernel,
                           const char* name) {
  const int32_t* t = I32(info[index], r.rows, name);
  for (int64_t row = 0; row < r.rows; row++) {
    if (t[row] >= r.n) {
      RangeFail(info.Env(), std::string(kernel) + ": target " + std::to_string(t[row]) + " at row " +
                                std::to_string(row) + " is outside the vocabulary of " + std::to_string(r.n));
    }
  }
  return t;
}

// tokenLogprobs(out, lse, logits, targets, rows, n)
Napi::Value TokenLogprobs(const Napi::CallbackInfo& info) {
  Rows r = ReadRows(info, 4, "tokenLogprobs",
                    {{0, "tokenLogprobs: out", true}, {1, "tokenLogprobs: lse", true}, {2, "tokenLogprobs: logits"}});
  float* out = r.a[0];
  float* lse = r.a[1];
  const float* logits = r.a[2];
  const int32_t* targets = ReadTargets(info, 3, r, "tokenLogprobs", "tokenLogprobs: targets");
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
  Rows r = ReadRows(info, 5, "tokenLogprobsBackward",
                    {{0, "tokenLogprobsBackward: glogits"},
                     {1, "tokenLogprobsBackward: gout", true},
                     {2, "tokenLogprobsBackward: logits"},
                     {3, "tokenLogprobsBackward: lse", true}});
  float* g = r.a[0];
  const float* gout = r.a[1];
  const float* logits = r.a[2];
  const float* lse = r.a[3];
  const int32_t* targets = ReadTargets(info, 4, r, "tokenLogprobsBackward", "tokenLogprobsBackward: targets");
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
