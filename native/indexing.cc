// Indexing kernels: indexSelect, indexAdd, gather, scatterAdd, topk. See kernels.ts for the contract.
//
// Every index is validated before any work starts (a worker thread cannot throw), so a bad index
// gives a RangeError naming the kernel, the index and n, and nothing is read or written out of
// bounds. The accumulating kernels split work by (outer, column tile): duplicate indices then only
// ever meet inside one task, so no atomics are needed and results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"

#define R1TS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

namespace r1ts {
namespace {

// ---- argument helpers ------------------------------------------------------------------------

[[noreturn]] void RangeFail(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

void NeedArgs(const Napi::CallbackInfo& info, size_t n, const char* kernel) {
  if (info.Length() < n) {
    throw Napi::TypeError::New(info.Env(), std::string(kernel) + ": expected " + std::to_string(n) + " arguments");
  }
}

// A size: an integer in [0, 2^53].
int64_t Size(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740992.0) || d != std::floor(d)) {
    RangeFail(v.Env(), std::string(what) + ": expected a non-negative integer");
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

constexpr int64_t kGrain = 1 << 15;  // elements per chunk of parallel work
int64_t Per(int64_t work) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(work, 1)); }

// ---- index validation --------------------------------------------------------------------------

// Whether any idx[i] lies outside [0, n): one vectorizable pass (negatives wrap to huge unsigned).
R1TS_CLONES bool AnyOutOfRange(const int32_t* idx, int64_t count, uint32_t limit) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < count; i++) bad |= static_cast<uint32_t>(idx[i]) >= limit;
  return bad != 0;
}

void CheckIndices(Napi::Env env, const int32_t* idx, int64_t count, int64_t n, const char* kernel) {
  uint32_t limit = n > INT32_MAX ? 0x80000000u : static_cast<uint32_t>(n);
  if (!AnyOutOfRange(idx, count, limit)) return;
  for (int64_t i = 0; i < count; i++) {
    if (idx[i] < 0 || idx[i] >= n) {
      RangeFail(env, std::string(kernel) + ": index " + std::to_string(idx[i]) + " at position " + std::to_string(i) +
                         " is out of range for a dimension of size " + std::to_string(n));
    }
  }
}

// The sizes (outer, n, inner, m) every indexing kernel takes at argument 3.
struct Dims {
  int64_t outer, n, inner, m;
};

Dims ReadDims(const Napi::CallbackInfo& info, const char* kernel) {
  std::string k(kernel);
  return {Size(info[3], (k + ": outer").c_str()), Size(info[4], (k + ": n").c_str()),
          Size(info[5], (k + ": inner").c_str()), Size(info[6], (k + ": m").c_str())};
}

// Number of elements of an [outer, rows, inner] tensor, overflow-checked.
int64_t Elems(Napi::Env env, const Dims& d, int64_t rows, const char* kernel) {
  return Mul(env, Mul(env, d.outer, rows, kernel), d.inner, kernel);
}

// ---- row kernels -------------------------------------------------------------------------------

R1TS_CLONES void AddRow(float* __restrict out, const float* __restrict src, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] += src[i];
}

// One output row of gather: out[i] = x[idx[i], i], with x the [n, inner] slice of its outer index.
R1TS_CLONES void GatherRow(float* __restrict out, const float* __restrict x, const int32_t* __restrict idx,
                           int64_t inner) {
  for (int64_t i = 0; i < inner; i++) out[i] = x[static_cast<int64_t>(idx[i]) * inner + i];
}

// ---- indexSelect / indexAdd --------------------------------------------------------------------

// indexSelect(out, x, idx, outer, n, inner, m): out[o, j, i] = x[o, idx[j], i]
Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "indexSelect");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "indexSelect: out");
  const float* x = F32(info[1], "indexSelect: x");
  const int32_t* idx = I32(info[2], "indexSelect: idx");
  Dims d = ReadDims(info, "indexSelect");
  CheckLength(info[0], Elems(env, d, d.m, "indexSelect"), "indexSelect: out");
  CheckLength(info[1], Elems(env, d, d.n, "indexSelect"), "indexSelect: x");
  CheckLength(info[2], d.m, "indexSelect: idx");
  CheckIndices(env, idx, d.m, d.n, "indexSelect");
  const int64_t n = d.n, m = d.m, inner = d.inner;
  Parallel(d.outer * m, Per(inner), [&](int64_t lo, int64_t hi) {
    if (inner == 1) {
      for (int64_t r = lo; r < hi; r++) out[r] = x[(r / m) * n + idx[r % m]];
      return;
    }
    for (int64_t r = lo; r < hi; r++) {
      std::memcpy(out + r * inner, x + ((r / m) * n + idx[r % m]) * inner, sizeof(float) * inner);
    }
  });
  return env.Undefined();
}

// Runs fn(o, i0, w) over (outer, column tile) pairs: the unit of work of the accumulating kernels.
template <class F>
void ForColumnTiles(int64_t outer, int64_t inner, int64_t rowsPerTask, F fn) {
  constexpr int64_t kTile = 1024;
  int64_t tileW = std::min(inner, kTile), perOuter = (inner + tileW - 1) / std::max<int64_t>(tileW, 1);
  if (inner == 0) return;
  Parallel(outer * perOuter, Per(rowsPerTask * tileW), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      int64_t o = t / perOuter, i0 = (t % perOuter) * tileW;
      fn(o, i0, std::min(tileW, inner - i0));
    }
  });
}

// indexAdd(out, src, idx, outer, n, inner, m): out[o, idx[j], i] += src[o, j, i]
Napi::Value IndexAdd(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "indexAdd");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "indexAdd: out");
  const float* src = F32(info[1], "indexAdd: src");
  const int32_t* idx = I32(info[2], "indexAdd: idx");
  Dims d = ReadDims(info, "indexAdd");
  CheckLength(info[0], Elems(env, d, d.n, "indexAdd"), "indexAdd: out");
  CheckLength(info[1], Elems(env, d, d.m, "indexAdd"), "indexAdd: src");
  CheckLength(info[2], d.m, "indexAdd: idx");
  CheckIndices(env, idx, d.m, d.n, "indexAdd");
  const int64_t n = d.n, m = d.m, inner = d.inner;
  ForColumnTiles(d.outer, inner, m, [&](int64_t o, int64_t i0, int64_t w) {
    for (int64_t j = 0; j < m; j++) AddRow(out + (o * n + idx[j]) * inner + i0, src + (o * m + j) * inner + i0, w);
  });
  return env.Undefined();
}

// ---- gather / scatterAdd -----------------------------------------------------------------------

// gather(out, x, idx, outer, n, inner, m): out[o, j, i] = x[o, idx[o, j, i], i]
Napi::Value Gather(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "gather");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "gather: out");
  const float* x = F32(info[1], "gather: x");
  const int32_t* idx = I32(info[2], "gather: idx");
  Dims d = ReadDims(info, "gather");
  int64_t count = Elems(env, d, d.m, "gather");
  CheckLength(info[0], count, "gather: out");
  CheckLength(info[1], Elems(env, d, d.n, "gather"), "gather: x");
  CheckLength(info[2], count, "gather: idx");
  CheckIndices(env, idx, count, d.n, "gather");
  const int64_t n = d.n, m = d.m, inner = d.inner;
  Parallel(d.outer * m, Per(inner), [&](int64_t lo, int64_t hi) {
    if (inner == 1) {  // gathering single elements (e.g. one logit per row): no per-row call
      for (int64_t r = lo; r < hi; r++) out[r] = x[(r / m) * n + idx[r]];
      return;
    }
    for (int64_t r = lo; r < hi; r++) GatherRow(out + r * inner, x + (r / m) * n * inner, idx + r * inner, inner);
  });
  return env.Undefined();
}

// scatterAdd(out, src, idx, outer, n, inner, m): out[o, idx[o, j, i], i] += src[o, j, i]
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  NeedArgs(info, 7, "scatterAdd");
  Napi::Env env = info.Env();
  float* out = F32(info[0], "scatterAdd: out");
  const float* src = F32(info[1], "scatterAdd: src");
  const int32_t* idx = I32(info[2], "scatterAdd: idx");
  Dims d = ReadDims(info, "scatterAdd");
  int64_t count = Elems(env, d, d.m, "scatterAdd");
  CheckLength(info[0], Elems(env, d, d.n, "scatterAdd"), "scatterAdd: out");
  CheckLength(info[1], count, "scatterAdd: src");
  CheckLength(info[2], count, "scatterAdd: idx");
  CheckIndices(env, idx, count, d.n, "scatterAdd");
  const int64_t n = d.n, m = d.m, inner = d.inner;
  // Column i of outer slice o is only ever touched by the task owning (o, i): no write conflicts.
  ForColumnTiles(d.outer, inner, m, [&](int64_t o, int64_t i0, int64_t w) {
    float* base = out + o * n * inner + i0;
    for (int64_t j = 0; j < m; j++) {
      const int64_t row = (o * m + j) * inner + i0;
      for (int64_t i = 0; i < w; i++) base[static_cast<int64_t>(idx[row + i]) * inner + i] += src[row + i];
    }
  });
  return env.Undefined();
}

// ---- topk --------------------------------------------------------------------------------------

// The ranking of topk: larger value first, NaN above everything (as in PyTorch), then lower index.
struct Ranked {
  float v;
  int32_t i;
};
inline bool Before(const Ranked& a, const Ranked& b) {
  bool an = a.v != a.v, bn = b.v != b.v;
  if (an || bn) return an && bn ? a.i < b.i : an;
  if (a.v != b.v) return a.v > b.v;
  return a.i < b.i;
}

// Whether any of x[0, 64) could enter the heap: above the root's value, or NaN (vectorizable).
R1TS_CLONES bool AnyAbove(const float* x, float worst) {
  int hit = 0;
  for (int k = 0; k < 64; k++) hit |= (x[k] > worst) | (x[k] != x[k]);
  return hit != 0;
}

// The k best of a row with a bounded heap whose root is the worst kept element; most elements
// are rejected 64 at a time by AnyAbove, the rest by one comparison with the root's value.
// Good for k much smaller than n.
void TopkHeap(const float* x, int64_t n, int64_t k, std::vector<Ranked>& heap, float* values, int32_t* indices) {
  heap.resize(k);
  for (int64_t j = 0; j < k; j++) heap[j] = {x[j], static_cast<int32_t>(j)};
  std::make_heap(heap.begin(), heap.end(), Before);
  float worst = heap.front().v;
  for (int64_t j = k; j < n; j++) {
    if ((j & 63) == 0 && j + 64 <= n && !AnyAbove(x + j, worst)) {
      j += 63;
      continue;
    }
    float v = x[j];
    if (!(v > worst) && v == v) continue;  // cannot beat the root (ties lose: j is a later index)
    Ranked c{v, static_cast<int32_t>(j)};
    if (!Before(c, heap.front())) continue;
    std::pop_heap(heap.begin(), heap.end(), Before);
    heap.back() = c;
    std::push_heap(heap.begin(), heap.end(), Before);
    worst = heap.front().v;
  }
  std::sort_heap(heap.begin(), heap.end(), Before);
  for (int64_t j = 0; j < k; j++) values[j] = heap[j].v, indices[j] = heap[j].i;
}

// The k best when k is a large fraction of n: selection then sort of the first k.
void TopkSelect(const float* x, int64_t n, int64_t k, std::vector<Ranked>& all, float* values, int32_t* indices) {
  all.resize(n);
  for (int64_t j = 0; j < n; j++) all[j] = {x[j], static_cast<int32_t>(j)};
  if (k < n) std::nth_element(all.begin(), all.begin() + k, all.end(), Before);
  std::sort(all.begin(), all.begin() + k, Before);
  for (int64_t j = 0; j < k; j++) values[j] = all[j].v, indices[j] = all[j].i;
}

// topk(values, indices, x, rows, n, k)
Napi::Value Topk(const Napi::CallbackInfo& info) {
  NeedArgs(info, 6, "topk");
  Napi::Env env = info.Env();
  float* values = F32(info[0], "topk: values");
  int32_t* indices = I32(info[1], "topk: indices");
  const float* x = F32(info[2], "topk: x");
  int64_t rows = Size(info[3], "topk: rows"), n = Size(info[4], "topk: n"), k = Size(info[5], "topk: k");
  if (k > n) RangeFail(env, "topk: k = " + std::to_string(k) + " is not in [0, " + std::to_string(n) + "]");
  if (n > INT32_MAX) RangeFail(env, "topk: n does not fit an Int32 index");
  CheckLength(info[0], Mul(env, rows, k, "topk"), "topk: values");
  CheckLength(info[1], Mul(env, rows, k, "topk"), "topk: indices");
  CheckLength(info[2], Mul(env, rows, n, "topk"), "topk: x");
  if (k == 0) return env.Undefined();
  const bool useHeap = k * 16 <= n || k <= 8;
  Parallel(rows, Per(n), [&](int64_t lo, int64_t hi) {
    std::vector<Ranked> scratch;
    for (int64_t r = lo; r < hi; r++) {
      if (useHeap) {
        TopkHeap(x + r * n, n, k, scratch, values + r * k, indices + r * k);
      } else {
        TopkSelect(x + r * n, n, k, scratch, values + r * k, indices + r * k);
      }
    }
  });
  return env.Undefined();
}

}  // namespace

void InitIndexing(Napi::Env env, Napi::Object exports) {
  exports.Set("indexSelect", Napi::Function::New(env, IndexSelect, "indexSelect"));
  exports.Set("indexAdd", Napi::Function::New(env, IndexAdd, "indexAdd"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
  exports.Set("topk", Napi::Function::New(env, Topk, "topk"));
}

}  // namespace r1ts
