#pragma once
// keep_alive, as in Ollama: the model is unloaded once it has been idle for the keep_alive duration. The
// duration comes from config engine.keep_alive; an Ollama request's "keep_alive" replaces it from that
// request on (negative: never unload, 0: unload as soon as idle). The next request reloads the model
// (GenerationService does that on its engine thread).
// Thread safety: all methods may be called from any thread.
#include <chrono>
#include <mutex>
#include <optional>

#include "config/config.h"
#include "server/engine_interface.h"

namespace hearth::server {

class KeepAlive {
 public:
  KeepAlive(GenerationService& service, config::Duration keep_alive);

  void request_started(std::optional<config::Duration> keep_alive);
  void request_finished();
  // Unloads the model when it has been idle past its keep_alive. Called periodically.
  void tick();
  // When the model will be unloaded if nothing else arrives; nullopt while busy or when it never will.
  std::optional<std::chrono::system_clock::time_point> expires_at() const;

 private:
  GenerationService& service_;
  mutable std::mutex mutex_;
  config::Duration keep_alive_;
  int in_flight_ = 0;
  Clock::time_point idle_since_ = Clock::now();
  bool unload_sent_ = false;
};

}  // namespace hearth::server
