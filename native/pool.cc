// The pool of parked allocFloat buffers (see memory.cc): per size class, ArrayBuffers whose arrays
// were freed, kept alive by a strong reference and handed out again, so a training step that
// allocates the same activation sizes over and over creates no new buffers (and no page faults: fresh
// large allocations are mmapped and fault on first touch, ~0.5 ms per MiB here). Classes are 4 per
// power of two (at most 25% slack); parked bytes are capped at R1TS_POOL_MB (default 1024) per
// isolate, beyond which buffers are released.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

#include "common.h"

namespace r1ts {

namespace {

struct Parked {
  Napi::Reference<Napi::ArrayBuffer> ref;
  void* block;
};

// Per isolate: references belong to the isolate that made them, and each isolate runs on one thread.
// Never destroyed: at exit the isolate is gone before thread-locals die, and deleting a reference then
// would touch a dead environment (the isolate's teardown finalizes the parked buffers itself).
thread_local auto* parked = new std::map<size_t, std::vector<Parked>>;  // by class size in bytes
thread_local size_t parkedBytes = 0;

size_t CapBytes() {
  static const size_t cap = [] {
    const char* env = std::getenv("R1TS_POOL_MB");
    long mb = env ? std::atol(env) : 1024;
    return static_cast<size_t>(mb < 0 ? 0 : mb) << 20;
  }();
  return cap;
}

}  // namespace

size_t PoolClassSize(size_t bytes) {
  if (bytes <= 4096) return (std::max<size_t>(bytes, 64) + 63) & ~size_t(63);
  size_t top = size_t(1) << (63 - __builtin_clzll(bytes - 1));  // largest power of two < bytes
  size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

void* PoolTake(Napi::Env, size_t classBytes, Napi::ArrayBuffer* ab) {
  auto it = parked->find(classBytes);
  if (it == parked->end() || it->second.empty()) return nullptr;
  Parked p = std::move(it->second.back());
  it->second.pop_back();
  parkedBytes -= classBytes;
  *ab = p.ref.Value();
  return p.block;
}

bool PoolPark(Napi::Env, size_t classBytes, Napi::ArrayBuffer ab, void* block) {
  if (parkedBytes + classBytes > CapBytes()) return false;
  (*parked)[classBytes].push_back(Parked{Napi::Persistent(ab), block});
  parkedBytes += classBytes;
  return true;
}

}  // namespace r1ts
