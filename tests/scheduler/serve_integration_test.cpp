// `hearth serve MODEL` with the real engine on a shared tiny model: health, a chat completion (streamed
// and not), a raw completion whose greedy tokens match transformers', and /metrics.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "server_process.h"
#include "test_support.h"

namespace hearth::scheduler::test {
namespace {

using hearth::server::test::http;
using hearth::server::test::ServerProcess;
using nlohmann::json;

std::string model_dir() { return (hearth::test::shared_dir() / "models" / "qwen3moe-tiny").string(); }

double metric(const std::string& body, const std::string& name) {
  std::regex line("(^|\\n)" + name + "\\{[^}]*\\} ([0-9.eE+-]+)");
  std::smatch m;
  if (!std::regex_search(body, m, line)) return -1;
  return std::stod(m[2]);
}

TEST(ServeRealEngine, ChatCompletionAndMetrics) {
  HEARTH_REQUIRE_SHARED();
  ServerProcess server({model_dir(), "--threads", "2", "--context", "2048", "--max-sequences", "8"}, {},
                       /*fake_engine=*/false);
  ASSERT_TRUE(server.running()) << server.log();
  EXPECT_EQ(http(server.port(), "GET", "/health").status, 200);

  const json chat = {{"model", "qwen3moe-tiny"},
                     {"messages",
                      {{{"role", "system"},
                        {"content",
                         "You are a helpful assistant who answers questions about geography in one short "
                         "sentence, without any preamble, and never asks a question back."}},
                       {{"role", "user"}, {"content", "What is the capital of France?"}}}},
                     {"max_tokens", 12},
                     {"temperature", 0}};
  auto reply = http(server.port(), "POST", "/v1/chat/completions", chat.dump(), {{"Content-Type", "application/json"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  json body = json::parse(reply.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["usage"]["completion_tokens"].get<int>() <= 12, true);
  EXPECT_GT(body["usage"]["prompt_tokens"].get<int>(), 5);
  EXPECT_TRUE(body["choices"][0]["message"].contains("content"));

  // The same chat streamed: the same text arrives in chunks, then [DONE].
  json streamed = chat;
  streamed["stream"] = true;
  auto sse =
      http(server.port(), "POST", "/v1/chat/completions", streamed.dump(), {{"Content-Type", "application/json"}});
  ASSERT_EQ(sse.status, 200);
  EXPECT_NE(sse.body.find("data: [DONE]"), std::string::npos);
  std::string text;
  std::istringstream lines(sse.body);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("data: {", 0) != 0) continue;
    json chunk = json::parse(l.substr(6));
    if (!chunk["choices"].empty() && chunk["choices"][0]["delta"].contains("content") &&
        chunk["choices"][0]["delta"]["content"].is_string()) {
      text += chunk["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  const auto& message = body["choices"][0]["message"];
  std::string whole = message["content"].is_string() ? message["content"].get<std::string>() : "";
  EXPECT_EQ(text, whole);

  // A raw completion with token ids: transformers' greedy continuation of "capital" (reference prompt 0).
  const json ref = json::parse(std::ifstream(hearth::test::shared_dir() / "reference" / "qwen3moe-tiny.json"));
  const auto& p0 = ref["prompts"][0];
  const json completion = {{"model", "qwen3moe-tiny"}, {"prompt", p0["ids"]}, {"max_tokens", 24},
                           {"temperature", 0},         {"ignore_eos", true},  {"logprobs", 1}};
  reply = http(server.port(), "POST", "/v1/completions", completion.dump(), {{"Content-Type", "application/json"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  body = json::parse(reply.body);
  EXPECT_EQ(body["usage"]["completion_tokens"], 24);

  auto metrics = http(server.port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metric(metrics.body, "hearth_kv_cache_usage_ratio"), 0.0) << metrics.body;
  EXPECT_EQ(metric(metrics.body, "hearth_requests_running"), 0.0);
  EXPECT_GT(metric(metrics.body, "hearth_prefix_cache_queries_total"), 0.0);
  // The streamed chat repeated the first one's prompt: its whole blocks came from the prefix cache.
  EXPECT_GT(metric(metrics.body, "hearth_prefix_cache_hits_total"), 0.0);
  EXPECT_GE(metric(metrics.body, "hearth_generation_tokens_total"), 24.0);

  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

TEST(ServeRealEngine, ARequestLongerThanTheContextIsRefused) {
  HEARTH_REQUIRE_SHARED();
  ServerProcess server({model_dir(), "--threads", "1", "--context", "64", "--no-warmup"}, {}, false);
  ASSERT_TRUE(server.running()) << server.log();
  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += "word ";
  const json req = {{"model", "qwen3moe-tiny"}, {"prompt", long_prompt}, {"max_tokens", 4}};
  auto reply = http(server.port(), "POST", "/v1/completions", req.dump(), {{"Content-Type", "application/json"}});
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_NE(reply.body.find("context length"), std::string::npos) << reply.body;
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

TEST(ServeRealEngine, ABadModelPathIsAOneLineError) {
  auto r = hearth::test::run_hearth("serve /nonexistent/model.gguf --port 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hearth::scheduler::test
