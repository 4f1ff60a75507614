// Memory-efficient attention (FlashAttention style) on the CPU: `attention` and `attentionBackward`.
//
// Layouts (dense, row-major): q [B,H,Tq,D], k [B,Hk,Tk,D], v [B,Hk,Tk,Dv], out [B,H,Tq,Dv], lse [B,H,Tq].
// Query head h reads kv head h / (H/Hk). scores = scale·q·kᵀ + mask (optional, strided, 0 strides
// broadcast, -Infinity hides a key); with `causal`, query i sees key j only when j <= i + (Tk - Tq).
//
// Nothing of size Tq×Tk is ever stored: work goes in blocks of kBlockQ queries × kBlockK keys with a
// scratch per thread whose size depends only on the block sizes and D, Dv. The forward pass keeps a
// running max and sum per query row (online softmax) and saves only out and the row log-sum-exp;
// the backward pass recomputes the probabilities of each block from lse.
//
// Threads: the forward pass splits the rows of every kv head into units; in the backward pass a
// thread owns a whole kv head (its gk, gv and the gq of the query heads sharing it), so nothing is
// written by two threads. Units are handed out from a shared counter (causal units differ in cost).
// Blocks entirely above the causal diagonal are skipped, and the products of diagonal blocks skip
// the hidden part tile by tile (see Band).
//
// The block products are small GEMMs done by our own register-tiled kernel (attention_kernels.h),
// written with GCC vector extensions and compiled three times (AVX-512, AVX2+FMA, baseline SSE2); the
// best one the CPU supports is chosen at run time, so the binary runs on any x86-64. cblas_sgemm is not
// used: the blocks are small (64×64×64) with row-wise softmax work between the products, and a
// threaded OpenBLAS called from inside our own pool would compete with it for the cores.
//
// Files: this one checks the arguments and registers the kernels; attention_forward.cc and
// attention_backward.cc hold the two passes, attention_kernels.h the shared blocked micro-kernels and
// attention_kernels.cc the scheduling (instruction set, scratch, threads).
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <new>
#include <string>
#include <utility>

#include "attention_kernels.h"
#include "kernel_util.h"

namespace r1ts {
namespace {

using attn::Problem;

// ---- argument checking -----------------------------------------------------------------------
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* kernel, const char* name, int64_t lo,
               int64_t hi) {
  const Napi::Value v = info[index];
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(kernel) + ": " + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi) && d == std::floor(d))) {
    throw Napi::RangeError::New(info.Env(), std::string(kernel) + ": " + name + " must be an integer in [" +
                                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

std::string Shape(std::initializer_list<std::pair<const char*, int64_t>> dims) {
  std::string s = "[";
  for (const auto& d : dims) s += (s.size() > 1 ? ", " : "") + std::string(d.first) + "=" + std::to_string(d.second);
  return s + "]";
}

// A Float32Array argument holding at least the product of `dims` elements.
float* TensorArg(const Napi::CallbackInfo& info, size_t index, const char* kernel, const char* name,
                 std::initializer_list<std::pair<const char*, int64_t>> dims) {
  const std::string what = std::string(kernel) + ": " + name;
  float* data = F32(info[index], what.c_str());
  int64_t need = 1;
  for (const auto& d : dims) {
    if (__builtin_mul_overflow(need, d.second, &need)) {
      throw Napi::RangeError::New(info.Env(), what + " " + Shape(dims) + " is too large");
    }
  }
  const size_t have = Length(info[index]);
  if (static_cast<uint64_t>(need) > have) {
    throw Napi::RangeError::New(info.Env(), what + " " + Shape(dims) + " needs " + std::to_string(need) +
                                                " elements but the Float32Array has " + std::to_string(have));
  }
  return data;
}

// Reads the shared tail (B, H, Hk, Tq, Tk, D, Dv, scale, causal, maskData, maskOffset, maskStrides)
// starting at argument `t`.
void ParseTail(const Napi::CallbackInfo& info, size_t t, const char* kernel, Problem& p) {
  const Napi::Env env = info.Env();
  NeedArgs(info, t + 12, kernel);
  constexpr int64_t kMaxDim = 0x7fffffff;  // block arithmetic uses int for sizes within a head
  p.B = IntArg(info, t + 0, kernel, "B", 0, kMaxDim);
  p.H = IntArg(info, t + 1, kernel, "H", 1, kMaxDim);
  p.Hk = IntArg(info, t + 2, kernel, "Hk", 1, kMaxDim);
  p.Tq = IntArg(info, t + 3, kernel, "Tq", 0, kMaxDim);
  p.Tk = IntArg(info, t + 4, kernel, "Tk", 0, kMaxDim);
  p.D = IntArg(info, t + 5, kernel, "D", 1, kMaxDim);
  p.Dv = IntArg(info, t + 6, kernel, "Dv", 1, kMaxDim);
  if (p.H % p.Hk != 0) {
    throw Napi::RangeError::New(env, std::string(kernel) + ": H=" + std::to_string(p.H) +
                                         " must be a multiple of Hk=" + std::to_string(p.Hk));
  }
  p.G = p.H / p.Hk;
  if (!info[t + 7].IsNumber()) throw Napi::TypeError::New(env, std::string(kernel) + ": scale must be a number");
  p.scale = static_cast<float>(info[t + 7].As<Napi::Number>().DoubleValue());
  if (!info[t + 8].IsBoolean()) throw Napi::TypeError::New(env, std::string(kernel) + ": causal must be a boolean");
  p.causal = info[t + 8].As<Napi::Boolean>().Value();

  const Napi::Value maskData = info[t + 9];
  if (maskData.IsNull() || maskData.IsUndefined()) return;
  const std::string what = std::string(kernel) + ": mask";
  const float* mask = F32(maskData, what.c_str());
  const int64_t off = IntArg(info, t + 10, kernel, "maskOffset", 0, static_cast<int64_t>(kMaxSafeInt));
  const Napi::Value sv = info[t + 11];
  if (!sv.IsArray() || sv.As<Napi::Array>().Length() != 4) {
    throw Napi::TypeError::New(env, what + ": maskStrides must be an array of 4 numbers (for [B, H, Tq, Tk])");
  }
  int64_t st[4];
  const int64_t dims[4] = {p.B, p.H, p.Tq, p.Tk};
  // Every element the kernel may read, offset + Σ i_k·stride_k with 0 <= i_k < dims_k, must lie in the array.
  __int128 lo = off, hi = off;
  for (uint32_t d = 0; d < 4; d++) {
    const Napi::Value x = sv.As<Napi::Array>().Get(d);
    const double v = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : std::nan("");
    if (!(std::fabs(v) <= kMaxSafeInt && v == std::floor(v))) {
      throw Napi::TypeError::New(env, what + ": maskStrides must be integers");
    }
    st[d] = static_cast<int64_t>(v);
    const __int128 span = static_cast<__int128>(st[d]) * (dims[d] > 0 ? dims[d] - 1 : 0);
    (span < 0 ? lo : hi) += span;
  }
  const bool empty = p.B == 0 || p.Tq == 0 || p.Tk == 0;
  const size_t len = Length(maskData);
  if (!empty && (lo < 0 || hi >= static_cast<__int128>(len))) {
    throw Napi::RangeError::New(env, what + " with offset " + std::to_string(off) + " and strides [" +
                                         std::to_string(st[0]) + ", " + std::to_string(st[1]) + ", " +
                                         std::to_string(st[2]) + ", " + std::to_string(st[3]) + "] over " +
                                         Shape({{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Tk", p.Tk}}) +
                                         " reads outside its Float32Array of " + std::to_string(len) + " elements");
  }
  if (!empty) p.mask = mask + off;
  p.msb = st[0];
  p.msh = st[1];
  p.msi = st[2];
  p.msj = st[3];
}
// k or v at argument `index`: dense [B, Hk, Tk, width], or, with the layout array at `layoutIndex`
// ([offset, strideB, strideHk, strideTk]), a view whose rows are read in place. Returns the data
// (offset applied) and sets the three strides.
const float* KvArg(const Napi::CallbackInfo& info, size_t index, size_t layoutIndex, const char* name, const Problem& p, int64_t width,
                   int64_t& sB, int64_t& sH, int64_t& sT) {
  const char* K = "attention";
  const Napi::Value l = info.Length() > layoutIndex ? info[layoutIndex] : info.Env().Null();
  if (l.IsNull() || l.IsUndefined()) {
    sT = width, sH = p.Tk * width, sB = p.Hk * p.Tk * width;
    return TensorArg(info, index, K, name, {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {name[0] == 'k' ? "D" : "Dv", width}});
  }
  const std::string what = std::string(K) + ": " + name + " layout";
  if (!l.IsArray() || l.As<Napi::Array>().Length() != 4) throw Napi::TypeError::New(info.Env(), what + " must be [offset, strideB, strideHk, strideTk]");
  int64_t v[4];
  for (uint32_t i = 0; i < 4; i++) {
    const Napi::Value x = l.As<Napi::Array>().Get(i);
    const double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= kMaxSafeInt && d == std::floor(d))) throw Napi::TypeError::New(info.Env(), what + " entries must be non-negative integers");
    v[i] = static_cast<int64_t>(d);
  }
  sB = v[1], sH = v[2], sT = v[3];
  float* data = F32(info[index], (std::string(K) + ": " + name).c_str());
  if (p.B > 0 && p.Hk > 0 && p.Tk > 0) {
    const __int128 last = static_cast<__int128>(v[0]) + static_cast<__int128>(p.B - 1) * sB + static_cast<__int128>(p.Hk - 1) * sH +
                          static_cast<__int128>(p.Tk - 1) * sT + width - 1;
    if (last >= static_cast<__int128>(Length(info[index]))) throw Napi::RangeError::New(info.Env(), what + " reads past the end of its Float32Array");
  }
  return data + v[0];
}

// attention(out, lse, q, k, v, B, H, Hk, Tq, Tk, D, Dv, scale, causal, maskData, maskOffset, maskStrides[, kLayout, vLayout])
void Attention(const Napi::CallbackInfo& info) {
  const char* K = "attention";
  Problem p;
  ParseTail(info, 5, K, p);
  p.out = TensorArg(info, 0, K, "out", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.lse = TensorArg(info, 1, K, "lse", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}});
  p.q = TensorArg(info, 2, K, "q", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.k = KvArg(info, 3, 17, "k", p, p.D, p.kB, p.kH, p.kT);
  p.v = KvArg(info, 4, 18, "v", p, p.Dv, p.vB, p.vH, p.vT);
  try {
    attn::Forward(p);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "attention: out of memory for the per-thread scratch");
  }
}

// attentionBackward(gq, gk, gv, gout, q, k, v, out, lse, B, H, Hk, Tq, Tk, D, Dv, scale, causal,
//                   maskData, maskOffset, maskStrides)
void AttentionBackward(const Napi::CallbackInfo& info) {
  const char* K = "attentionBackward";
  Problem p;
  ParseTail(info, 9, K, p);
  p.gq = TensorArg(info, 0, K, "gq", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.gk = TensorArg(info, 1, K, "gk", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"D", p.D}});
  p.gv = TensorArg(info, 2, K, "gv", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"Dv", p.Dv}});
  p.gout = TensorArg(info, 3, K, "gout", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.q = TensorArg(info, 4, K, "q", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"D", p.D}});
  p.k = TensorArg(info, 5, K, "k", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"D", p.D}});
  p.v = TensorArg(info, 6, K, "v", {{"B", p.B}, {"Hk", p.Hk}, {"Tk", p.Tk}, {"Dv", p.Dv}});
  p.outIn = TensorArg(info, 7, K, "out", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}, {"Dv", p.Dv}});
  p.lseIn = TensorArg(info, 8, K, "lse", {{"B", p.B}, {"H", p.H}, {"Tq", p.Tq}});
  try {
    attn::Backward(p);
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "attentionBackward: out of memory for the per-thread scratch");
  }
}

}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, Attention, "attention"));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward, "attentionBackward"));
}

}  // namespace r1ts
