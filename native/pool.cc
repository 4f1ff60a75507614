// A cache of freed buffers for allocFloat. Fresh large allocations are expensive: glibc maps them with
// mmap and every first touch of a page faults (measured here: ~0.5 ms per MiB), while a training step
// allocates the same activation sizes again and again. Freed blocks are kept per size class (4 classes
// per power of two, so at most 25% slack) up to R1TS_POOL_MB in total (default 1024) and handed out
// again; beyond the cap they go back to the system.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "common.h"

namespace r1ts {

namespace {

std::mutex poolMutex;
std::map<size_t, std::vector<void*>> cached;  // by class size in bytes
size_t cachedBytes = 0;

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

void* PoolAcquire(size_t classBytes) {
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    auto it = cached.find(classBytes);
    if (it != cached.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      cachedBytes -= classBytes;
      return p;
    }
  }
  return std::aligned_alloc(64, classBytes);
}

void PoolRelease(void* p, size_t classBytes) {
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    if (cachedBytes + classBytes <= CapBytes()) {
      cached[classBytes].push_back(p);
      cachedBytes += classBytes;
      return;
    }
  }
  std::free(p);
}

size_t PoolCachedBytes() {
  std::lock_guard<std::mutex> lock(poolMutex);
  return cachedBytes;
}

}  // namespace r1ts
