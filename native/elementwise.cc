// Elementwise kernels: unary, unaryBackward, binary, where (see kernels.ts for the contract).
//
// Hot loops live in `target_clones` functions so one binary gets AVX-512/AVX2/SSE2 versions; the
// per-op loops are templates inlined into them, so each op × stride pattern is its own simple,
// auto-vectorizable loop. exp/sigmoid/silu/tanh use the branch-free FastExp of fast_math.h. Outputs may
// equal an input exactly (in place, same index) but must not partially overlap one.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "fast_math.h"
#include "kernel_util.h"

namespace r1ts {
namespace {

// ---- unary -------------------------------------------------------------------------------------

enum class UOp { Neg, Exp, Log, Sqrt, Rsqrt, Abs, Sigmoid, Silu, Tanh, Relu, Pow, Clamp, Affine, Square };

UOp ParseUnary(const Napi::Value& v, const char* kernel) {
  static const struct { const char* name; UOp op; } kOps[] = {
      {"neg", UOp::Neg},       {"exp", UOp::Exp},   {"log", UOp::Log},   {"sqrt", UOp::Sqrt},  {"rsqrt", UOp::Rsqrt},
      {"abs", UOp::Abs},       {"sigmoid", UOp::Sigmoid}, {"silu", UOp::Silu}, {"tanh", UOp::Tanh},
      {"relu", UOp::Relu},     {"pow", UOp::Pow},   {"clamp", UOp::Clamp}, {"affine", UOp::Affine},
      {"square", UOp::Square}};
  char buf[16];
  OpName(v, kernel, buf);
  for (const auto& e : kOps) {
    if (std::strcmp(buf, e.name) == 0) return e.op;
  }
  throw Napi::TypeError::New(v.Env(), std::string(kernel) + ": unknown op '" + buf + "'");
}

bool IsCheap(UOp op) {
  return op != UOp::Exp && op != UOp::Log && op != UOp::Sigmoid && op != UOp::Silu && op != UOp::Tanh && op != UOp::Pow;
}

// x^alpha: exact shortcuts for common exponents, otherwise pow in double (as the reference does).
void PowLoop(float* __restrict out, const float* __restrict x, int64_t n, double alpha) {
  if (alpha == 2) {
    for (int64_t i = 0; i < n; i++) out[i] = x[i] * x[i];
  } else if (alpha == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = x[i];
  } else if (alpha == -1) {
    for (int64_t i = 0; i < n; i++) out[i] = 1.f / x[i];
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = static_cast<float>(std::pow(static_cast<double>(x[i]), alpha));
  }
}

R1TS_CLONES void UnaryLoop(UOp op, float* __restrict out, const float* __restrict x, int64_t n, float a, float b) {
  switch (op) {
    case UOp::Neg: for (int64_t i = 0; i < n; i++) out[i] = -x[i]; break;
    case UOp::Exp: for (int64_t i = 0; i < n; i++) out[i] = FastExp(x[i]); break;
    case UOp::Log: for (int64_t i = 0; i < n; i++) out[i] = std::log(x[i]); break;
    case UOp::Sqrt: for (int64_t i = 0; i < n; i++) out[i] = std::sqrt(x[i]); break;
    case UOp::Rsqrt: for (int64_t i = 0; i < n; i++) out[i] = 1.f / std::sqrt(x[i]); break;
    case UOp::Abs: for (int64_t i = 0; i < n; i++) out[i] = std::fabs(x[i]); break;
    case UOp::Sigmoid: for (int64_t i = 0; i < n; i++) out[i] = Sigmoid(x[i]); break;
    case UOp::Silu: for (int64_t i = 0; i < n; i++) out[i] = x[i] / (1.f + FastExp(-x[i])); break;
    case UOp::Tanh: for (int64_t i = 0; i < n; i++) out[i] = FastTanh(x[i]); break;
    // Written so NaN propagates (PyTorch): comparisons with NaN are false and keep x.
    case UOp::Relu: for (int64_t i = 0; i < n; i++) out[i] = x[i] < 0.f ? 0.f : x[i]; break;
    case UOp::Clamp:
      for (int64_t i = 0; i < n; i++) {
        float v = x[i] < a ? a : x[i];
        out[i] = v > b ? b : v;
      }
      break;
    case UOp::Affine: for (int64_t i = 0; i < n; i++) out[i] = a * x[i] + b; break;
    case UOp::Square: for (int64_t i = 0; i < n; i++) out[i] = x[i] * x[i]; break;
    case UOp::Pow: break;  // handled by PowLoop (double precision)
  }
}

// gx = gy * f'(x), reusing y = f(x) where that is cheaper and exact enough.
R1TS_CLONES void UnaryBackwardLoop(UOp op, float* __restrict gx, const float* __restrict gy, const float* __restrict x,
                                   const float* __restrict y, int64_t n, float a, float b) {
  switch (op) {
    case UOp::Neg: for (int64_t i = 0; i < n; i++) gx[i] = -gy[i]; break;
    case UOp::Exp: for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * y[i]; break;
    case UOp::Log: for (int64_t i = 0; i < n; i++) gx[i] = gy[i] / x[i]; break;
    case UOp::Sqrt: for (int64_t i = 0; i < n; i++) gx[i] = 0.5f * gy[i] / y[i]; break;
    case UOp::Rsqrt: for (int64_t i = 0; i < n; i++) gx[i] = -0.5f * gy[i] * y[i] * y[i] * y[i]; break;
    case UOp::Abs:  // gy · sign(x) with sign(0) = sign(NaN) = 0, as the reference backend
      for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0.f ? gy[i] : (x[i] < 0.f ? -gy[i] : gy[i] * 0.f);
      break;
    case UOp::Sigmoid: for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * y[i] * (1.f - y[i]); break;
    case UOp::Silu:  // recompute s = sigmoid(x): y / x is undefined at 0
      for (int64_t i = 0; i < n; i++) {
        float s = Sigmoid(x[i]);
        gx[i] = gy[i] * s * (1.f + x[i] * (1.f - s));
      }
      break;
    case UOp::Tanh: for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * (1.f - y[i] * y[i]); break;
    case UOp::Relu: for (int64_t i = 0; i < n; i++) gx[i] = x[i] > 0.f ? gy[i] : 0.f; break;
    case UOp::Clamp:  // PyTorch: the gradient passes where alpha <= x <= beta
      for (int64_t i = 0; i < n; i++) gx[i] = (x[i] >= a && x[i] <= b) ? gy[i] : 0.f;
      break;
    case UOp::Affine: for (int64_t i = 0; i < n; i++) gx[i] = gy[i] * a; break;
    // In double: 2x alone may overflow float where gy·2x does not.
    case UOp::Square: for (int64_t i = 0; i < n; i++) gx[i] = static_cast<float>(2.0 * x[i] * gy[i]); break;
    case UOp::Pow: break;  // handled by PowBackwardLoop
  }
}

void PowBackwardLoop(float* __restrict gx, const float* __restrict gy, const float* __restrict x, int64_t n,
                     double alpha) {
  if (alpha == 0) {  // PyTorch: d/dx x^0 = 0 everywhere, even at x = 0
    for (int64_t i = 0; i < n; i++) gx[i] = 0.f;
  } else if (alpha == 1) {
    for (int64_t i = 0; i < n; i++) gx[i] = gy[i];
  } else if (alpha == 2) {
    for (int64_t i = 0; i < n; i++) gx[i] = static_cast<float>(2.0 * x[i] * gy[i]);
  } else {
    for (int64_t i = 0; i < n; i++) {
      gx[i] = static_cast<float>(gy[i] * alpha * std::pow(static_cast<double>(x[i]), alpha - 1));
    }
  }
}

Napi::Value Unary(const Napi::CallbackInfo& info) {
  NeedArgs(info, 6, "unary");
  UOp op = ParseUnary(info[0], "unary");
  int64_t n = Size(info[3], "unary: n");
  double a = Num(info[4], "unary: alpha"), b = Num(info[5], "unary: beta");
  float* out = F32(info[1], n, "unary: out");
  const float* x = F32(info[2], n, "unary: x");
  Parallel(n, IsCheap(op) ? kCheapGrain : kMathGrain, [&](int64_t lo, int64_t hi) {
    if (op == UOp::Pow) {
      PowLoop(out + lo, x + lo, hi - lo, a);
    } else {
      UnaryLoop(op, out + lo, x + lo, hi - lo, static_cast<float>(a), static_cast<float>(b));
    }
  });
  return info.Env().Undefined();
}

Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  NeedArgs(info, 8, "unaryBackward");
  UOp op = ParseUnary(info[0], "unaryBackward");
  int64_t n = Size(info[5], "unaryBackward: n");
  double a = Num(info[6], "unaryBackward: alpha"), b = Num(info[7], "unaryBackward: beta");
  float* gx = F32(info[1], n, "unaryBackward: gx");
  const float* gy = F32(info[2], n, "unaryBackward: gy");
  const float* x = F32(info[3], n, "unaryBackward: x");
  const float* y = F32(info[4], n, "unaryBackward: y");
  bool cheap = op != UOp::Silu && op != UOp::Pow;
  Parallel(n, cheap ? kCheapGrain : kMathGrain, [&](int64_t lo, int64_t hi) {
    if (op == UOp::Pow) {
      PowBackwardLoop(gx + lo, gy + lo, x + lo, hi - lo, a);
    } else {
      UnaryBackwardLoop(op, gx + lo, gy + lo, x + lo, y + lo, hi - lo, static_cast<float>(a), static_cast<float>(b));
    }
  });
  return info.Env().Undefined();
}

// ---- strided iteration for binary and where ----------------------------------------------------

constexpr int kMaxDims = 32;

// A small array of integers read from a JS array (shapes, strides) without heap allocation: this
// path runs for every tiny elementwise op of the tensor engine.
struct Dims {
  int nd = 0;
  int64_t v[kMaxDims];
};

Dims ReadDims(const Napi::Value& value, const char* what, const char* part = nullptr) {
  if (!value.IsArray()) ArgTypeFail(value.Env(), what, part, "expected an array of numbers");
  auto arr = value.As<Napi::Array>();
  Dims d;
  if (arr.Length() > kMaxDims) ArgRangeFail(value.Env(), what, part, "more than 32 dimensions");
  d.nd = static_cast<int>(arr.Length());
  for (int k = 0; k < d.nd; k++) {
    Napi::Value e = arr.Get(static_cast<uint32_t>(k));
    if (!e.IsNumber()) ArgTypeFail(value.Env(), what, part, "expected an array of numbers");
    double x = e.As<Napi::Number>().DoubleValue();
    if (!(std::fabs(x) <= kMaxSafeInt) || x != std::floor(x)) {
      ArgRangeFail(value.Env(), what, part, "expected integers");
    }
    d.v[k] = static_cast<int64_t>(x);
  }
  return d;
}

// The iteration shape and its element count (checked against overflow).
Dims ReadShape(const Napi::Value& v, const char* what, int64_t* total) {
  Dims shape = ReadDims(v, what);
  __int128 t = 1;
  for (int k = 0; k < shape.nd; k++) {
    if (shape.v[k] < 0) RangeFail(v.Env(), std::string(what) + ": negative dimension");
    t *= shape.v[k];
    if (t > (static_cast<__int128>(1) << 53)) RangeFail(v.Env(), std::string(what) + ": too many elements");
  }
  *total = static_cast<int64_t>(t);
  return shape;
}

// One strided input: the address of its first element and one stride per dimension.
struct Strided {
  const float* base;
  Dims strides;
};

// Reads (data, offset, strides) at argument `at`; `what` is e.g. "binary: a" and errors say which.
Strided ReadStrided(const Napi::CallbackInfo& info, size_t at, const Dims& shape, int64_t total, const char* what) {
  const float* data = F32(info[at], what);
  int64_t offset = Size(info[at + 1], what, "offset");
  Strided s{data + offset, ReadDims(info[at + 2], what, "strides")};
  if (s.strides.nd != shape.nd) {
    RangeFail(info.Env(), std::string(what) + ": " + std::to_string(s.strides.nd) + " strides for a shape of " +
                              std::to_string(shape.nd) + " dimensions");
  }
  if (total == 0) return s;
  // The lowest and highest element the view touches must lie inside the array.
  __int128 lo = offset, hi = offset;
  for (int d = 0; d < shape.nd; d++) {
    __int128 span = static_cast<__int128>(s.strides.v[d]) * (shape.v[d] - 1);
    (span > 0 ? hi : lo) += span;
  }
  size_t length = Length(info[at]);
  if (lo < 0 || hi >= static_cast<__int128>(length)) {
    RangeFail(info.Env(), std::string(what) + ": offset and strides reach outside the array of " +
                              std::to_string(length) + " elements");
  }
  return s;
}

// The iteration space after dropping size-1 dimensions and merging dimensions that are contiguous
// for every input (the output is dense, so it never blocks a merge). Row-major order is preserved,
// so the output index stays the linear counter. Fully dense inputs become one long row.
template <int K>
struct Space {
  int nd = 0;                // at least 1 after Coalesce; the last dimension is the row loop
  int64_t shape[kMaxDims];
  int64_t st[K][kMaxDims];
  const float* base[K];
};

template <int K>
Space<K> Coalesce(const Dims& shape, const Strided* in) {
  Space<K> sp;
  for (int k = 0; k < K; k++) sp.base[k] = in[k].base;
  for (int d = 0; d < shape.nd; d++) {
    int64_t n = shape.v[d];
    if (n == 1) continue;
    bool merge = sp.nd > 0;
    for (int k = 0; k < K && merge; k++) merge = sp.st[k][sp.nd - 1] == in[k].strides.v[d] * n;
    if (!merge) {
      sp.shape[sp.nd] = 1;
      sp.nd++;
    }
    sp.shape[sp.nd - 1] *= n;
    for (int k = 0; k < K; k++) sp.st[k][sp.nd - 1] = in[k].strides.v[d];
  }
  if (sp.nd == 0) {
    sp.nd = 1;
    sp.shape[0] = 1;
    for (int k = 0; k < K; k++) sp.st[k][0] = 0;
  }
  return sp;
}

// Calls row(outPtr, inPtrs, innerStrides, len) over the coalesced space, in parallel for big inputs.
// Long rows are cut in tiles so that a single huge row (the fully dense case) still spreads over threads.
template <int K, class Row>
void ForEachRow(const Space<K>& sp, float* out, int64_t grain, Row row) {
  const int nd = sp.nd;
  const int64_t L = sp.shape[nd - 1];
  int64_t rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= sp.shape[d];
  constexpr int64_t kTile = 1 << 15;
  const int64_t tileLen = L > 2 * kTile ? kTile : L;
  const int64_t perRow = (L + tileLen - 1) / tileLen;
  int64_t inner[K];
  for (int k = 0; k < K; k++) inner[k] = sp.st[k][nd - 1];

  Parallel(rows * perRow, std::max<int64_t>(1, grain / tileLen), [&](int64_t t0, int64_t t1) {
    int64_t r = t0 / perRow, part = t0 % perRow;
    int64_t idx[kMaxDims] = {0}, off[K] = {0};
    // The multi-index of the starting row over the outer dimensions, row-major.
    int64_t rem = r;
    for (int d = nd - 2; d >= 0; d--) {
      idx[d] = rem % sp.shape[d];
      rem /= sp.shape[d];
      for (int k = 0; k < K; k++) off[k] += idx[d] * sp.st[k][d];
    }
    for (int64_t t = t0; t < t1; t++) {
      int64_t start = part * tileLen, len = std::min(tileLen, L - start);
      const float* p[K];
      for (int k = 0; k < K; k++) p[k] = sp.base[k] + off[k] + start * inner[k];
      row(out + r * L + start, p, inner, len);
      if (++part == perRow && t + 1 < t1) {  // next row: odometer step over the outer dimensions
        part = 0;
        r++;
        for (int d = nd - 2; d >= 0; d--) {
          for (int k = 0; k < K; k++) off[k] += sp.st[k][d];
          if (++idx[d] < sp.shape[d]) break;
          for (int k = 0; k < K; k++) off[k] -= sp.st[k][d] * sp.shape[d];
          idx[d] = 0;
        }
      }
    }
  });
}

// ---- binary ------------------------------------------------------------------------------------

enum class BOp { Add, Sub, Mul, Div, Maximum, Minimum, Pow, Eq, Ne, Lt, Le, Gt, Ge };

BOp ParseBinary(const Napi::Value& v) {
  static const struct { const char* name; BOp op; } kOps[] = {
      {"add", BOp::Add}, {"sub", BOp::Sub}, {"mul", BOp::Mul}, {"div", BOp::Div}, {"maximum", BOp::Maximum},
      {"minimum", BOp::Minimum}, {"pow", BOp::Pow}, {"eq", BOp::Eq}, {"ne", BOp::Ne}, {"lt", BOp::Lt},
      {"le", BOp::Le}, {"gt", BOp::Gt}, {"ge", BOp::Ge}};
  char buf[16];
  OpName(v, "binary", buf);
  for (const auto& e : kOps) {
    if (std::strcmp(buf, e.name) == 0) return e.op;
  }
  throw Napi::TypeError::New(v.Env(), std::string("binary: unknown op '") + buf + "'");
}

struct AddF { static R1TS_INLINE float F(float a, float b) { return a + b; } };
struct SubF { static R1TS_INLINE float F(float a, float b) { return a - b; } };
struct MulF { static R1TS_INLINE float F(float a, float b) { return a * b; } };
struct DivF { static R1TS_INLINE float F(float a, float b) { return a / b; } };
// NaN in either input gives NaN, as torch.maximum/minimum do.
struct MaxF { static R1TS_INLINE float F(float a, float b) { return (a > b || a != a) ? a : b; } };
struct MinF { static R1TS_INLINE float F(float a, float b) { return (a < b || a != a) ? a : b; } };
struct PowF { static R1TS_INLINE float F(float a, float b) { return std::pow(a, b); } };
struct EqF { static R1TS_INLINE float F(float a, float b) { return a == b ? 1.f : 0.f; } };
struct NeF { static R1TS_INLINE float F(float a, float b) { return a != b ? 1.f : 0.f; } };
struct LtF { static R1TS_INLINE float F(float a, float b) { return a < b ? 1.f : 0.f; } };
struct LeF { static R1TS_INLINE float F(float a, float b) { return a <= b ? 1.f : 0.f; } };
struct GtF { static R1TS_INLINE float F(float a, float b) { return a > b ? 1.f : 0.f; } };
struct GeF { static R1TS_INLINE float F(float a, float b) { return a >= b ? 1.f : 0.f; } };

// Unit (1) or broadcast (0) strides known at compile time: plain loops the compiler vectorizes.
template <class Op, bool A1, bool B1>
R1TS_INLINE void BinaryUnit(float* __restrict o, const float* __restrict a, const float* __restrict b, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = Op::F(a[A1 ? i : 0], b[B1 ? i : 0]);
}

template <class Op>
R1TS_INLINE void BinaryStrided(float* __restrict o, const float* __restrict a, int64_t sa, const float* __restrict b,
                               int64_t sb, int64_t n) {
  if (sa == 1 && sb == 1) return BinaryUnit<Op, true, true>(o, a, b, n);
  if (sa == 1 && sb == 0) return BinaryUnit<Op, true, false>(o, a, b, n);
  if (sa == 0 && sb == 1) return BinaryUnit<Op, false, true>(o, a, b, n);
  if (sa == 0 && sb == 0) return BinaryUnit<Op, false, false>(o, a, b, n);
  for (int64_t i = 0; i < n; i++) o[i] = Op::F(a[i * sa], b[i * sb]);
}

R1TS_CLONES void BinaryRow(BOp op, float* o, const float* a, int64_t sa, const float* b, int64_t sb, int64_t n) {
  switch (op) {
    case BOp::Add: return BinaryStrided<AddF>(o, a, sa, b, sb, n);
    case BOp::Sub: return BinaryStrided<SubF>(o, a, sa, b, sb, n);
    case BOp::Mul: return BinaryStrided<MulF>(o, a, sa, b, sb, n);
    case BOp::Div: return BinaryStrided<DivF>(o, a, sa, b, sb, n);
    case BOp::Maximum: return BinaryStrided<MaxF>(o, a, sa, b, sb, n);
    case BOp::Minimum: return BinaryStrided<MinF>(o, a, sa, b, sb, n);
    case BOp::Pow: return BinaryStrided<PowF>(o, a, sa, b, sb, n);
    case BOp::Eq: return BinaryStrided<EqF>(o, a, sa, b, sb, n);
    case BOp::Ne: return BinaryStrided<NeF>(o, a, sa, b, sb, n);
    case BOp::Lt: return BinaryStrided<LtF>(o, a, sa, b, sb, n);
    case BOp::Le: return BinaryStrided<LeF>(o, a, sa, b, sb, n);
    case BOp::Gt: return BinaryStrided<GtF>(o, a, sa, b, sb, n);
    case BOp::Ge: return BinaryStrided<GeF>(o, a, sa, b, sb, n);
  }
}

// binary(op, out, aData, aOffset, aStrides, bData, bOffset, bStrides, shape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  NeedArgs(info, 9, "binary");
  BOp op = ParseBinary(info[0]);
  int64_t total;
  Dims shape = ReadShape(info[8], "binary: shape", &total);
  float* out = F32(info[1], total, "binary: out");
  Strided in[2] = {ReadStrided(info, 2, shape, total, "binary: a"), ReadStrided(info, 5, shape, total, "binary: b")};
  if (total == 0) return info.Env().Undefined();
  Space<2> sp = Coalesce<2>(shape, in);
  int64_t grain = op == BOp::Pow ? kMathGrain : kCheapGrain;
  ForEachRow<2>(sp, out, grain, [op](float* o, const float* const* p, const int64_t* s, int64_t n) {
    BinaryRow(op, o, p[0], s[0], p[1], s[1], n);
  });
  return info.Env().Undefined();
}

// ---- where -------------------------------------------------------------------------------------

template <bool C1, bool A1, bool B1>
R1TS_INLINE void WhereUnit(float* __restrict o, const float* __restrict c, const float* __restrict a,
                           const float* __restrict b, int64_t n) {
  for (int64_t i = 0; i < n; i++) o[i] = c[C1 ? i : 0] != 0.f ? a[A1 ? i : 0] : b[B1 ? i : 0];
}

R1TS_CLONES void WhereRow(float* o, const float* c, int64_t sc, const float* a, int64_t sa, const float* b, int64_t sb,
                          int64_t n) {
  auto unit = [](int64_t s) { return s == 0 || s == 1; };
  if (unit(sc) && unit(sa) && unit(sb)) {
    switch ((sc << 2) | (sa << 1) | sb) {
      case 0: return WhereUnit<false, false, false>(o, c, a, b, n);
      case 1: return WhereUnit<false, false, true>(o, c, a, b, n);
      case 2: return WhereUnit<false, true, false>(o, c, a, b, n);
      case 3: return WhereUnit<false, true, true>(o, c, a, b, n);
      case 4: return WhereUnit<true, false, false>(o, c, a, b, n);
      case 5: return WhereUnit<true, false, true>(o, c, a, b, n);
      case 6: return WhereUnit<true, true, false>(o, c, a, b, n);
      default: return WhereUnit<true, true, true>(o, c, a, b, n);
    }
  }
  for (int64_t i = 0; i < n; i++) o[i] = c[i * sc] != 0.f ? a[i * sa] : b[i * sb];
}

// where(out, condData, condOffset, condStrides, aData, aOffset, aStrides, bData, bOffset, bStrides, shape)
Napi::Value Where(const Napi::CallbackInfo& info) {
  NeedArgs(info, 11, "where");
  int64_t total;
  Dims shape = ReadShape(info[10], "where: shape", &total);
  float* out = F32(info[0], total, "where: out");
  Strided in[3] = {ReadStrided(info, 1, shape, total, "where: cond"), ReadStrided(info, 4, shape, total, "where: a"),
                   ReadStrided(info, 7, shape, total, "where: b")};
  if (total == 0) return info.Env().Undefined();
  Space<3> sp = Coalesce<3>(shape, in);
  ForEachRow<3>(sp, out, kCheapGrain, [](float* o, const float* const* p, const int64_t* s, int64_t n) {
    WhereRow(o, p[0], s[0], p[1], s[1], p[2], s[2], n);
  });
  return info.Env().Undefined();
}

}  // namespace

void InitElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward, "unaryBackward"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
}

}  // namespace r1ts
