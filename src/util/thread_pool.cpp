#include "util/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace hearth {

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(mutex_);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

namespace {

// How long a waiting side spins before it sleeps: longer than the serial work between two parallel regions
// of a forward pass, short enough that an idle server's workers are asleep within a fraction of a millisecond.
constexpr auto kSpin = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() or kSpin has passed; true when done() held.
template <typename Done>
bool spin_until(const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

void ThreadPool::run_tasks(int thread_index) {
  const auto& fn = *job_;
  for (;;) {
    std::int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) break;
    fn(task, thread_index);
  }
}

void ThreadPool::worker_loop(int thread_index) {
  std::uint64_t seen = 0;
  for (;;) {
    auto woken = [&] { return stopping_.load() || generation_.load() != seen; };
    if (!spin_until(woken)) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_workers_.fetch_add(1);
      wake_.wait(lock, woken);
      sleeping_workers_.fetch_sub(1);
    }
    if (stopping_.load()) return;
    seen = generation_.load();
    run_tasks(thread_index);
    if (busy_workers_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(std::int64_t n_tasks, const std::function<void(std::int64_t, int)>& fn) {
  if (n_tasks <= 0) return;
  if (n_threads_ == 1 || n_tasks == 1) {
    for (std::int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  // Workers are all idle here (the previous call waited for them), so the job can be set without the mutex;
  // the generation increment publishes it.
  job_ = &fn;
  n_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()));
  generation_.fetch_add(1);
  if (sleeping_workers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  run_tasks(0);
  auto finished = [&] { return busy_workers_.load() == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mutex_);
    caller_sleeping_.store(true);
    done_.wait(lock, finished);
    caller_sleeping_.store(false);
  }
  job_ = nullptr;
}

void ThreadPool::parallel_range(std::int64_t n, std::int64_t grain,
                                const std::function<void(std::int64_t, std::int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<std::int64_t>(1, grain);
  std::int64_t chunks = std::min<std::int64_t>((n + grain - 1) / grain, n_threads_);
  std::int64_t per = (n + chunks - 1) / chunks;
  parallel_for(chunks, [&](std::int64_t c, int thread) {
    std::int64_t begin = c * per;
    std::int64_t end = std::min(n, begin + per);
    if (begin < end) fn(begin, end, thread);
  });
}

namespace {
int g_default_threads = 0;
std::unique_ptr<ThreadPool> g_pool;
std::mutex g_pool_mutex;
}  // namespace

ThreadPool& default_thread_pool() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool) g_pool = std::make_unique<ThreadPool>(g_default_threads);
  return *g_pool;
}

void set_default_threads(int n_threads) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (g_pool && g_pool->size() == n_threads) return;
  g_default_threads = n_threads;
  g_pool.reset();
}

}  // namespace hearth
