#include "server/keep_alive.h"

namespace hearth::server {

KeepAlive::KeepAlive(GenerationService& service, config::Duration keep_alive)
    : service_(service), keep_alive_(keep_alive) {}

void KeepAlive::request_started(std::optional<config::Duration> keep_alive) {
  std::lock_guard lock(mutex_);
  if (keep_alive) keep_alive_ = *keep_alive;
  ++in_flight_;
  unload_sent_ = false;
}

void KeepAlive::request_finished() {
  std::lock_guard lock(mutex_);
  if (in_flight_ > 0) --in_flight_;
  if (in_flight_ == 0) idle_since_ = Clock::now();
}

void KeepAlive::tick() {
  bool unload = false;
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ == 0 && !unload_sent_ && keep_alive_.count() >= 0 && Clock::now() - idle_since_ >= keep_alive_) {
      unload = true;
      unload_sent_ = true;
    }
  }
  if (unload) service_.request_unload();
}

std::optional<std::chrono::system_clock::time_point> KeepAlive::expires_at() const {
  std::lock_guard lock(mutex_);
  if (in_flight_ > 0 || keep_alive_.count() < 0) return std::nullopt;
  auto remaining = keep_alive_ - std::chrono::duration_cast<config::Duration>(Clock::now() - idle_since_);
  return std::chrono::system_clock::now() + remaining;
}

}  // namespace hearth::server
