// Shared helpers of the native backend: typed-array access with clear errors, and the thread pool.
// Every kernel file includes this and registers its functions from one Init* function (see addon.cc).
#pragma once
#include <napi.h>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace r1ts {

// Typed-array arguments. `what` names the kernel and argument in the error, e.g. "rmsnorm: x".
float* F32(const Napi::Value& v, const char* what);
int32_t* I32(const Napi::Value& v, const char* what);
uint16_t* U16(const Napi::Value& v, const char* what);
// Element count of a typed array argument (for bounds checks).
size_t Length(const Napi::Value& v);
// A JS array of numbers (shapes, strides) as int64 values.
std::vector<int64_t> Ints(const Napi::Value& v, const char* what);
inline int64_t I64(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline double Dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline bool Bool(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }
// Throws a JS RangeError unless `need` elements fit in the array (starting at 0).
void CheckLength(const Napi::Value& v, size_t need, const char* what);

// Number of worker threads used by ParallelFor (R1TS_THREADS, else the machine's cores).
int NumThreads();
// Runs fn(begin, end) over [0, n) split in chunks of at least `grain` items, on the pool.
// Runs inline when the work is small or when called from inside a pool task.
void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The pool behind allocFloat (pool.cc): freed buffers are parked per size class and handed out again.
size_t PoolClassSize(size_t bytes);
// A parked buffer of this class (its block, and the buffer in *ab), or null when none is parked.
void* PoolTake(Napi::Env env, size_t classBytes, Napi::ArrayBuffer* ab);
// Parks a freed buffer for reuse; false when the pool is full (the caller then releases it).
bool PoolPark(Napi::Env env, size_t classBytes, Napi::ArrayBuffer ab, void* block);

// Registration hooks, one per kernel file.
void InitMemory(Napi::Env env, Napi::Object exports);
void InitGemm(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitReduce(Napi::Env env, Napi::Object exports);
void InitLayers(Napi::Env env, Napi::Object exports);
void InitIndexing(Napi::Env env, Napi::Object exports);
void InitAttention(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitExperts(Napi::Env env, Napi::Object exports);

}  // namespace r1ts
