// expertMlp: the routed experts of one DeepSeekMoE layer in one call, for inference. Each expert runs
// its SwiGLU MLP, down( silu(x·Wgᵀ) ⊙ x·Wuᵀ ), on its own contiguous block of token rows; experts are
// spread over the thread pool (each product then runs on one thread). In decoding every expert gets a
// few rows, so one call per projection per expert from JS cost more in dispatch than in arithmetic.
#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "gemm_kernels.h"
#include "kernel_util.h"

namespace r1ts {

namespace {

using gemm::BType;

thread_local gemm::Scratch gateScratch, upScratch;

// y[rows, N] = x[rows, K] · Wᵀ with W [N, K] (a Linear weight as stored).
void Linear(float* y, const float* x, int64_t rows, int64_t K, int64_t N, const void* w, BType bt) {
  gemm::Problem p{};
  p.ta = false, p.tb = true, p.M = rows, p.N = N, p.K = K, p.alpha = 1, p.beta = 0;
  p.a = x, p.lda = K, p.b = w, p.bt = bt, p.ldb = K, p.c = y, p.ldc = N, p.batch = 1;
  gemm::RunGemm(p);
}

const void* Weights(const Napi::Array& list, uint32_t i, BType bt, int64_t need, const char* what) {
  const Napi::Value v = list.Get(i);
  if (Length(v) < static_cast<size_t>(need)) {
    throw Napi::RangeError::New(v.Env(), std::string("expertMlp: ") + what + " " + std::to_string(i) + " has " + std::to_string(Length(v)) +
                                             " elements, needs " + std::to_string(need));
  }
  return bt == gemm::kF32 ? static_cast<const void*>(F32(v, what)) : static_cast<const void*>(U16(v, what));
}

// expertMlp(out, x, rows, d, inter, starts, counts, gates, ups, downs, bDtype): for expert i, rows
// [starts[i], starts[i] + counts[i]) of x [rows, d] → the same rows of out [rows, d] (overwritten).
Napi::Value ExpertMlp(const Napi::CallbackInfo& info) {
  NeedArgs(info, 11, "expertMlp");
  Napi::Env env = info.Env();
  const int64_t rows = Size(info[2], "expertMlp", "rows"), d = Size(info[3], "expertMlp", "d"), inter = Size(info[4], "expertMlp", "inter");
  float* out = F32(info[0], Mul(env, rows, d, "expertMlp"), "expertMlp: out");
  const float* x = F32(info[1], Mul(env, rows, d, "expertMlp"), "expertMlp: x");
  if (!info[7].IsArray() || !info[8].IsArray() || !info[9].IsArray()) throw Napi::TypeError::New(env, "expertMlp: gates, ups and downs must be arrays of weights");
  const Napi::Array gates = info[7].As<Napi::Array>(), ups = info[8].As<Napi::Array>(), downs = info[9].As<Napi::Array>();
  const uint32_t n = gates.Length();
  if (ups.Length() != n || downs.Length() != n) throw Napi::RangeError::New(env, "expertMlp: gates, ups and downs must list the same experts");
  const int32_t* starts = I32(info[5], n, "expertMlp: starts");
  const int32_t* counts = I32(info[6], n, "expertMlp: counts");
  const std::string dtype = info[10].IsString() ? info[10].As<Napi::String>().Utf8Value() : "";
  BType bt;
  if (dtype == "float") bt = gemm::kF32;
  else if (dtype == "bfloat16") bt = gemm::kBf16;
  else if (dtype == "float16") bt = gemm::kF16;
  else throw Napi::TypeError::New(env, "expertMlp: bDtype: expected 'float', 'bfloat16' or 'float16'");
  struct Expert {
    int64_t start, count;
    const void *gate, *up, *down;
  };
  std::vector<Expert> experts(n);
  for (uint32_t i = 0; i < n; i++) {
    if (starts[i] < 0 || counts[i] < 0 || static_cast<int64_t>(starts[i]) + counts[i] > rows) {
      throw Napi::RangeError::New(env, "expertMlp: expert " + std::to_string(i) + " rows [" + std::to_string(starts[i]) + ", " +
                                           std::to_string(static_cast<int64_t>(starts[i]) + counts[i]) + ") are outside the " + std::to_string(rows) + " rows");
    }
    experts[i] = {starts[i], counts[i], Weights(gates, i, bt, inter * d, "gate"), Weights(ups, i, bt, inter * d, "up"), Weights(downs, i, bt, d * inter, "down")};
  }
  // Experts differ in rows, so threads take the next expert from a counter rather than fixed halves,
  // the biggest first (the last ones to finish are then the cheap ones).
  std::stable_sort(experts.begin(), experts.end(), [](const Expert& a, const Expert& b) { return a.count > b.count; });
  std::atomic<int64_t> next{0};
  ParallelFor(std::min<int64_t>(n, NumThreads()), 1, [&](int64_t, int64_t) {
    for (int64_t i; (i = next.fetch_add(1)) < static_cast<int64_t>(n);) {
      const Expert& e = experts[i];
      if (e.count == 0) continue;
      const float* xe = x + e.start * d;
      float* g = gateScratch.Get(static_cast<size_t>(e.count * inter));
      float* u = upScratch.Get(static_cast<size_t>(e.count * inter));
      Linear(g, xe, e.count, d, inter, e.gate, bt);
      Linear(u, xe, e.count, d, inter, e.up, bt);
      for (int64_t j = 0; j < e.count * inter; j++) g[j] = g[j] * Sigmoid(g[j]) * u[j];
      Linear(out + e.start * d, g, e.count, inter, d, e.down, bt);
    }
  });
  return env.Undefined();
}

}  // namespace

void InitExperts(Napi::Env env, Napi::Object exports) { exports.Set("expertMlp", Napi::Function::New(env, ExpertMlp, "expertMlp")); }

}  // namespace r1ts
