// A small persistent thread pool for ParallelFor. One job runs at a time (a mutex serialises callers
// from different JS threads); a nested call from inside a task runs inline instead of deadlocking.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common.h"

namespace r1ts {

namespace {

thread_local bool insideTask = false;

class Pool {
 public:
  explicit Pool(int threads) : size_(threads) {
    for (int i = 1; i < size_; i++) workers_.emplace_back([this, i] { Loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int Size() const { return size_; }

  // Splits [0, n) into `parts` contiguous chunks; thread i runs chunk i, the caller runs chunk 0.
  void Run(int64_t n, int parts, const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> job(jobMutex_);
    {
      std::lock_guard<std::mutex> lock(m_);
      fn_ = &fn;
      n_ = n;
      parts_ = parts;
      pending_ = parts - 1;
      generation_++;
    }
    wake_.notify_all();
    insideTask = true;
    fn(0, Chunk(0));
    insideTask = false;
    std::unique_lock<std::mutex> lock(m_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  int64_t Chunk(int i) const { return n_ * (i + 1) / parts_; }

  void Loop(int index) {
    uint64_t seen = 0;
    insideTask = true;
    for (;;) {
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (index >= parts_) continue;
      const auto* fn = fn_;
      int64_t begin = n_ * index / parts_, end = Chunk(index);
      lock.unlock();
      (*fn)(begin, end);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex jobMutex_, m_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int parts_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
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
  int64_t parts = std::min<int64_t>(threads, (n + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1));
  if (parts <= 1 || insideTask) {
    fn(0, n);
    return;
  }
  GlobalPool().Run(n, static_cast<int>(parts), fn);
}

}  // namespace r1ts
