#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <numeric>
#include <vector>

namespace hearth {
namespace {

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(1000);
  for (int round = 0; round < 20; ++round) {
    pool.parallel_for(1000, [&](std::int64_t t, int thread) {
      EXPECT_GE(thread, 0);
      EXPECT_LT(thread, 4);
      hits[t].fetch_add(1);
    });
  }
  for (auto& h : hits) EXPECT_EQ(h.load(), 20);
}

TEST(ThreadPool, RangesCoverWithoutOverlap) {
  ThreadPool pool(3);
  for (std::int64_t n : {1, 2, 7, 100, 1001}) {
    std::vector<int> seen(static_cast<std::size_t>(n), 0);
    pool.parallel_range(n, 5, [&](std::int64_t b, std::int64_t e, int) {
      for (auto i = b; i < e; ++i) seen[i]++;
    });
    EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), 0), n);
    for (int s : seen) EXPECT_EQ(s, 1);
  }
}

// Workers and the caller spin briefly, then sleep: both hand-offs must work, whether the other side is
// spinning or asleep.
TEST(ThreadPool, WakesSleepingWorkersAndCaller) {
  ThreadPool pool(3);
  for (int round = 0; round < 6; ++round) {
    // Idle long enough that the workers have gone to sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::atomic<int> done{0};
    pool.parallel_for(6, [&](std::int64_t t, int) {
      // One slow task keeps the caller waiting past its spin, so it sleeps too.
      if (t == 0 && round % 2 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3));
      done.fetch_add(1);
    });
    EXPECT_EQ(done.load(), 6);
  }
}

TEST(ThreadPool, ManyShortRegionsBackToBack) {
  ThreadPool pool(2);
  std::int64_t total = 0;
  std::vector<std::int64_t> per_thread(2, 0);
  for (int round = 0; round < 20000; ++round)
    pool.parallel_for(2, [&](std::int64_t t, int thread) { per_thread[static_cast<std::size_t>(thread)] += t + 1; });
  for (auto v : per_thread) total += v;
  EXPECT_EQ(total, 20000 * 3);
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  std::vector<int> order;
  pool.parallel_for(5, [&](std::int64_t t, int thread) {
    EXPECT_EQ(thread, 0);
    order.push_back(static_cast<int>(t));
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace hearth
