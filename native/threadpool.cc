// A small persistent thread pool for ParallelFor. One job runs at a time (a mutex serialises callers
// from different JS threads); a nested call from inside a task runs inline instead of deadlocking.
// Workers spin briefly before sleeping: kernels are called back to back from JS, and waking a thread
// from a condition variable costs tens of microseconds, more than a small kernel takes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1TS_PAUSE() _mm_pause()
#else
#define R1TS_PAUSE() std::this_thread::yield()
#endif

#include "common.h"

namespace r1ts {

namespace {

thread_local bool insideTask = false;

// How long an idle worker (or a caller waiting for workers) spins before blocking.
constexpr auto kSpin = std::chrono::microseconds(50);

template <class Done>
bool SpinUntil(Done done) {
  auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; i++) {
    if (done()) return true;
    R1TS_PAUSE();
    if ((i & 255) == 255 && std::chrono::steady_clock::now() > until) return false;
  }
}

class Pool {
 public:
  explicit Pool(int threads) : size_(threads) {
    for (int i = 1; i < size_; i++) workers_.emplace_back([this] { Loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int Size() const { return size_; }

  // Splits [0, n) into `parts` contiguous chunks. The caller and the workers claim chunks from a shared
  // counter, so a chunk whose worker is still waking up (or descheduled: this runs on shared machines)
  // is taken over by whoever is free instead of holding the whole call back.
  void Run(int64_t n, int parts, const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> job(jobMutex_);
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(m_);
      fn_ = &fn;
      n_ = n;
      parts_ = parts;
      pending_.store(parts);
      gen = generation_.fetch_add(1, std::memory_order_release) + 1;
      claim_.store(gen << 32, std::memory_order_release);
    }
    wake_.notify_all();
    insideTask = true;
    RunChunks(gen);
    insideTask = false;
    if (!SpinUntil([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(m_);
      done_.wait(lock, [this] { return pending_.load() == 0; });
    }
    fn_ = nullptr;
  }

 private:
  // Runs chunks of job `gen` until none is left to claim. claim_ holds (generation << 32 | next chunk),
  // so a late worker cannot claim a chunk of a newer job by mistake.
  void RunChunks(uint64_t gen) {
    for (;;) {
      uint64_t c = claim_.load(std::memory_order_acquire);
      int64_t i;
      do {
        i = static_cast<int64_t>(c & 0xffffffffu);
        if ((c >> 32) != gen || i >= parts_) return;
      } while (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel));
      const int64_t n = n_.load(std::memory_order_relaxed), parts = parts_.load(std::memory_order_relaxed);
      (*fn_)(n * i / parts, n * (i + 1) / parts);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> relock(m_);
        done_.notify_one();
      }
    }
  }

  void Loop() {
    uint64_t seen = 0;
    insideTask = true;
    for (;;) {
      SpinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
      if (stop_) return;
      seen = generation_.load();
      lock.unlock();
      RunChunks(seen);
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex jobMutex_, m_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  // Atomic only because a late worker may glance at them while the next job is being set up.
  std::atomic<int64_t> n_{0};
  std::atomic<int64_t> parts_{0};
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> claim_{0};
  bool stop_ = false;
};

int ConfiguredThreads() {
  const char* env = std::getenv("R1TS_THREADS");
  int n = env ? std::atoi(env) : 0;
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(n, 256));
}

Pool& GlobalPool() {
  static Pool pool(ConfiguredThreads());
  return pool;
}

}  // namespace

int NumThreads() { return GlobalPool().Size(); }

void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int threads = NumThreads();
  int64_t g = std::max<int64_t>(grain, 1);
  int64_t parts = std::min<int64_t>(threads, (n + g - 1) / g);
  if (parts <= 1 || insideTask) {
    fn(0, n);
    return;
  }
  GlobalPool().Run(n, static_cast<int>(parts), fn);
}

}  // namespace r1ts
