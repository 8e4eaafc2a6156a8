#pragma once
// Helpers for driving a GenerationService from tests: a sink that records every event of one request and
// lets the test wait for its terminal event, and an EngineService on a shared tiny model.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/engine_service.h"
#include "server/engine_interface.h"
#include "test_support.h"

namespace hearth::scheduler::test {

using server::GenerationEvent;
using server::GenerationRequest;

// Everything one request produced.
struct Outcome {
  std::vector<GenerationEvent> events;
  std::vector<std::int32_t> tokens;  // from the deltas
  std::string text;                  // from the deltas
  int terminal_events = 0;
  const GenerationEvent* terminal() const {
    for (const auto& e : events) {
      if (e.kind == GenerationEvent::Kind::kFinished || e.kind == GenerationEvent::Kind::kError) return &e;
    }
    return nullptr;
  }
};

// Records one request's events. The sink shares the state, so the Collector may go away while the engine
// still holds (but no longer calls) the sink.
class Collector {
 public:
  server::EventSink sink() {
    return [state = state_](GenerationEvent&& e) {
      std::lock_guard lock(state->mutex);
      Outcome& o = state->outcome;
      if (e.kind == GenerationEvent::Kind::kDelta) {
        o.tokens.insert(o.tokens.end(), e.tokens.begin(), e.tokens.end());
        o.text += e.text;
        state->first_delta = true;
      }
      if (e.kind == GenerationEvent::Kind::kFinished || e.kind == GenerationEvent::Kind::kError) ++o.terminal_events;
      o.events.push_back(std::move(e));
      state->cv.notify_all();
    };
  }
  // Waits for the terminal event (fails the test after `timeout`).
  Outcome wait(std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::unique_lock lock(state_->mutex);
    const bool done = state_->cv.wait_for(lock, timeout, [&] { return state_->outcome.terminal_events > 0; });
    EXPECT_TRUE(done) << "no terminal event within " << timeout.count() << "s";
    return state_->outcome;
  }
  bool wait_first_delta(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout,
                               [&] { return state_->first_delta || state_->outcome.terminal_events > 0; });
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    Outcome outcome;
    bool first_delta = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

inline std::filesystem::path tiny_model(const std::string& name = "qwen3moe-tiny") {
  return hearth::test::shared_dir() / "models" / name;
}

inline EngineOptions tiny_options(const std::string& name = "qwen3moe-tiny") {
  EngineOptions o;
  o.model = tiny_model(name).string();
  o.served_model_name = name;
  o.engine.max_batch_tokens = 256;
  o.engine.max_sequences = 64;
  o.engine.threads = 2;
  o.engine.context = 1024;
  o.kv_cache_tokens = 64 * 1024;
  return o;
}

// Polls stats() until `pred` holds (false after `timeout`).
template <typename Pred>
bool wait_for_stats(const server::GenerationService& service, Pred pred,
                    std::chrono::seconds timeout = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(service.stats())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

inline GenerationRequest greedy_request(std::vector<std::int32_t> prompt, int max_tokens) {
  GenerationRequest r;
  r.id = "test";
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0.0f;
  r.ignore_eos = true;
  return r;
}

// Submits and waits for one request.
inline Outcome run_one(server::GenerationService& service, GenerationRequest request) {
  Collector c;
  service.submit(std::move(request), c.sink());
  return c.wait();
}

}  // namespace hearth::scheduler::test
