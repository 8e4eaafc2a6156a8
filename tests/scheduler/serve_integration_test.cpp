// `hearth serve MODEL` with the real engine on a shared tiny model: health, a chat completion (streamed
// and not), a raw completion whose greedy tokens match transformers', and /metrics.
#include <gtest/gtest.h>

#include <algorithm>
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
using hearth::server::test::HttpReply;
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

std::string qwen3_dir() { return (hearth::test::shared_dir() / "models" / "qwen3-tiny").string(); }

// Request bodies keep their key order (as a client's JSON does).
using ordered = nlohmann::ordered_json;

HttpReply post_json(const ServerProcess& server, const std::string& path, const ordered& body) {
  return http(server.port(), "POST", path, body.dump(), {{"Content-Type", "application/json"}});
}

// The message of a chat completion, or the same assembled from a stream's deltas.
struct ChatText {
  std::string content;
  std::string reasoning;
  std::string finish_reason;
  bool operator==(const ChatText&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ChatText& t) {
  return os << "{content: '" << t.content << "', reasoning: '" << t.reasoning << "', finish: " << t.finish_reason
            << "}";
}

// `n` whole UTF-8 characters of `s` from the first character boundary at or after `pos`.
std::string utf8_chars(const std::string& s, std::size_t pos, int n) {
  auto continuation = [&](std::size_t i) { return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
  while (continuation(pos)) ++pos;
  std::size_t end = pos;
  for (int i = 0; i < n && end < s.size(); ++i) {
    ++end;
    while (continuation(end)) ++end;
  }
  return s.substr(pos, end - pos);
}

ChatText chat_text(const ServerProcess& server, ordered body, bool stream) {
  body["stream"] = stream;
  HttpReply reply = post_json(server, "/v1/chat/completions", body);
  EXPECT_EQ(reply.status, 200) << reply.body;
  ChatText t;
  if (reply.status != 200) return t;
  if (!stream) {
    const json c = json::parse(reply.body)["choices"][0];
    if (c["message"]["content"].is_string()) t.content = c["message"]["content"];
    t.reasoning = c["message"].value("reasoning_content", "");
    t.finish_reason = c["finish_reason"];
    return t;
  }
  std::istringstream lines(reply.body);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("data: {", 0) != 0) continue;
    const json chunk = json::parse(l.substr(6));
    if (chunk["choices"].empty()) continue;
    const json& c = chunk["choices"][0];
    const json& d = c["delta"];
    if (d.contains("content") && d["content"].is_string()) t.content += d["content"].get<std::string>();
    if (d.contains("reasoning_content")) t.reasoning += d["reasoning_content"].get<std::string>();
    if (!c["finish_reason"].is_null()) t.finish_reason = c["finish_reason"];
  }
  return t;
}

// response_format on Qwen3 with thinking on: the model reasons first (<think> is forced, the constraint waits
// for </think>), then the answer parses and validates, with the schema's properties in the client's order.
// With thinking off the answer is constrained from its first token. Streamed and unstreamed agree.
TEST(ServeRealEngine, JsonSchemaAnswerFollowsTheReasoning) {
  HEARTH_REQUIRE_SHARED();
  ServerProcess server({qwen3_dir(), "--threads", "2", "--context", "1024", "--max-sequences", "4", "--no-warmup"}, {},
                       /*fake_engine=*/false);
  ASSERT_TRUE(server.running()) << server.log();
  // Not in alphabetical order: a server that sorted the schema's keys would emit "age" first.
  const ordered schema = ordered::parse(
      R"({"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer"}},)"
      R"("required":["name","age"],"additionalProperties":false})");
  ordered body = {
      {"model", "qwen3-tiny"},
      {"messages", {{{"role", "user"}, {"content", "Give me a person as JSON."}}}},
      {"max_tokens", 512},  // the reasoning gets half; a random model spends much of the rest on whitespace
      {"temperature", 0},
      {"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "person"}, {"schema", schema}}}}},
      {"chat_template_kwargs", {{"enable_thinking", true}}}};
  const auto expect_person = [](const std::string& content) {
    const json person = json::parse(content, nullptr, false);
    ASSERT_FALSE(person.is_discarded()) << content;
    ASSERT_TRUE(person.is_object()) << content;
    EXPECT_EQ(person.size(), 2u) << content;
    ASSERT_TRUE(person["name"].is_string()) << content;
    const std::string name = person["name"];
    const auto characters = std::count_if(name.begin(), name.end(), [](char c) { return (c & 0xC0) != 0x80; });
    EXPECT_LE(characters, 8) << content;  // maxLength counts characters, not bytes
    EXPECT_TRUE(person["age"].is_number_integer()) << content;
    EXPECT_LT(content.find("\"name\""), content.find("\"age\"")) << content;
  };

  HttpReply reply = post_json(server, "/v1/chat/completions", body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json message = json::parse(reply.body)["choices"][0]["message"];
  ASSERT_TRUE(message.contains("reasoning_content")) << reply.body;
  EXPECT_FALSE(message["reasoning_content"].get<std::string>().empty()) << reply.body;
  ASSERT_TRUE(message["content"].is_string()) << reply.body;
  expect_person(message["content"].get<std::string>());
  EXPECT_EQ(json::parse(reply.body)["choices"][0]["finish_reason"], "stop") << reply.body;

  EXPECT_EQ(chat_text(server, body, true), chat_text(server, body, false));

  body["chat_template_kwargs"]["enable_thinking"] = false;
  const ChatText plain = chat_text(server, body, false);
  EXPECT_TRUE(plain.reasoning.empty()) << plain;
  EXPECT_FALSE(json::parse(plain.content, nullptr, false).is_discarded()) << plain;

  // A schema constrained decoding cannot enforce is the client's error, named.
  body["response_format"]["json_schema"]["schema"] = {{"type", "string"}, {"pattern", "^a+$"}};
  reply = post_json(server, "/v1/chat/completions", body);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(json::parse(reply.body)["error"]["param"], "response_format") << reply.body;
  EXPECT_NE(reply.body.find("pattern"), std::string::npos) << reply.body;
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

// The concatenated deltas of a stream are the unstreamed content, for chat and raw completions, when a stop
// string cuts the output and when partial matches of one are held back and released.
TEST(ServeRealEngine, StreamedOutputMatchesUnstreamedWithStopStrings) {
  HEARTH_REQUIRE_SHARED();
  ServerProcess server({qwen3_dir(), "--threads", "2", "--context", "1024", "--max-sequences", "4", "--no-warmup"}, {},
                       /*fake_engine=*/false);
  ASSERT_TRUE(server.running()) << server.log();
  ordered chat = {{"model", "qwen3-tiny"},
                  {"messages", {{{"role", "user"}, {"content", "Tell me a story."}}}},
                  {"max_tokens", 32},
                  {"temperature", 0},
                  {"chat_template_kwargs", {{"enable_thinking", false}}}};
  const ChatText whole = chat_text(server, chat, false);
  ASSERT_GE(whole.content.size(), 12u) << whole;
  EXPECT_EQ(chat_text(server, chat, true), whole);
  // A stop string from the middle of the output, and one that only ever partly matches (held back, then
  // released).
  const std::string cut = utf8_chars(whole.content, whole.content.size() / 2, 2);
  chat["stop"] = {cut, utf8_chars(whole.content, 0, 2) + "\x01never"};
  const ChatText stopped = chat_text(server, chat, false);
  EXPECT_EQ(stopped.finish_reason, "stop");
  EXPECT_EQ(stopped.content, whole.content.substr(0, whole.content.find(cut)));
  EXPECT_EQ(chat_text(server, chat, true), stopped);

  const ordered completion = {{"model", "qwen3-tiny"}, {"prompt", "Once upon a time"}, {"max_tokens", 24},
                              {"temperature", 0},      {"ignore_eos", true},           {"stop", {"\x01never", "e"}}};
  auto text_of = [&](bool stream) {
    ordered b = completion;
    b["stream"] = stream;
    HttpReply r = post_json(server, "/v1/completions", b);
    EXPECT_EQ(r.status, 200) << r.body;
    if (!stream) return json::parse(r.body)["choices"][0]["text"].get<std::string>();
    std::string text;
    std::istringstream lines(r.body);
    for (std::string l; std::getline(lines, l);) {
      if (l.rfind("data: {", 0) == 0) text += json::parse(l.substr(6))["choices"][0]["text"].get<std::string>();
    }
    return text;
  };
  EXPECT_EQ(text_of(true), text_of(false));
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

// A store model's PARAMETER lines are the server's defaults: num_predict caps a request without max_tokens,
// seed makes sampling reproducible, and a request's own values still win.
TEST(ServeRealEngine, StoreParametersAreTheDefaults) {
  HEARTH_REQUIRE_SHARED();
  hearth::test::TempDir tmp;
  const std::string store = (tmp.path() / "store").string();
  {
    std::ofstream(tmp.path() / "Hearthfile") << "FROM " << model_dir()
                                            << "\nPARAMETER num_predict 5\nPARAMETER temperature 1\n"
                                               "PARAMETER seed 7\nPARAMETER presence_penalty 1.5\n";
  }
  auto created = hearth::test::run_shell("HEARTH_MODELS=" + hearth::test::shell_quote(store) + " " +
                                         hearth::test::shell_quote(HEARTH_BINARY) + " create tuned -q -f " +
                                         hearth::test::shell_quote((tmp.path() / "Hearthfile").string()));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ServerProcess server({"tuned", "--threads", "1", "--context", "256", "--no-warmup"}, {{"HEARTH_MODELS", store}},
                       false);
  ASSERT_TRUE(server.running()) << server.log();
  auto complete = [&](json req) {
    req["model"] = "tuned";
    req["prompt"] = "The capital of France is";
    auto reply = http(server.port(), "POST", "/v1/completions", req.dump(), {{"Content-Type", "application/json"}});
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body);
  };
  const json a = complete(json::object());
  EXPECT_EQ(a["usage"]["completion_tokens"], 5);  // num_predict, not "up to the context"
  EXPECT_EQ(a["choices"][0]["finish_reason"], "length");
  // Temperature 1 with the store's seed: the same text twice.
  EXPECT_EQ(complete(json::object())["choices"][0]["text"], a["choices"][0]["text"]);
  // The request's own max_tokens wins.
  EXPECT_EQ(complete({{"max_tokens", 3}})["usage"]["completion_tokens"], 3);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

TEST(ServeRealEngine, ABadModelPathIsAOneLineError) {
  auto r = hearth::test::run_hearth("serve /nonexistent/model.gguf --port 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hearth::scheduler::test
