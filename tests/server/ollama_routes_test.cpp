// /api/* routes over the fake engine: Ollama's NDJSON streaming, final statistics, info endpoints, errors.
#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::server::test {
namespace {

using nlohmann::json;

TEST(OllamaChat, StreamsNdjsonByDefault) {
  Harness h;
  auto ex = h.post(
      "/api/chat",
      {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"options", {{"num_predict", 4}}}});
  ASSERT_EQ(ex->status, 200) << ex->body;
  EXPECT_EQ(ex->headers.get("Content-Type"), "application/x-ndjson");
  auto lines = ndjson_lines(ex->body);
  ASSERT_GE(lines.size(), 2u);
  std::string content;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    EXPECT_EQ(lines[i]["model"], "tiny");
    EXPECT_EQ(lines[i]["message"]["role"], "assistant");
    content += lines[i]["message"]["content"].get<std::string>();
  }
  EXPECT_EQ(content, "Hello from Hearth!");
  const json& last = lines.back();
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 4);
  EXPECT_EQ(last["prompt_eval_count"], chatml_user("Hi").size());
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}) {
    EXPECT_TRUE(last[k].is_number_integer()) << k;
  }
  EXPECT_EQ(last["created_at"].get<std::string>().back(), 'Z');
}

TEST(OllamaChat, NonStreamingReturnsOneObject) {
  Harness h;
  auto ex =
      h.post("/api/chat",
             {{"model", "tiny:latest"}, {"stream", false}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}});
  ASSERT_EQ(ex->status, 200) << ex->body;
  json r = json::parse(ex->body);
  EXPECT_EQ(r["message"]["content"], kFakeText);
  EXPECT_EQ(r["done"], true);
  EXPECT_EQ(r["done_reason"], "stop");
}

TEST(OllamaChat, StopOptionAndNumPredictBeyondContextIsClamped) {
  Harness h;
  json r = json::parse(h.post("/api/chat", {{"stream", false},
                                            {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                                            {"options", {{"stop", {"!"}}, {"num_predict", 100000}}}})
                           ->body);
  EXPECT_EQ(r["message"]["content"], "Hello from Hearth");
  EXPECT_EQ(r["done_reason"], "stop");
}

TEST(OllamaChat, ThinkingAndToolCalls) {
  Harness h;
  json r = json::parse(
      h.post("/api/chat", {{"stream", false}, {"messages", {{{"role", "user"}, {"content", "[[fake:think]]"}}}}})
          ->body);
  EXPECT_EQ(r["message"]["thinking"], "Let me think.");
  EXPECT_EQ(r["message"]["content"], kFakeText);

  json tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  r = json::parse(
      h.post("/api/chat",
             {{"stream", false}, {"tools", tools}, {"messages", {{{"role", "user"}, {"content", "[[fake:tool]]"}}}}})
          ->body);
  ASSERT_EQ(r["message"]["tool_calls"].size(), 1u);
  EXPECT_EQ(r["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(r["message"]["tool_calls"][0]["function"]["arguments"], json({{"city", "Paris"}}));

  auto lines = ndjson_lines(
      h.post("/api/chat", {{"tools", tools}, {"messages", {{{"role", "user"}, {"content", "[[fake:tool]]"}}}}})->body);
  int calls = 0;
  for (const auto& l : lines) calls += static_cast<int>(l["message"].value("tool_calls", json::array()).size());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(lines.back()["done"], true);
}

TEST(OllamaGenerate, ResponseAndContext) {
  Harness h;
  auto ex = h.post(
      "/api/generate",
      {{"model", "tiny"}, {"prompt", "Hi"}, {"stream", false}, {"raw", true}, {"options", {{"num_predict", 2}}}});
  ASSERT_EQ(ex->status, 200) << ex->body;
  json r = json::parse(ex->body);
  EXPECT_EQ(r["response"], "Hello from");
  EXPECT_EQ(r["done_reason"], "length");
  // context: the prompt's tokens ("Hi": 72, 105) then the generated ones
  EXPECT_EQ(r["context"], json({72, 105, kFakeFirstWordId, kFakeFirstWordId + 1}));
}

TEST(OllamaGenerate, EmptyPromptLoadsOrUnloads) {
  Harness h;
  json r = json::parse(h.post("/api/generate", {{"model", "tiny"}})->body);
  EXPECT_EQ(r["done"], true);
  EXPECT_EQ(r["done_reason"], "load");
  r = json::parse(h.post("/api/generate", {{"model", "tiny"}, {"keep_alive", 0}})->body);
  EXPECT_EQ(r["done_reason"], "unload");
  // The next request reloads the model on demand.
  r = json::parse(
      h.post("/api/generate", {{"prompt", "x"}, {"stream", false}, {"options", {{"num_predict", 1}}}})->body);
  EXPECT_EQ(r["response"], "Hello");
}

TEST(KeepAlive, UnloadsAfterIdleAndTheNextRequestReloads) {
  config::Config cfg;
  cfg.engine.keep_alive = config::Duration(0);  // unload as soon as idle
  Harness h(default_fake(), cfg);
  h.wait_until_ready();
  h.keep_alive.tick();
  for (int i = 0; i < 1000 && h.service->stats().state != ServiceState::kUnloaded; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(h.service->stats().state, ServiceState::kUnloaded);
  EXPECT_TRUE(json::parse(h.call("GET", "/api/ps")->body)["models"].empty());
  EXPECT_EQ(h.call("GET", "/health")->status, 200);  // unloaded is not unhealthy: it reloads on demand
  json r = json::parse(
      h.post("/api/generate", {{"prompt", "x"}, {"stream", false}, {"options", {{"num_predict", 1}}}})->body);
  EXPECT_EQ(r["response"], "Hello");
  EXPECT_EQ(h.service->stats().state, ServiceState::kReady);
}

TEST(KeepAlive, NegativeNeverUnloads) {
  Harness h;  // default engine.keep_alive: -1
  h.wait_until_ready();
  h.keep_alive.tick();
  EXPECT_FALSE(h.keep_alive.expires_at().has_value());
  EXPECT_EQ(h.service->stats().state, ServiceState::kReady);
}

TEST(Ollama, ErrorsAreSingleStrings) {
  Harness h;
  auto ex = h.post("/api/chat", {{"model", "llama3"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}});
  EXPECT_EQ(ex->status, 404);
  EXPECT_EQ(json::parse(ex->body), json({{"error", "model 'llama3' not found"}}));
  ex = h.call("POST", "/api/chat", "{not json");
  EXPECT_EQ(ex->status, 400);
  EXPECT_TRUE(json::parse(ex->body)["error"].is_string());
  ex = h.post("/api/generate", {{"prompt", "x"}, {"options", {{"temperature", "warm"}}}});
  EXPECT_EQ(ex->status, 400);
  EXPECT_EQ(json::parse(ex->body)["error"],
            "Invalid type for 'options.temperature': expected a number, but got a string instead.");
  ex = h.post("/api/generate", {{"prompt", "x"}, {"keep_alive", "soon"}});
  EXPECT_EQ(ex->status, 400);
  ex = h.post("/api/chat", {{"messages", {{{"role", "user"}, {"content", "Hi"}, {"images", {"aGVsbG8="}}}}}});
  EXPECT_EQ(ex->status, 400);
}

TEST(OllamaInfo, TagsShowPsVersion) {
  Harness h;
  json tags = json::parse(h.call("GET", "/api/tags")->body);
  ASSERT_EQ(tags["models"].size(), 1u);
  EXPECT_EQ(tags["models"][0]["name"], "tiny:latest");
  EXPECT_TRUE(tags["models"][0]["details"].contains("quantization_level"));

  json show = json::parse(h.post("/api/show", {{"model", "tiny"}})->body);
  EXPECT_EQ(show["model_info"]["general.architecture"], "fake");
  EXPECT_TRUE(show["capabilities"].is_array());
  EXPECT_EQ(show["capabilities"][0], "completion");
  EXPECT_EQ(h.post("/api/show", {{"model", "other"}})->status, 404);

  // Loaded once ready: /api/ps lists it.
  h.wait_until_ready();
  json ps = json::parse(h.call("GET", "/api/ps")->body);
  ASSERT_EQ(ps["models"].size(), 1u);
  EXPECT_EQ(ps["models"][0]["name"], "tiny:latest");
  EXPECT_TRUE(ps["models"][0]["expires_at"].is_string());

  json version = json::parse(h.call("GET", "/api/version")->body);
  EXPECT_TRUE(version["version"].is_string());
}

TEST(Ops, HealthFollowsTheEngineState) {
  FakeEngineOptions fake = default_fake();
  fake.load_time = std::chrono::milliseconds(300);
  Harness h(fake);
  auto loading = h.call("GET", "/health");
  EXPECT_EQ(loading->status, 503);
  EXPECT_EQ(json::parse(loading->body)["status"], "loading");
  // Poll (bounded) until the fake has "loaded".
  std::shared_ptr<RecordingExchange> ready;
  for (int i = 0; i < 200; ++i) {
    ready = h.call("GET", "/health");
    if (ready->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["status"], "ok");
  h.draining = true;
  EXPECT_EQ(h.call("GET", "/health")->status, 503);
}

TEST(Ops, MetricsExposeEveryDocumentedFamilyWithTheModelLabel) {
  Harness h;
  h.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"max_tokens", 2}});
  auto ex = h.call("GET", "/metrics");
  ASSERT_EQ(ex->status, 200);
  EXPECT_EQ(ex->headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = ex->body;
  for (const char* family :
       {"hearth_requests_waiting", "hearth_requests_running", "hearth_kv_cache_usage_ratio",
        "hearth_prefix_cache_hits_total", "hearth_prefix_cache_queries_total", "hearth_prompt_tokens_total",
        "hearth_generation_tokens_total", "hearth_time_to_first_token_seconds", "hearth_inter_token_latency_seconds",
        "hearth_e2e_request_latency_seconds", "hearth_request_queue_time_seconds", "hearth_degraded"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  }
  EXPECT_NE(text.find("hearth_generation_tokens_total{model=\"tiny\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hearth_time_to_first_token_seconds_count{model=\"tiny\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_inter_token_latency_seconds_count{model=\"tiny\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_requests_running{model=\"tiny\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_kv_cache_usage_ratio{model=\"tiny\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("hearth_request_success_total{model=\"tiny\",finished_reason=\"length\"} 1\n"),
            std::string::npos);
  // No GPU backend: no device memory gauges.
  EXPECT_EQ(text.find("hearth_gpu_memory_used_bytes"), std::string::npos);
}

}  // namespace
}  // namespace hearth::server::test
