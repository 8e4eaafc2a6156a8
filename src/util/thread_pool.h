#pragma once
// A fixed pool of worker threads for data-parallel kernels. The calling thread takes part in
// every parallel_for, so a pool of N threads uses N-1 workers plus the caller: no oversubscription.
// Token generation runs hundreds of short parallel regions per token, so both sides spin for a short while
// (kSpin) before they sleep on a condition variable: a futex wake-up per region cost about 10 % of tg speed.
// Thread safety: parallel_for may be called from one thread at a time (the engine thread).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  // n_threads <= 0 picks the number of online cores.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(task, thread) for task in [0, n_tasks); returns when all tasks are done.
  // `thread` is in [0, size()) and identifies per-thread scratch space.
  void parallel_for(std::int64_t n_tasks, const std::function<void(std::int64_t, int)>& fn);

  // Splits [0, n) into contiguous ranges of at least `grain` items, one or more per thread,
  // and runs fn(begin, end, thread) on each.
  void parallel_range(std::int64_t n, std::int64_t grain,
                      const std::function<void(std::int64_t, std::int64_t, int)>& fn);

 private:
  void worker_loop(int thread_index);
  void run_tasks(int thread_index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // Sleep hand-off (seq_cst on both sides): a side publishes its change, then looks for sleepers; a sleeper
  // registers, then re-checks the condition. One of the two always sees the other.
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stopping_{false};
  const std::function<void(std::int64_t, int)>* job_ = nullptr;
  std::int64_t n_tasks_ = 0;
  std::atomic<std::int64_t> next_task_{0};
  std::atomic<int> busy_workers_{0};
};

// The process-wide pool used by CPU kernels; sized by set_default_threads() before first use.
ThreadPool& default_thread_pool();
void set_default_threads(int n_threads);

}  // namespace hearth
