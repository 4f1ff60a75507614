// Optimizer kernels: AdamW with PyTorch's semantics (decoupled weight decay, bias-corrected moments).
#include <cmath>
#include <string>

#include "kernel_util.h"

#if defined(__x86_64__) || defined(__i386__)
#define R1TS_CLONES __attribute__((target_clones("default", "avx2", "arch=skylake-avx512")))
#else
#define R1TS_CLONES
#endif

namespace r1ts {

namespace {

// The element loop, in double precision like the TypeScript reference (the moments are rounded to
// float only when stored, so 1 - beta1 and friends lose nothing). AdamW is memory-bound, so the double
// arithmetic costs no time; compiled for several ISAs so it vectorises wide (sqrt and div included).
R1TS_CLONES void AdamWLoop(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
                           double decay, double b1, double b2, double stepSize, double invBc2, double eps) {
  const double c1 = 1 - b1, c2 = 1 - b2;
  for (int64_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = b1 * m[i] + c1 * gi;
    const double vi = b2 * v[i] + c2 * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    // As torch.optim.AdamW: p ← p·(1 − lr·wd) − lr/(1 − b1^t) · m / (sqrt(v/(1 − b2^t)) + eps).
    p[i] = static_cast<float>(p[i] * decay - stepSize * mi / (std::sqrt(vi * invBc2) + eps));
  }
}

Napi::Value AdamW(const Napi::CallbackInfo& info) {
  NeedArgs(info, 11, "adamw");
  Napi::Env env = info.Env();
  const int64_t n = Size(info[4], "adamw", "n");
  float* p = F32(info[0], n, "adamw: param");
  const float* g = F32(info[1], n, "adamw: grad");
  float* m = F32(info[2], n, "adamw: m");
  float* v = F32(info[3], n, "adamw: v");
  const double lr = Num(info[5], "adamw", "lr"), b1 = Num(info[6], "adamw", "beta1"), b2 = Num(info[7], "adamw", "beta2");
  const double eps = Num(info[8], "adamw", "eps"), wd = Num(info[9], "adamw", "weightDecay");
  const double step = Num(info[10], "adamw", "step");
  if (!(step >= 1)) throw Napi::RangeError::New(env, "adamw: step: expected >= 1 (the step number after this update), got " +
                                                            info[10].ToString().Utf8Value());
  const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
  ParallelFor(n, 1 << 15, [&](int64_t b, int64_t e) {
    AdamWLoop(p + b, g + b, m + b, v + b, e - b, 1 - lr * wd, b1, b2, lr / bc1, 1 / bc2, eps);
  });
  return env.Undefined();
}

}  // namespace

void InitOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamw", Napi::Function::New(env, AdamW, "adamw"));
}

}  // namespace r1ts
