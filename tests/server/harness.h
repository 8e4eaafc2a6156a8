#pragma once
// Routes over the fake engine, without sockets: dispatch a request and read what the client would get.
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "recording_exchange.h"
#include "server/admission.h"
#include "server/fake_engine.h"
#include "server/generation_job.h"
#include "server/keep_alive.h"
#include "server/router.h"
#include "server/routes.h"
#include "server/server_context.h"
#include "server/server_metrics.h"

namespace hearth::server::test {

inline AdmissionPolicy policy_of(const config::Config& c) {
  AdmissionPolicy p;
  p.max_queue = c.engine.max_queue;
  p.max_sequences = c.engine.max_sequences;
  p.policy = c.engine.overload_policy;
  p.overload_max_tokens = c.engine.overload_max_tokens;
  return p;
}

inline FakeEngineOptions default_fake() {
  FakeEngineOptions o;
  o.model_name = "tiny";
  o.context_length = 256;
  return o;
}

struct Harness {
  explicit Harness(FakeEngineOptions fake = default_fake(), config::Config cfg = {})
      : config(std::move(cfg)),
        service(std::make_unique<FakeGenerationService>(fake)),
        frontend(config.prompt_template),
        metrics(service->model_info().name),
        admission(policy_of(config), &metrics),
        keep_alive(*service, config.engine.keep_alive),
        ctx{config, *service, frontend, metrics, admission, keep_alive, jobs, 1700000000, &draining} {
    add_all_routes(router, ctx);
  }
  ~Harness() { service->shutdown(); }

  // Waits (bounded) until the fake engine has finished "loading".
  void wait_until_ready() {
    for (int i = 0; i < 1000 && service->stats().state != ServiceState::kReady; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(service->stats().state, ServiceState::kReady);
  }

  // Dispatches a request and runs it to completion.
  std::shared_ptr<RecordingExchange> call(const std::string& method, const std::string& path,
                                          const std::string& body = {}) {
    auto ex = start(method, path, body);
    EXPECT_TRUE(ex->run_until_done()) << method << " " << path << " did not finish";
    return ex;
  }
  std::shared_ptr<RecordingExchange> start(const std::string& method, const std::string& path,
                                           const std::string& body = {}) {
    auto ex = RecordingExchange::make(method, path, body);
    router.dispatch(ex);
    return ex;
  }
  std::shared_ptr<RecordingExchange> post(const std::string& path, const nlohmann::json& body) {
    return call("POST", path, body.dump());
  }

  config::Config config;
  std::unique_ptr<FakeGenerationService> service;
  FakePromptFrontend frontend;
  ServerMetrics metrics;
  AdmissionController admission;
  KeepAlive keep_alive;
  JobRegistry jobs;
  std::atomic<bool> draining{false};
  ServerContext ctx;
  Router router;
};

// The JSON payloads of an SSE body ("data: X\n\n" each); "[DONE]" is returned as the string "[DONE]".
inline std::vector<nlohmann::json> sse_payloads(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      ADD_FAILURE() << "SSE body does not end with a blank line: " << body.substr(pos);
      break;
    }
    std::string event = body.substr(pos, end - pos);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    std::string data = event.substr(6);
    out.push_back(data == "[DONE]" ? nlohmann::json("[DONE]") : nlohmann::json::parse(data));
    pos = end + 2;
  }
  return out;
}

inline std::vector<nlohmann::json> ndjson_lines(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    EXPECT_NE(end, std::string::npos) << "NDJSON body does not end with a newline";
    if (end == std::string::npos) break;
    out.push_back(nlohmann::json::parse(body.substr(pos, end - pos)));
    pos = end + 1;
  }
  return out;
}

// The ChatML the fake front end renders for one user message.
inline std::string chatml_user(const std::string& text) {
  return "<|im_start|>user\n" + text + "<|im_end|>\n<|im_start|>assistant\n";
}

// The first `n` output words of the fake engine, concatenated.
inline std::string fake_text(std::size_t n) {
  std::string s;
  const auto& words = fake_output_words();
  for (std::size_t i = 0; i < n && i < words.size(); ++i) s += words[i];
  return s;
}

}  // namespace hearth::server::test
