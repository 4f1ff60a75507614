// Memory kernels: off-heap float arrays, strided copies, fills and half-precision conversions.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "fast_math.h"
#include "half.h"
#include "kernel_util.h"

#ifdef R1TS_X86
#include <immintrin.h>
#endif

namespace r1ts {

namespace {

// ---- allocFloat / free ------------------------------------------------------------------------
// Every allocation is an ArrayBuffer over memory we own, with a Block as its finalizer hint. free()
// does not destroy the ArrayBuffer: it parks it, with a strong reference, in the pool of its size
// class (pool.cc), and a later allocFloat of that class hands out a new Float32Array view of the same
// buffer. V8 counts every new ArrayBuffer's bytes and runs a full garbage collection each time a few
// tens of MiB of them accumulate; a training step allocates hundreds of MiB of activations, so new
// buffers per step cost ~25 collections (measured: 40% of a small-moe step) while reused ones cost none.
// A view that outlives free() would alias the next user's data: the Tensor layer refuses access to
// disposed tensors, and past the pool's cap free() detaches the buffer instead of parking it.
struct Block {
  void* data;
  size_t bytes;
  enum State { kInUse, kParked, kReleased } state;
};
std::mutex registryMutex;
std::unordered_map<void*, Block*> registry;  // blocks handed out (in use) by data pointer

// V8 also starts a full collection whenever memory reported through AdjustExternalMemory grows by a
// few tens of MiB. Arrays are released explicitly (tidy/dispose), so only live memory beyond
// kUnreported per isolate is reported: enough pressure to collect arrays leaked past that.
constexpr int64_t kUnreported = int64_t(1) << 30;
thread_local int64_t liveBytes = 0, reportedBytes = 0;  // per isolate: each runs on its own thread

void Account(Napi::Env env, int64_t delta) {
  liveBytes += delta;
  const int64_t target = std::max<int64_t>(0, liveBytes - kUnreported);
  if (target != reportedBytes) {
    Napi::MemoryManagement::AdjustExternalMemory(env, target - reportedBytes);
    reportedBytes = target;
  }
}

void Finalize(Napi::Env env, void*, Block* b) {
  if (b->state == Block::kInUse) {  // dropped without free(): collected by the GC
    {
      std::lock_guard<std::mutex> lock(registryMutex);
      registry.erase(b->data);
    }
    std::free(b->data);
    Account(env, -static_cast<int64_t>(b->bytes));
  } else if (b->state == Block::kParked) {  // isolate teardown: the pool's reference dies with it
    std::free(b->data);
  }
  delete b;
}

Napi::Value AllocFloat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t n = Size(info[0], "allocFloat", "n");
  if (n > (int64_t(1) << 40)) throw Napi::RangeError::New(env, "allocFloat: n too large: " + std::to_string(n));
  // The block is a pool size class (a multiple of 64 bytes, as aligned_alloc requires); never 0 bytes.
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  const size_t classBytes = PoolClassSize(bytes);
  Napi::ArrayBuffer ab;
  Block* block = static_cast<Block*>(PoolTake(env, classBytes, &ab));
  if (!block) {
    void* data = std::aligned_alloc(64, classBytes);
    if (!data) throw Napi::Error::New(env, "allocFloat: out of memory allocating " + std::to_string(bytes) + " bytes");
    block = new Block{data, classBytes, Block::kInUse};
    ab = Napi::ArrayBuffer::New(env, data, classBytes, Finalize, block);
  }
  block->state = Block::kInUse;
  // zeroed = false (second argument) is for outputs a kernel overwrites whole, e.g. GEMM with beta = 0.
  const bool zeroed = info.Length() < 2 || !info[1].IsBoolean() || info[1].As<Napi::Boolean>().Value();
  if (zeroed) std::memset(block->data, 0, bytes);
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry[block->data] = block;
  }
  Account(env, static_cast<int64_t>(classBytes));
  return Napi::Float32Array::New(env, static_cast<size_t>(n), ab, 0);
}

// Releases an allocFloat array now: its buffer goes back to the pool, or, past the pool's cap, is
// detached (every view then has length 0) and its memory freed. Arrays not from allocFloat, and
// already freed ones, are left alone (the ref backend's free is a no-op too).
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
  }
  Account(env, -static_cast<int64_t>(block->bytes));
  block->state = Block::kParked;
  if (PoolPark(env, block->bytes, ab, block)) return env.Undefined();
  block->state = Block::kReleased;
  ab.Detach();
  std::free(block->data);
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
  int64_t dOff = Size(info[1], "copy", "dstOffset");
  std::vector<int64_t> dStr = Ints(info[2], "copy: dstStrides");
  const float* src = F32(info[3], "copy: src");
  int64_t sOff = Size(info[4], "copy", "srcOffset");
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
    ParallelFor(outer * blocks, RowGrain(kCheapGrain, TB * cols), [&](int64_t begin, int64_t end) {
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
    ParallelFor(total, kCheapGrain, [&](int64_t b, int64_t e) { std::memmove(dst + dOff + b, src + sOff + b, (e - b) * sizeof(float)); });
    return env.Undefined();
  }
  // General case: rows of the last dim, walked with an odometer over the outer dims.
  const int64_t n = sh[nd - 1], dS = ds[nd - 1], sS = ss[nd - 1], outer = total / n;
  ParallelFor(outer, RowGrain(kCheapGrain, n), [&](int64_t begin, int64_t end) {
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
  const float value = static_cast<float>(Num(info[1], "fill", "value"));
  const int64_t offset = Size(info[2], "fill", "offset"), n = Size(info[3], "fill", "n");
  CheckLength(info[0], static_cast<size_t>(offset + n), "fill: out");
  ParallelFor(n, kCheapGrain, [&](int64_t b, int64_t e) { std::fill(out + offset + b, out + offset + e, value); });
  return env.Undefined();
}

// ---- half precision ---------------------------------------------------------------------------
// The scalar conversions are in half.h; the F16C paths below give identical bits.

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
R1TS_SKX_CLONES void Bf16ToFloatLoop(float* out, const uint16_t* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = Bf16ToFloat(src[i]);
}
R1TS_SKX_CLONES void FloatToBf16Loop(uint16_t* out, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = FloatToBf16(src[i]);
}

// The float16 loops: F16C where the CPU has it, else the exact scalar conversions.
void F16ToFloatLoop(float* out, const uint16_t* src, int64_t n) {
#ifdef R1TS_X86
  if (HasF16c()) return F16ToFloatF16c(out, src, n);
#endif
  for (int64_t i = 0; i < n; i++) out[i] = F16ToFloat(src[i]);
}
void FloatToF16Loop(uint16_t* out, const float* src, int64_t n) {
#ifdef R1TS_X86
  if (HasF16c()) return FloatToF16F16c(out, src, n);
#endif
  for (int64_t i = 0; i < n; i++) out[i] = FloatToF16(src[i]);
}

// The typed-array accessor (common.h) of an element type.
template <class T>
T* Typed(const Napi::Value& v, const char* what);
template <>
float* Typed<float>(const Napi::Value& v, const char* what) { return F32(v, what); }
template <>
uint16_t* Typed<uint16_t>(const Napi::Value& v, const char* what) { return U16(v, what); }

bool IsBf16(const Napi::Value& v, const char* what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "bfloat16") return true;
  if (s == "float16") return false;
  throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected 'bfloat16' or 'float16'");
}

// halfToFloat(out, src, dtype, n) and floatToHalf(out, src, dtype, n): the same checks, then the
// dtype's loop over chunks of the array. `names` are the four arguments' names for errors.
template <class Out, class In>
Napi::Value ConvertHalf(const Napi::CallbackInfo& info, const char* const (&names)[4], void (*bf16Loop)(Out*, const In*, int64_t),
                        void (*f16Loop)(Out*, const In*, int64_t)) {
  Out* out = Typed<Out>(info[0], names[0]);
  const In* src = Typed<In>(info[1], names[1]);
  const auto loop = IsBf16(info[2], names[2]) ? bf16Loop : f16Loop;
  const int64_t n = Size(info[3], names[3]);
  CheckLength(info[0], static_cast<size_t>(n), names[0]);
  CheckLength(info[1], static_cast<size_t>(n), names[1]);
  ParallelFor(n, kCheapGrain, [&](int64_t b, int64_t e) { loop(out + b, src + b, e - b); });
  return info.Env().Undefined();
}

Napi::Value HalfToFloat(const Napi::CallbackInfo& info) {
  static const char* const names[4] = {"halfToFloat: out", "halfToFloat: src", "halfToFloat: dtype", "halfToFloat: n"};
  return ConvertHalf(info, names, Bf16ToFloatLoop, F16ToFloatLoop);
}

Napi::Value FloatToHalf(const Napi::CallbackInfo& info) {
  static const char* const names[4] = {"floatToHalf: out", "floatToHalf: src", "floatToHalf: dtype", "floatToHalf: n"};
  return ConvertHalf(info, names, FloatToBf16Loop, FloatToF16Loop);
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
#ifdef __GLIBC__
  // glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB), after which
  // blocks of that size come from the heap and are never given back: with the varying shapes of GRPO
  // steps, freed activations fragmented the heap until a run was killed for memory (24 GiB after 150
  // steps; measured, with live tensors constant). A fixed threshold keeps large blocks mmapped, so a
  // free returns them to the system; repeated shapes are served by the pool without new mappings.
  // A threshold set in the environment (MALLOC_MMAP_THRESHOLD_) is left as the user chose it.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  exports.Set("allocFloat", Napi::Function::New(env, AllocFloat, "allocFloat"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("fill", Napi::Function::New(env, Fill, "fill"));
  exports.Set("halfToFloat", Napi::Function::New(env, HalfToFloat, "halfToFloat"));
  exports.Set("floatToHalf", Napi::Function::New(env, FloatToHalf, "floatToHalf"));
}

}  // namespace r1ts
