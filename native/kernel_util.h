// Argument checking and work splitting shared by the kernel files (memory, gemm, elementwise, reduce,
// layers, indexing, attention, optim). Errors are JS TypeErrors/RangeErrors whose text names the
// kernel and the argument, "what[: part]: problem"; the checks are inline, the throwing paths are in
// kernel_util.cc, so no string is built unless an argument is bad.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "common.h"

namespace r1ts {

// ---- errors (kernel_util.cc) -------------------------------------------------------------------

// Error text "what[: part]" (part may be null).
std::string Name(const char* what, const char* part);
[[noreturn]] void RangeFail(Napi::Env env, const std::string& msg);
// Throws TypeError (or RangeError) "what[: part]: problem".
[[noreturn]] void ArgTypeFail(Napi::Env env, const char* what, const char* part, const char* problem);
[[noreturn]] void ArgRangeFail(Napi::Env env, const char* what, const char* part, const char* problem);
[[noreturn]] void ArgCountFail(const Napi::CallbackInfo& info, size_t n, const char* kernel);
// RangeError "what[: part]: expected a non-negative integer, got <v>".
[[noreturn]] void SizeFail(const Napi::Value& v, const char* what, const char* part);
[[noreturn]] void SizesTooLarge(Napi::Env env, const char* kernel);

// ---- arguments ---------------------------------------------------------------------------------

// 2^53 - 1 (Number.MAX_SAFE_INTEGER): sizes, offsets and strides must be integers a double holds exactly.
constexpr double kMaxSafeInt = 9007199254740991.0;

inline void NeedArgs(const Napi::CallbackInfo& info, size_t n, const char* kernel) {
  if (info.Length() < n) ArgCountFail(info, n, kernel);
}

inline double Num(const Napi::Value& v, const char* what, const char* part = nullptr) {
  if (!v.IsNumber()) ArgTypeFail(v.Env(), what, part, "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline bool Flag(const Napi::Value& v, const char* what, const char* part = nullptr) {
  if (!v.IsBoolean()) ArgTypeFail(v.Env(), what, part, "expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

// A size or offset: an integer in [0, 2^53 - 1].
inline int64_t Size(const Napi::Value& v, const char* what, const char* part = nullptr) {
  double d = Num(v, what, part);
  if (!(d >= 0 && d <= kMaxSafeInt) || d != std::floor(d)) SizeFail(v, what, part);
  return static_cast<int64_t>(d);
}

// a * b of two sizes, refusing products past 2^53 (a wrapped product would defeat the length checks).
inline int64_t Mul(Napi::Env env, int64_t a, int64_t b, const char* kernel) {
  __int128 p = static_cast<__int128>(a) * b;
  if (p > (static_cast<__int128>(1) << 53)) SizesTooLarge(env, kernel);
  return static_cast<int64_t>(p);
}

// F32 / I32 (common.h) of an array that must hold at least `need` elements.
inline float* F32(const Napi::Value& v, int64_t need, const char* what) {
  float* p = F32(v, what);
  CheckLength(v, static_cast<size_t>(need), what);
  return p;
}
inline int32_t* I32(const Napi::Value& v, int64_t need, const char* what) {
  int32_t* p = I32(v, what);
  CheckLength(v, static_cast<size_t>(need), what);
  return p;
}

// An op name read into a stack buffer (no allocation: this runs on every tiny elementwise call).
void OpName(const Napi::Value& v, const char* kernel, char (&buf)[16]);

// ---- work splitting ----------------------------------------------------------------------------

// Elements per chunk of parallel work: cheap ops are memory bound, transcendental ones are not.
constexpr int64_t kCheapGrain = 1 << 16;
constexpr int64_t kMathGrain = 1 << 14;

// ParallelFor, but small work (n <= grain) runs inline: no std::function, no pool wake-up.
template <class F>
void Parallel(int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  if (n <= grain) {
    fn(int64_t{0}, n);
    return;
  }
  ParallelFor(n, grain, fn);
}

// Items per chunk when each item (a row) costs `n` elements: max(1, grain / n).
inline int64_t RowGrain(int64_t grain, int64_t n) { return std::max<int64_t>(1, grain / std::max<int64_t>(n, 1)); }

// Runs fn(o, i0, w) over the tiles of 1024 columns of an [outer, inner] output, in parallel when the
// work is big; a tile costs rowsPerTile rows of its width. Tiles own disjoint outputs, so
// accumulating kernels need no atomics and do not depend on the thread count.
template <class F>
void ForColumnTiles(int64_t outer, int64_t inner, int64_t rowsPerTile, int64_t grain, F fn) {
  constexpr int64_t kTile = 1024;
  if (inner == 0) return;
  const int64_t tileW = std::min(inner, kTile), perOuter = (inner + tileW - 1) / tileW;
  Parallel(outer * perOuter, RowGrain(grain, rowsPerTile * tileW), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      int64_t o = t / perOuter, i0 = (t % perOuter) * tileW;
      fn(o, i0, std::min(tileW, inner - i0));
    }
  });
}

}  // namespace r1ts
