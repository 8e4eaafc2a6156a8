#pragma once
// A byte-rate limit shared by every connection of a transfer (--limit-rate / HEARTH_LIMIT_RATE):
// parallel downloads together stay under the limit.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace hearth::store {

class RateLimiter {
 public:
  // 0 means unlimited.
  explicit RateLimiter(std::uint64_t bytes_per_second);
  // Accounts for `bytes` just received and sleeps as long as needed to keep the average at the
  // limit. Returns early (false) when `cancelled` becomes true. Thread-safe.
  bool consume(std::size_t bytes, const std::function<bool()>& cancelled = {});
  std::uint64_t limit() const { return rate_; }

 private:
  std::uint64_t rate_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point next_;  // when the bytes accounted so far have "arrived" at the limit
};

}  // namespace hearth::store
