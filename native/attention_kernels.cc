// Scheduling of the attention work units (see attention_kernels.h): the choice of instruction set,
// the per-thread scratch, and the loop that hands units out to the threads of the pool.
#include "attention_kernels.h"

#include <atomic>
#include <cstdlib>
#include <string>

namespace r1ts {
namespace attn {

UnitFn PickIsa(UnitFn avx512, UnitFn avx2, UnitFn base) {
  const char* force = std::getenv("R1TS_ATTENTION_ISA");
  const std::string f = force ? force : "";
  __builtin_cpu_init();
  const bool hasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (f.empty() && hasAvx2 && __builtin_cpu_supports("avx512f")) return avx512;
  if ((f.empty() || f == "avx2") && hasAvx2) return avx2;
  return base;
}

void RunUnitFn(UnitFn fn, const Problem& p, int64_t units, int workers, std::vector<Scratch>& scratch) {
  if (units <= 0) return;
  std::atomic<int64_t> next{0};
  ParallelFor(workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++)
      for (int64_t u = next.fetch_add(1, std::memory_order_relaxed); u < units;
           u = next.fetch_add(1, std::memory_order_relaxed))
        fn(p, scratch[t], u);
  });
}

ScratchSet::ScratchSet(int workers, int64_t D, int64_t Dv) {
  const auto round = [](int64_t n) { return CeilDiv(n, 16) * 16; };  // keeps every piece 64-byte aligned
  const int64_t kt = round(D * kBlockK), vt = round(Dv * kBlockK), blk = round(kBlockQ * kBlockK);
  const int64_t qs = round(kUnitRows * D), os = round(kUnitRows * Dv), rowv = round(kUnitRows);
  const int64_t per = kt + vt + 2 * blk + qs + os + 2 * rowv;
  storage.reset(new float[per * workers + 16]);
  float* base = storage.get();
  base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;
  for (int t = 0; t < workers; t++) {
    Scratch s;
    s.kt = base + per * t;
    s.vt = s.kt + kt;
    s.s = s.vt + vt;
    s.dp = s.s + blk;
    s.qs = s.dp + blk;
    s.os = s.qs + qs;
    s.m = s.os + os;
    s.l = s.m + rowv;
    perThread.push_back(s);
  }
}

int Workers(const Problem& p, int64_t units) {
  const double flops = static_cast<double>(p.B) * p.H * p.Tq * p.Tk * (p.D + p.Dv);
  if (flops < 2e5) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(NumThreads(), units)));
}

}  // namespace attn
}  // namespace r1ts
