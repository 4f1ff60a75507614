// The throwing paths of the argument helpers in kernel_util.h, kept out of line: error strings are
// only built when an argument is bad, and the inline checks stay small.
#include "kernel_util.h"

namespace r1ts {

std::string Name(const char* what, const char* part) { return part ? std::string(what) + ": " + part : what; }

void RangeFail(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

void ArgTypeFail(Napi::Env env, const char* what, const char* part, const char* problem) {
  throw Napi::TypeError::New(env, Name(what, part) + ": " + problem);
}

void ArgRangeFail(Napi::Env env, const char* what, const char* part, const char* problem) {
  RangeFail(env, Name(what, part) + ": " + problem);
}

void ArgCountFail(const Napi::CallbackInfo& info, size_t n, const char* kernel) {
  throw Napi::TypeError::New(info.Env(), std::string(kernel) + ": expected " + std::to_string(n) + " arguments, got " +
                                             std::to_string(info.Length()));
}

void SizeFail(const Napi::Value& v, const char* what, const char* part) {
  RangeFail(v.Env(), Name(what, part) + ": expected a non-negative integer, got " + v.ToString().Utf8Value());
}

void SizesTooLarge(Napi::Env env, const char* kernel) { RangeFail(env, std::string(kernel) + ": sizes too large"); }

void OpName(const Napi::Value& v, const char* kernel, char (&buf)[16]) {
  size_t len = 0;
  if (!v.IsString() || napi_get_value_string_utf8(v.Env(), v, buf, sizeof buf, &len) != napi_ok) {
    throw Napi::TypeError::New(v.Env(), std::string(kernel) + ": op must be a string");
  }
}

}  // namespace r1ts
