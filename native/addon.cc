// Entry point of the native backend: argument helpers and registration of every kernel file.
#include "common.h"

namespace r1ts {

namespace {
template <typename T>
T* TypedData(const Napi::Value& v, napi_typedarray_type type, const char* typeName, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a " + typeName);
  }
  auto ta = v.As<Napi::TypedArray>();
  return reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
}
}  // namespace

float* F32(const Napi::Value& v, const char* what) { return TypedData<float>(v, napi_float32_array, "Float32Array", what); }
int32_t* I32(const Napi::Value& v, const char* what) { return TypedData<int32_t>(v, napi_int32_array, "Int32Array", what); }
uint16_t* U16(const Napi::Value& v, const char* what) { return TypedData<uint16_t>(v, napi_uint16_array, "Uint16Array", what); }

size_t Length(const Napi::Value& v) { return v.As<Napi::TypedArray>().ElementLength(); }

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
  return exports;
}

}  // namespace r1ts

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified name.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return r1ts::Init(env, exports); }
NODE_API_MODULE(r1ts_native, InitAddon)
