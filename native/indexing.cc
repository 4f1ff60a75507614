// Indexing kernels: indexSelect, indexAdd, indexCopy, gather, scatterAdd, topk. See kernels.ts for the contract.
//
// Every index is validated before any work starts (a worker thread cannot throw), so a bad index
// gives a RangeError naming the kernel, the index and n, and nothing is read or written out of
// bounds. The accumulating kernels split work by (outer, column tile): duplicate indices then only
// ever meet inside one task, so no atomics are needed and results do not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fast_math.h"
#include "kernel_util.h"

namespace r1ts {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per chunk of parallel work

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

// ---- arguments ---------------------------------------------------------------------------------

// The four kernels take (dst, src, idx, outer, n, inner, m). dst and src are [outer, rows, inner] with
// n rows on one side and m on the other: kSelect kernels (indexSelect, gather) read src's n rows
// into dst's m, kAccumulate kernels (indexAdd, scatterAdd) add src's m rows into dst's n. idx holds
// one entry per row of m (indexSelect, indexAdd) or per element (gather, scatterAdd), each in [0, n).
enum class Direction { kSelect, kAccumulate };
enum class IndexPer { kRow, kElement };

struct Args {
  float* dst;
  const float* src;
  const int32_t* idx;
  int64_t outer, n, inner, m;
};

// Reads and validates every argument, indices included. `names` are the error names of dst, src and
// idx, e.g. {"gather: out", "gather: x", "gather: idx"}.
Args ReadArgs(const Napi::CallbackInfo& info, const char* kernel, const char* const (&names)[3], Direction dir,
              IndexPer per) {
  NeedArgs(info, 7, kernel);
  Napi::Env env = info.Env();
  Args a;
  a.outer = Size(info[3], kernel, "outer");
  a.n = Size(info[4], kernel, "n");
  a.inner = Size(info[5], kernel, "inner");
  a.m = Size(info[6], kernel, "m");
  // Number of elements of an [outer, rows, inner] tensor, overflow-checked.
  const auto elems = [&](int64_t rows) { return Mul(env, Mul(env, a.outer, rows, kernel), a.inner, kernel); };
  const bool select = dir == Direction::kSelect;
  a.dst = F32(info[0], elems(select ? a.m : a.n), names[0]);
  a.src = F32(info[1], elems(select ? a.n : a.m), names[1]);
  const int64_t count = per == IndexPer::kRow ? a.m : elems(a.m);
  a.idx = I32(info[2], count, names[2]);
  CheckIndices(env, a.idx, count, a.n, kernel);
  return a;
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
  const Args a = ReadArgs(info, "indexSelect", {"indexSelect: out", "indexSelect: x", "indexSelect: idx"},
                          Direction::kSelect, IndexPer::kRow);
  float* out = a.dst;
  const float* x = a.src;
  const int32_t* idx = a.idx;
  const int64_t n = a.n, m = a.m, inner = a.inner;
  Parallel(a.outer * m, RowGrain(kGrain, inner), [&](int64_t lo, int64_t hi) {
    if (inner == 1) {
      for (int64_t r = lo; r < hi; r++) out[r] = x[(r / m) * n + idx[r % m]];
      return;
    }
    for (int64_t r = lo; r < hi; r++) {
      std::memcpy(out + r * inner, x + ((r / m) * n + idx[r % m]) * inner, sizeof(float) * inner);
    }
  });
  return info.Env().Undefined();
}

// indexAdd(out, src, idx, outer, n, inner, m): out[o, idx[j], i] += src[o, j, i]
Napi::Value IndexAdd(const Napi::CallbackInfo& info) {
  const Args a = ReadArgs(info, "indexAdd", {"indexAdd: out", "indexAdd: src", "indexAdd: idx"},
                          Direction::kAccumulate, IndexPer::kRow);
  float* out = a.dst;
  const float* src = a.src;
  const int32_t* idx = a.idx;
  const int64_t n = a.n, m = a.m, inner = a.inner;
  ForColumnTiles(a.outer, inner, m, kGrain, [&](int64_t o, int64_t i0, int64_t w) {
    for (int64_t j = 0; j < m; j++) AddRow(out + (o * n + idx[j]) * inner + i0, src + (o * m + j) * inner + i0, w);
  });
  return info.Env().Undefined();
}

// indexCopy(out, src, idx, outer, n, inner, m): out[o, idx[j], i] = src[o, j, i] (idx distinct)
Napi::Value IndexCopy(const Napi::CallbackInfo& info) {
  const Args a = ReadArgs(info, "indexCopy", {"indexCopy: out", "indexCopy: src", "indexCopy: idx"},
                          Direction::kAccumulate, IndexPer::kRow);
  float* out = a.dst;
  const float* src = a.src;
  const int32_t* idx = a.idx;
  const int64_t n = a.n, m = a.m, inner = a.inner;
  Parallel(a.outer * m, RowGrain(kGrain, inner), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      std::memcpy(out + ((r / m) * n + idx[r % m]) * inner, src + r * inner, sizeof(float) * inner);
    }
  });
  return info.Env().Undefined();
}

// ---- gather / scatterAdd -----------------------------------------------------------------------

// gather(out, x, idx, outer, n, inner, m): out[o, j, i] = x[o, idx[o, j, i], i]
Napi::Value Gather(const Napi::CallbackInfo& info) {
  const Args a = ReadArgs(info, "gather", {"gather: out", "gather: x", "gather: idx"}, Direction::kSelect,
                          IndexPer::kElement);
  float* out = a.dst;
  const float* x = a.src;
  const int32_t* idx = a.idx;
  const int64_t n = a.n, m = a.m, inner = a.inner;
  Parallel(a.outer * m, RowGrain(kGrain, inner), [&](int64_t lo, int64_t hi) {
    if (inner == 1) {  // gathering single elements (e.g. one logit per row): no per-row call
      for (int64_t r = lo; r < hi; r++) out[r] = x[(r / m) * n + idx[r]];
      return;
    }
    for (int64_t r = lo; r < hi; r++) GatherRow(out + r * inner, x + (r / m) * n * inner, idx + r * inner, inner);
  });
  return info.Env().Undefined();
}

// scatterAdd(out, src, idx, outer, n, inner, m): out[o, idx[o, j, i], i] += src[o, j, i]
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  const Args a = ReadArgs(info, "scatterAdd", {"scatterAdd: out", "scatterAdd: src", "scatterAdd: idx"},
                          Direction::kAccumulate, IndexPer::kElement);
  float* out = a.dst;
  const float* src = a.src;
  const int32_t* idx = a.idx;
  const int64_t n = a.n, m = a.m, inner = a.inner;
  // Column i of outer slice o is only ever touched by the task owning (o, i): no write conflicts.
  ForColumnTiles(a.outer, inner, m, kGrain, [&](int64_t o, int64_t i0, int64_t w) {
    float* base = out + o * n * inner + i0;
    for (int64_t j = 0; j < m; j++) {
      const int64_t row = (o * m + j) * inner + i0;
      for (int64_t i = 0; i < w; i++) base[static_cast<int64_t>(idx[row + i]) * inner + i] += src[row + i];
    }
  });
  return info.Env().Undefined();
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
  int64_t rows = Size(info[3], "topk: rows"), n = Size(info[4], "topk: n"), k = Size(info[5], "topk: k");
  if (k > n) RangeFail(env, "topk: k = " + std::to_string(k) + " is not in [0, " + std::to_string(n) + "]");
  if (n > INT32_MAX) RangeFail(env, "topk: n does not fit an Int32 index");
  float* values = F32(info[0], Mul(env, rows, k, "topk"), "topk: values");
  int32_t* indices = I32(info[1], Mul(env, rows, k, "topk"), "topk: indices");
  const float* x = F32(info[2], Mul(env, rows, n, "topk"), "topk: x");
  if (k == 0) return env.Undefined();
  const bool useHeap = k * 16 <= n || k <= 8;
  Parallel(rows, RowGrain(kGrain, n), [&](int64_t lo, int64_t hi) {
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
  exports.Set("indexCopy", Napi::Function::New(env, IndexCopy, "indexCopy"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
  exports.Set("topk", Napi::Function::New(env, Topk, "topk"));
}

}  // namespace r1ts
