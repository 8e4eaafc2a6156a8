#include "store/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace hearth::store {

RateLimiter::RateLimiter(std::uint64_t bytes_per_second)
    : rate_(bytes_per_second), next_(std::chrono::steady_clock::now()) {}

bool RateLimiter::consume(std::size_t bytes, const std::function<bool()>& cancelled) {
  if (rate_ == 0) return true;
  using namespace std::chrono;
  steady_clock::time_point until;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = steady_clock::now();
    // Idle time earns at most a short burst (100 ms worth), not an unlimited credit.
    next_ = std::max(next_, now - milliseconds(100));
    next_ += duration_cast<steady_clock::duration>(
        duration<double>(static_cast<double>(bytes) / static_cast<double>(rate_)));
    until = next_;
  }
  while (steady_clock::now() < until) {
    if (cancelled && cancelled()) return false;
    std::this_thread::sleep_for(std::min<steady_clock::duration>(until - steady_clock::now(), milliseconds(50)));
  }
  return true;
}

}  // namespace hearth::store
