// Memory kernels: off-heap float arrays, strided copies, fills and half-precision conversions.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1TS_X86 1
#endif

namespace r1ts {

namespace {

// ---- allocFloat / free ------------------------------------------------------------------------
// Each allocation owns a Block that the ArrayBuffer finalizer receives as its hint. free() frees the
// memory early and marks the block, so the finalizer (which V8 still runs later, once) only deletes the
// Block. Keying the registry by data pointer alone would be wrong: after free() the pool may hand the
// same address to a new array, and the old finalizer would then release the new array's memory.
struct Block {
  void* data;
  size_t bytes;
  bool freed;
};
std::mutex registryMutex;
std::unordered_map<void*, Block*> registry;  // live (not yet freed) blocks by data pointer

// Throws unless v is a non-negative integer below 2^53 (a valid JS size or index).
int64_t SizeArg(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": expected a non-negative integer, got " + v.ToString().Utf8Value());
  }
  return static_cast<int64_t>(d);
}

Napi::Value AllocFloat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n = SizeArg(info[0], "allocFloat: n");
  if (n > (int64_t(1) << 40)) throw Napi::RangeError::New(env, "allocFloat: n too large: " + std::to_string(n));
  // The block is a pool size class (a multiple of 64 bytes, as aligned_alloc requires); never 0 bytes.
  size_t bytes = static_cast<size_t>(n) * sizeof(float);
  size_t alloc = PoolClassSize(bytes);
  void* data = PoolAcquire(alloc);
  if (!data) throw Napi::Error::New(env, "allocFloat: out of memory allocating " + std::to_string(bytes) + " bytes");
  std::memset(data, 0, bytes);
  auto* block = new Block{data, alloc, false};
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry[data] = block;
  }
  auto finalize = [](Napi::Env env, void*, Block* b) {
    {
      std::lock_guard<std::mutex> lock(registryMutex);
      if (!b->freed) registry.erase(b->data);
    }
    if (!b->freed) {
      PoolRelease(b->data, b->bytes);
      Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(b->bytes));
    }
    delete b;
  };
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, data, bytes, finalize, block);
  // Tell V8 about the off-heap memory so that garbage arrays are collected under memory pressure.
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(alloc));
  return Napi::Float32Array::New(env, static_cast<size_t>(n), ab, 0);
}

// Frees an allocFloat array now by detaching its ArrayBuffer: every view then has length 0, so a stale
// use reads nothing instead of freed memory. Arrays not from allocFloat, and already freed ones, are
// left alone (the ref backend's free is a no-op too).
Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "free: a: expected a Float32Array");
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::TypedArray>().ArrayBuffer();
  if (ab.IsDetached()) return env.Undefined();
  Block* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    auto it = registry.find(ab.Data());
    if (it == registry.end()) return env.Undefined();
    block = it->second;
    registry.erase(it);
    block->freed = true;
  }
  ab.Detach();
  PoolRelease(block->data, block->bytes);
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(block->bytes));
  return env.Undefined();
}

// ---- strided copy -----------------------------------------------------------------------------

// Checks that every element a strided view touches lies in [0, length).
void CheckStrided(const Napi::Value& arr, int64_t offset, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& shape, const char* what) {
  for (int64_t s : shape) {
    if (s == 0) return;  // an empty view touches nothing
  }
  __int128 lo = offset, hi = offset;
  for (size_t d = 0; d < shape.size(); d++) {
    __int128 span = static_cast<__int128>(strides[d]) * (shape[d] - 1);
    (span < 0 ? lo : hi) += span;
  }
  if (lo < 0 || hi >= static_cast<__int128>(Length(arr))) {
    throw Napi::RangeError::New(arr.Env(), std::string(what) + ": strided view reaches elements [" +
                                               std::to_string(static_cast<int64_t>(lo)) + ", " +
                                               std::to_string(static_cast<int64_t>(hi)) + "] but the array has " +
                                               std::to_string(Length(arr)) + " elements");
  }
}

// Copies a 2-d block where dst is contiguous along dim 1 and src along dim 0 (a transpose), in tiles
// so that both sides stay in cache.
void CopyTransposed(float* dst, int64_t dRow, const float* src, int64_t sCol, int64_t rows, int64_t cols) {
  constexpr int64_t T = 32;
  for (int64_t i0 = 0; i0 < rows; i0 += T) {
    for (int64_t j0 = 0; j0 < cols; j0 += T) {
      int64_t i1 = std::min(rows, i0 + T), j1 = std::min(cols, j0 + T);
      for (int64_t i = i0; i < i1; i++) {
        for (int64_t j = j0; j < j1; j++) dst[i * dRow + j] = src[i + j * sCol];
      }
    }
  }
}

Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* dst = F32(info[0], "copy: dst");
  int64_t dOff = SizeArg(info[1], "copy: dstOffset");
  std::vector<int64_t> dStr = Ints(info[2], "copy: dstStrides");
  const float* src = F32(info[3], "copy: src");
  int64_t sOff = SizeArg(info[4], "copy: srcOffset");
  std::vector<int64_t> sStr = Ints(info[5], "copy: srcStrides");
  std::vector<int64_t> shape = Ints(info[6], "copy: shape");
  if (dStr.size() != shape.size() || sStr.size() != shape.size()) {
    throw Napi::RangeError::New(env, "copy: shape has " + std::to_string(shape.size()) + " dims but dstStrides has " +
                                         std::to_string(dStr.size()) + " and srcStrides " + std::to_string(sStr.size()));
  }
  int64_t total = 1;
  for (int64_t s : shape) {
    if (s < 0) throw Napi::RangeError::New(env, "copy: negative dimension in shape");
    if (s > 0 && total > (int64_t(1) << 50) / s) throw Napi::RangeError::New(env, "copy: shape has too many elements");
    total *= s;
  }
  CheckStrided(info[0], dOff, dStr, shape, "copy: dst");
  CheckStrided(info[3], sOff, sStr, shape, "copy: src");
  if (total == 0) return env.Undefined();

  // Simplify the iteration: drop size-1 dims, then merge neighbours that are contiguous in both views
  // (a dense [a, b, c] copy becomes one memcpy).
  std::vector<int64_t> sh, ds, ss;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    if (!sh.empty() && ds.back() == dStr[d] * shape[d] && ss.back() == sStr[d] * shape[d]) {
      sh.back() *= shape[d];
      ds.back() = dStr[d];
      ss.back() = sStr[d];
    } else {
      sh.push_back(shape[d]);
      ds.push_back(dStr[d]);
      ss.push_back(sStr[d]);
    }
  }
  if (sh.empty()) {  // a single element
    dst[dOff] = src[sOff];
    return env.Undefined();
  }
  const int nd = static_cast<int>(sh.size());
  // Element offsets of outer index o over dims [0, dims).
  auto offsets = [&](int64_t o, int dims, int64_t& dO, int64_t& sO) {
    dO = dOff, sO = sOff;
    for (int d = dims - 1; d >= 0; d--) {
      const int64_t i = o % sh[d];
      o /= sh[d];
      dO += i * ds[d];
      sO += i * ss[d];
    }
  };

  if (nd >= 2 && ds[nd - 1] == 1 && ss[nd - 2] == 1 && ss[nd - 1] != 1) {
    // A transpose of the last two dims (dst contiguous along the last, src along the one before):
    // tiles keep both sides in cache. Work items are blocks of rows, so big transposes run in parallel.
    const int64_t rows = sh[nd - 2], cols = sh[nd - 1], TB = 64, blocks = (rows + TB - 1) / TB;
    const int64_t outer = total / (rows * cols);
    ParallelFor(outer * blocks, std::max<int64_t>(1, (1 << 16) / (TB * cols)), [&](int64_t begin, int64_t end) {
      for (int64_t it = begin; it < end; it++) {
        int64_t dO, sO;
        offsets(it / blocks, nd - 2, dO, sO);
        const int64_t r0 = it % blocks * TB;
        CopyTransposed(dst + dO + r0 * ds[nd - 2], ds[nd - 2], src + sO + r0, ss[nd - 1], std::min(TB, rows - r0), cols);
      }
    });
    return env.Undefined();
  }
  if (nd == 1 && ds[0] == 1 && ss[0] == 1) {
    // One contiguous block: split it between threads.
    ParallelFor(total, 1 << 16, [&](int64_t b, int64_t e) { std::memmove(dst + dOff + b, src + sOff + b, (e - b) * sizeof(float)); });
    return env.Undefined();
  }
  // General case: rows of the last dim, walked with an odometer over the outer dims.
  const int64_t n = sh[nd - 1], dS = ds[nd - 1], sS = ss[nd - 1], outer = total / n;
  ParallelFor(outer, std::max<int64_t>(1, (1 << 16) / n), [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(nd, 0);
    int64_t dO, sO;
    offsets(begin, nd - 1, dO, sO);
    for (int64_t rem = begin, d = nd - 2; d >= 0; d--) {
      idx[d] = rem % sh[d];
      rem /= sh[d];
    }
    for (int64_t o = begin; o < end; o++) {
      if (dS == 1 && sS == 1) {
        std::memmove(dst + dO, src + sO, n * sizeof(float));
      } else if (dS == 1) {
        for (int64_t j = 0; j < n; j++) dst[dO + j] = src[sO + j * sS];
      } else {
        for (int64_t j = 0; j < n; j++) dst[dO + j * dS] = src[sO + j * sS];
      }
      for (int d = nd - 2; d >= 0; d--) {
        dO += ds[d];
        sO += ss[d];
        if (++idx[d] < sh[d]) break;
        dO -= ds[d] * sh[d];
        sO -= ss[d] * sh[d];
        idx[d] = 0;
      }
    }
  });
  return env.Undefined();
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* out = F32(info[0], "fill: out");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "fill: value: expected a number");
  float value = static_cast<float>(Dbl(info[1]));
  int64_t offset = SizeArg(info[2], "fill: offset");
  int64_t n = SizeArg(info[3], "fill: n");
  CheckLength(info[0], static_cast<size_t>(offset + n), "fill: out");
  ParallelFor(n, 1 << 16, [&](int64_t b, int64_t e) { std::fill(out + offset + b, out + offset + e, value); });
  return env.Undefined();
}

// ---- half precision ---------------------------------------------------------------------------
// Scalar conversions are exact (round to nearest even, subnormals, Inf, NaN kept quiet with sign and
// top payload bits, as the F16C instructions do); the F16C paths below give identical bits.

inline float Bf16ToFloat(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t FloatToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1);  // round to nearest, ties to even (overflow rounds to Inf correctly)
  return static_cast<uint16_t>(u >> 16);
}

inline float F16ToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13);  // Inf or NaN (payload kept)
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);  // normal: rebias 15 -> 127
  } else if (mant == 0) {
    u = sign;  // ±0
  } else {
    // Subnormal: mant · 2^-24, exactly representable as a normal float.
    float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
    std::memcpy(&u, &f, 4);
    u |= sign;
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t FloatToF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000);
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00 | static_cast<uint16_t>((a >> 13) & 0x3ff);  // quiet NaN
  if (a >= 0x477ff000u) return sign | 0x7c00;  // ≥ 65520 rounds to Inf (and Inf stays Inf)
  if (a >= 0x38800000u) {                      // normal half (≥ 2^-14)
    uint32_t r = a + 0x0fffu + ((a >> 13) & 1) - (112u << 23);  // RNE on the 13 dropped bits, rebias
    return sign | static_cast<uint16_t>(r >> 13);
  }
  if (a < 0x33000000u) return sign;  // below half the smallest subnormal (2^-25): ±0 (2^-25 ties to 0)
  // Subnormal half: value / 2^-24 rounded to nearest even. Do it on the integer significand.
  uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - e;  // 14..24 bits dropped from the 24-bit significand
  uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) q++;
  return sign | static_cast<uint16_t>(q);
}

#ifdef R1TS_X86
__attribute__((target("avx,f16c"))) void F16ToFloatF16c(float* out, const uint16_t* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  }
  for (; i < n; i++) out[i] = F16ToFloat(src[i]);
}
__attribute__((target("avx,f16c"))) void FloatToF16F16c(uint16_t* out, const float* src, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; i++) out[i] = FloatToF16(src[i]);
}
bool HasF16c() {
  static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx"));
  return has;
}
#endif

// The bf16 loops are plain integer code, compiled for several ISAs so they vectorise wide.
#ifdef R1TS_X86
#define R1TS_CLONES __attribute__((target_clones("default", "avx2", "arch=skylake-avx512")))
#else
#define R1TS_CLONES
#endif
R1TS_CLONES void Bf16ToFloatLoop(float* out, const uint16_t* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = Bf16ToFloat(src[i]);
}
R1TS_CLONES void FloatToBf16Loop(uint16_t* out, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = FloatToBf16(src[i]);
}

bool IsBf16(const Napi::Value& v, const char* what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "bfloat16") return true;
  if (s == "float16") return false;
  throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected 'bfloat16' or 'float16'");
}

Napi::Value HalfToFloat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* out = F32(info[0], "halfToFloat: out");
  const uint16_t* src = U16(info[1], "halfToFloat: src");
  bool bf16 = IsBf16(info[2], "halfToFloat: dtype");
  int64_t n = SizeArg(info[3], "halfToFloat: n");
  CheckLength(info[0], static_cast<size_t>(n), "halfToFloat: out");
  CheckLength(info[1], static_cast<size_t>(n), "halfToFloat: src");
  ParallelFor(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (bf16) return Bf16ToFloatLoop(out + b, src + b, e - b);
#ifdef R1TS_X86
    if (HasF16c()) return F16ToFloatF16c(out + b, src + b, e - b);
#endif
    for (int64_t i = b; i < e; i++) out[i] = F16ToFloat(src[i]);
  });
  return env.Undefined();
}

Napi::Value FloatToHalf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint16_t* out = U16(info[0], "floatToHalf: out");
  const float* src = F32(info[1], "floatToHalf: src");
  bool bf16 = IsBf16(info[2], "floatToHalf: dtype");
  int64_t n = SizeArg(info[3], "floatToHalf: n");
  CheckLength(info[0], static_cast<size_t>(n), "floatToHalf: out");
  CheckLength(info[1], static_cast<size_t>(n), "floatToHalf: src");
  ParallelFor(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (bf16) return FloatToBf16Loop(out + b, src + b, e - b);
#ifdef R1TS_X86
    if (HasF16c()) return FloatToF16F16c(out + b, src + b, e - b);
#endif
    for (int64_t i = b; i < e; i++) out[i] = FloatToF16(src[i]);
  });
  return env.Undefined();
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("allocFloat", Napi::Function::New(env, AllocFloat, "allocFloat"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("fill", Napi::Function::New(env, Fill, "fill"));
  exports.Set("halfToFloat", Napi::Function::New(env, HalfToFloat, "halfToFloat"));
  exports.Set("floatToHalf", Napi::Function::New(env, FloatToHalf, "floatToHalf"));
}

}  // namespace r1ts
