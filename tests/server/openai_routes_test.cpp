// /v1/* routes over the fake engine: response shapes as OpenAI documents them, streaming framing, errors.
#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::server::test {
namespace {

using nlohmann::json;

json user_chat(const std::string& text) {
  return {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
}

TEST(OpenAIChat, CompletionHasTheDocumentedShape) {
  Harness h;
  auto ex = h.post("/v1/chat/completions", user_chat("Hi"));
  ASSERT_EQ(ex->status, 200) << ex->body;
  EXPECT_EQ(ex->headers.get("Content-Type"), "application/json");
  json r = json::parse(ex->body);
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(r["model"], "tiny");
  EXPECT_TRUE(r["created"].is_number_integer());
  ASSERT_EQ(r["choices"].size(), 1u);
  const json& c = r["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_EQ(c["message"]["content"], kFakeText);  // the fake's whole text, then end of generation
  EXPECT_FALSE(c["message"].contains("tool_calls"));
  EXPECT_TRUE(c["logprobs"].is_null());
  EXPECT_EQ(c["finish_reason"], "stop");
  const auto prompt_tokens = static_cast<int>(chatml_user("Hi").size());  // one token per byte
  EXPECT_EQ(r["usage"]["prompt_tokens"], prompt_tokens);
  EXPECT_EQ(r["usage"]["completion_tokens"], fake_output_words().size());
  EXPECT_EQ(r["usage"]["total_tokens"], prompt_tokens + static_cast<int>(fake_output_words().size()));
}

TEST(OpenAIChat, MaxTokensEndsWithLength) {
  Harness h;
  json body = user_chat("Hi");
  body["max_tokens"] = 3;
  json r = json::parse(h.post("/v1/chat/completions", body)->body);
  EXPECT_EQ(r["choices"][0]["message"]["content"], "Hello from Hearth");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["usage"]["completion_tokens"], 3);
  body.erase("max_tokens");
  body["max_completion_tokens"] = 2;
  r = json::parse(h.post("/v1/chat/completions", body)->body);
  EXPECT_EQ(r["choices"][0]["message"]["content"], "Hello from");
}

TEST(OpenAIChat, StopStringIsNotInTheOutput) {
  Harness h;
  json body = user_chat("Hi");
  body["stop"] = {"fox", "never"};
  json r = json::parse(h.post("/v1/chat/completions", body)->body);
  EXPECT_EQ(r["choices"][0]["message"]["content"],
            "Hello from Hearth! This is the fake engine speaking. The quick brown ");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAIChat, SeveralChoicesCountThePromptOnce) {
  Harness h;
  json body = user_chat("Hi");
  body["n"] = 2;
  body["max_tokens"] = 2;
  json r = json::parse(h.post("/v1/chat/completions", body)->body);
  ASSERT_EQ(r["choices"].size(), 2u);
  EXPECT_EQ(r["choices"][0]["index"], 0);
  EXPECT_EQ(r["choices"][1]["index"], 1);
  EXPECT_EQ(r["choices"][1]["message"]["content"], "Hello from");
  EXPECT_EQ(r["usage"]["prompt_tokens"], chatml_user("Hi").size());
  EXPECT_EQ(r["usage"]["completion_tokens"], 4);
}

TEST(OpenAIChat, StreamIsServerSentEventsEndingWithDone) {
  Harness h;
  json body = user_chat("Hi");
  body["stream"] = true;
  body["max_tokens"] = 5;
  auto ex = h.post("/v1/chat/completions", body);
  ASSERT_EQ(ex->status, 200);
  EXPECT_EQ(ex->headers.get("Content-Type"), "text/event-stream; charset=utf-8");
  auto events = sse_payloads(ex->body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json& first = events[0];
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string content;
  std::string finish;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["id"], first["id"]);
    EXPECT_FALSE(events[i].contains("usage"));  // only with stream_options.include_usage
    const json& choice = events[i]["choices"][0];
    if (choice["delta"].contains("content")) content += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) {
      EXPECT_TRUE(finish.empty()) << "two finish chunks";
      finish = choice["finish_reason"];
    }
  }
  EXPECT_EQ(content, "Hello from Hearth! This");
  EXPECT_EQ(finish, "length");
}

TEST(OpenAIChat, StreamIncludesUsageWhenAsked) {
  Harness h;
  json body = user_chat("Hi");
  body["stream"] = true;
  body["max_tokens"] = 2;
  body["stream_options"] = {{"include_usage", true}};
  auto events = sse_payloads(h.post("/v1/chat/completions", body)->body);
  ASSERT_GE(events.size(), 3u);
  const json& usage_chunk = events[events.size() - 2];
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"]["completion_tokens"], 2);
  EXPECT_EQ(usage_chunk["usage"]["prompt_tokens"], chatml_user("Hi").size());
  for (std::size_t i = 0; i + 2 < events.size(); ++i) EXPECT_TRUE(events[i]["usage"].is_null()) << events[i];
}

TEST(OpenAIChat, LogprobsHaveOneEntryPerToken) {
  Harness h;
  json body = user_chat("Hi");
  body["max_tokens"] = 3;
  body["logprobs"] = true;
  body["top_logprobs"] = 2;
  json r = json::parse(h.post("/v1/chat/completions", body)->body);
  const json& entries = r["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["token"], "Hello");
  EXPECT_EQ(entries[0]["bytes"], json({72, 101, 108, 108, 111}));
  EXPECT_LE(entries[0]["logprob"].get<double>(), 0.0);
  EXPECT_EQ(entries[0]["top_logprobs"].size(), 2u);
  EXPECT_TRUE(entries[0]["top_logprobs"][0].contains("bytes"));
}

TEST(OpenAIChat, ErrorsUseOpenAIShapeAndStatus) {
  Harness h;
  auto expect_error = [&](const std::string& body, int status, const std::string& param,
                          const std::string& code) -> json {
    auto ex = h.call("POST", "/v1/chat/completions", body);
    EXPECT_EQ(ex->status, status) << body << " -> " << ex->body;
    json e = json::parse(ex->body);
    EXPECT_TRUE(e.contains("error")) << ex->body;
    EXPECT_TRUE(e["error"]["message"].is_string());
    EXPECT_TRUE(e["error"]["type"].is_string());
    if (param.empty()) {
      EXPECT_TRUE(e["error"]["param"].is_null()) << ex->body;
    } else {
      EXPECT_EQ(e["error"]["param"], param) << ex->body;
    }
    if (!code.empty()) {
      EXPECT_EQ(e["error"]["code"], code) << ex->body;
    }
    return e;
  };
  expect_error("{\"model\":", 400, "", "");
  expect_error("[1,2]", 400, "", "");
  expect_error("", 400, "", "");
  expect_error(R"({"model":"tiny"})", 400, "messages", "missing_required_parameter");
  expect_error(R"({"messages":"hi"})", 400, "messages", "invalid_type");
  expect_error(R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", 400, "temperature",
               "invalid_type");
  expect_error(R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", 400, "temperature", "invalid_value");
  expect_error(R"({"messages":[{"role":"user","content":"x"},{"role":"user","content":5}]})", 400,
               "messages[1].content", "invalid_type");
  expect_error(R"({"messages":[{"role":"wizard","content":"x"}]})", 400, "messages[0].role", "invalid_value");
  expect_error(R"({"messages":[{"role":"user","content":"x"}],"n":0})", 400, "n", "invalid_value");
  json e = expect_error(R"({"model":"gpt-4","messages":[{"role":"user","content":"x"}]})", 404, "", "model_not_found");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("gpt-4"), std::string::npos);
  expect_error(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})", 400,
               "response_format", "unsupported_parameter");
  expect_error(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]})", 400,
               "messages[0].content[0].type", "unsupported_parameter");
}

TEST(OpenAIChat, PromptsLongerThanTheContextAreRefusedNotTruncated) {
  Harness h;  // context 256 tokens, one token per byte
  auto ex = h.post("/v1/chat/completions", user_chat(std::string(300, 'a')));
  EXPECT_EQ(ex->status, 400);
  json e = json::parse(ex->body);
  EXPECT_EQ(e["error"]["code"], "context_length_exceeded");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("maximum context length is 256 tokens"), std::string::npos);

  json body = user_chat("Hi");
  body["max_tokens"] = 250;  // prompt + max_tokens > 256
  ex = h.post("/v1/chat/completions", body);
  EXPECT_EQ(ex->status, 400);
  EXPECT_EQ(json::parse(ex->body)["error"]["code"], "context_length_exceeded");
}

json weather_tools() {
  return json::parse(R"([{"type": "function", "function": {"name": "get_weather", "description": "Weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
}

TEST(OpenAIChat, ReasoningGoesToReasoningContent) {
  Harness h;
  json r = json::parse(h.post("/v1/chat/completions", user_chat("[[fake:think]] Hi"))->body);
  const json& m = r["choices"][0]["message"];
  EXPECT_EQ(m["reasoning_content"], "Let me think.");
  EXPECT_EQ(m["reasoning"], "Let me think.");
  EXPECT_EQ(m["content"], kFakeText);

  json body = user_chat("[[fake:think]] Hi");
  body["stream"] = true;
  std::string reasoning, content;
  for (const auto& e : sse_payloads(h.post("/v1/chat/completions", body)->body)) {
    if (e == "[DONE]") continue;
    const json& d = e["choices"][0]["delta"];
    if (d.contains("reasoning_content")) reasoning += d["reasoning_content"].get<std::string>();
    if (d.contains("content")) content += d["content"].get<std::string>();
  }
  EXPECT_EQ(reasoning, "Let me think.");
  EXPECT_EQ(content, kFakeText);
}

TEST(OpenAIChat, ToolCallsAreParsedIntoToolCalls) {
  Harness h;
  json body = user_chat("[[fake:tool]] Weather in Paris?");
  body["tools"] = weather_tools();
  json r = json::parse(h.post("/v1/chat/completions", body)->body);
  const json& c = r["choices"][0];
  EXPECT_EQ(c["finish_reason"], "tool_calls");
  EXPECT_TRUE(c["message"]["content"].is_null());
  ASSERT_EQ(c["message"]["tool_calls"].size(), 1u);
  const json& call = c["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(json::parse(call["function"]["arguments"].get<std::string>()), json({{"city", "Paris"}}));

  body["stream"] = true;
  std::string name, arguments, finish;
  int with_id = 0;
  for (const auto& e : sse_payloads(h.post("/v1/chat/completions", body)->body)) {
    if (e == "[DONE]") continue;
    const json& choice = e["choices"][0];
    for (const auto& d : choice["delta"].value("tool_calls", json::array())) {
      EXPECT_EQ(d["index"], 0);
      if (d.contains("id")) ++with_id;
      if (d["function"].contains("name")) name += d["function"]["name"].get<std::string>();
      arguments += d["function"]["arguments"].get<std::string>();
    }
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  EXPECT_EQ(with_id, 1);
  EXPECT_EQ(name, "get_weather");
  EXPECT_EQ(json::parse(arguments), json({{"city", "Paris"}}));
  EXPECT_EQ(finish, "tool_calls");

  // Without tools on offer, the same output is plain content.
  json plain = json::parse(h.post("/v1/chat/completions", user_chat("[[fake:tool]]"))->body);
  EXPECT_NE(plain["choices"][0]["message"]["content"].get<std::string>().find("<tool_call>"), std::string::npos);
  EXPECT_EQ(plain["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAICompletions, TextCompletionShape) {
  Harness h;
  auto ex = h.post("/v1/completions", {{"model", "tiny"}, {"prompt", "Once upon"}, {"max_tokens", 3}});
  ASSERT_EQ(ex->status, 200) << ex->body;
  json r = json::parse(ex->body);
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_EQ(r["choices"][0]["text"], "Hello from Hearth");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r["usage"]["prompt_tokens"], 9);  // "Once upon", one token per byte
}

TEST(OpenAICompletions, EchoBatchAndLogprobs) {
  Harness h;
  json r = json::parse(
      h.post("/v1/completions", {{"prompt", {"A", "B"}}, {"n", 2}, {"max_tokens", 1}, {"echo", true}, {"logprobs", 1}})
          ->body);
  ASSERT_EQ(r["choices"].size(), 4u);
  EXPECT_EQ(r["choices"][0]["text"], "AHello");
  EXPECT_EQ(r["choices"][1]["text"], "AHello");
  EXPECT_EQ(r["choices"][2]["text"], "BHello");
  EXPECT_EQ(r["choices"][3]["index"], 3);
  const json& lp = r["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], json({"Hello"}));
  EXPECT_EQ(lp["token_logprobs"].size(), 1u);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 1u);
  EXPECT_EQ(r["usage"]["prompt_tokens"], 2);  // each prompt once
  EXPECT_EQ(r["usage"]["completion_tokens"], 4);
}

TEST(OpenAICompletions, TokenPromptsAndStreaming) {
  Harness h;
  auto ex = h.post("/v1/completions", {{"prompt", {72, 105}}, {"max_tokens", 2}, {"stream", true}});
  auto events = sse_payloads(ex->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) text += events[i]["choices"][0]["text"].get<std::string>();
  EXPECT_EQ(text, "Hello from");
  auto bad = h.post("/v1/completions", {{"prompt", {72, -1}}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["param"], "prompt[1]");
}

TEST(OpenAIModels, ListRetrieveAndEmbeddings) {
  Harness h;
  json list = json::parse(h.call("GET", "/v1/models")->body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], "tiny");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_EQ(list["data"][0]["owned_by"], "hearth");
  EXPECT_EQ(h.call("GET", "/v1/models/tiny")->status, 200);
  auto missing = h.call("GET", "/v1/models/org/other-model");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "model_not_found");
  auto emb = h.post("/v1/embeddings", {{"model", "tiny"}, {"input", "hello"}});
  EXPECT_EQ(emb->status, 501);
  EXPECT_TRUE(json::parse(emb->body)["error"]["message"].is_string());
}

TEST(Routing, UnknownPathAndWrongMethodAreJsonErrors) {
  Harness h;
  auto nf = h.call("GET", "/v1/nothing");
  EXPECT_EQ(nf->status, 404);
  EXPECT_TRUE(json::parse(nf->body)["error"].is_object());
  auto ollama_nf = h.call("GET", "/api/nothing");
  EXPECT_EQ(ollama_nf->status, 404);
  EXPECT_TRUE(json::parse(ollama_nf->body)["error"].is_string());
  auto wrong = h.call("GET", "/v1/chat/completions");
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->headers.get("Allow"), "POST");
  h.wait_until_ready();
  auto head = h.call("HEAD", "/health");
  EXPECT_EQ(head->status, 200);
}

TEST(Generation, ClientDisconnectCancelsTheGeneration) {
  FakeEngineOptions fake = default_fake();
  fake.token_delay = std::chrono::milliseconds(5);
  Harness h(fake);
  json body = user_chat("Hi");
  body["stream"] = true;
  body["ignore_eos"] = true;
  body["max_tokens"] = 200;
  auto ex = h.start("POST", "/v1/chat/completions", body.dump());
  ASSERT_TRUE(ex->run_until([&] { return ex->body.find("Hearth") != std::string::npos; }));
  EXPECT_EQ(h.service->stats().running, 1);
  ex->disconnect();
  // The engine learns of it and finishes the sequence as cancelled; bookkeeping follows.
  ASSERT_TRUE(ex->run_until([&] { return h.admission.running() == 0 && h.jobs.size() == 0; }));
  EXPECT_EQ(h.service->stats().running, 0);
  EXPECT_NE(h.metrics.render(h.service->stats())
                .find("hearth_request_success_total{model=\"tiny\",finished_reason=\"cancelled\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace hearth::server::test
