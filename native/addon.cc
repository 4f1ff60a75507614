// Entry point of the native backend: argument helpers and registration of every kernel file.
#include "common.h"

namespace r1ts {

namespace {
// One napi_get_typedarray_info call gives type, length and a data pointer that already includes the
// view's byte offset: this runs for every array argument of every kernel call, so it stays minimal.
template <typename T>
T* TypedData(const Napi::Value& v, napi_typedarray_type type, const char* typeName, const char* what) {
  napi_typedarray_type actual;
  size_t length;
  void* data = nullptr;
  if (napi_get_typedarray_info(v.Env(), v, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a " + typeName);
  }
  return static_cast<T*>(data);
}
}  // namespace

float* F32(const Napi::Value& v, const char* what) { return TypedData<float>(v, napi_float32_array, "Float32Array", what); }
int32_t* I32(const Napi::Value& v, const char* what) { return TypedData<int32_t>(v, napi_int32_array, "Int32Array", what); }
uint16_t* U16(const Napi::Value& v, const char* what) { return TypedData<uint16_t>(v, napi_uint16_array, "Uint16Array", what); }

size_t Length(const Napi::Value& v) {
  size_t length = 0;
  if (napi_get_typedarray_info(v.Env(), v, nullptr, &length, nullptr, nullptr, nullptr) != napi_ok) {
    throw Napi::TypeError::New(v.Env(), "expected a typed array");
  }
  return length;
}

void CheckLength(const Napi::Value& v, size_t need, const char* what) {
  size_t have = Length(v);
  if (need > have) {
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": needs " + std::to_string(need) +
                                             " elements but the array has " + std::to_string(have));
  }
}

std::vector<int64_t> Ints(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected an array of numbers");
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitMemory(env, exports);
  InitGemm(env, exports);
  InitElementwise(env, exports);
  InitReduce(env, exports);
  InitLayers(env, exports);
  InitIndexing(env, exports);
  InitAttention(env, exports);
  InitOptim(env, exports);
  InitExperts(env, exports);
  return exports;
}

}  // namespace r1ts

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified name.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return r1ts::Init(env, exports); }
NODE_API_MODULE(r1ts_native, InitAddon)
