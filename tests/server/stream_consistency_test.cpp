// A streamed response says exactly what the same request says unstreamed: the deltas of every choice
// concatenate to the non-streaming content, reasoning and tool calls, with the same finish_reason, also when
// stop strings hold text back, the output ends on a tool call or reasoning, and several choices interleave.
// The fake engine is deterministic, so the two requests generate the same tokens.
#include <gtest/gtest.h>

#include <map>

#include "harness.h"

namespace hearth::server::test {
namespace {

using nlohmann::json;

struct ChoiceText {
  std::string content;
  std::string reasoning;
  std::string tool_calls;  // "name(arguments);" per call, in order
  std::string finish_reason;
  bool operator==(const ChoiceText&) const = default;
};

std::ostream& operator<<(std::ostream& os, const ChoiceText& c) {
  return os << "{content: '" << c.content << "', reasoning: '" << c.reasoning << "', tool_calls: '" << c.tool_calls
            << "', finish: " << c.finish_reason << "}";
}

std::map<int, ChoiceText> unstreamed_chat(Harness& h, json body) {
  body["stream"] = false;
  auto ex = h.post("/v1/chat/completions", body);
  EXPECT_EQ(ex->status, 200) << ex->body;
  std::map<int, ChoiceText> out;
  const json response = json::parse(ex->body);
  for (const auto& c : response["choices"]) {
    ChoiceText& t = out[c["index"].get<int>()];
    const json& m = c["message"];
    if (m["content"].is_string()) t.content = m["content"];
    t.reasoning = m.value("reasoning_content", "");
    for (const auto& call : m.value("tool_calls", json::array())) {
      t.tool_calls +=
          call["function"]["name"].get<std::string>() + "(" + call["function"]["arguments"].get<std::string>() + ");";
    }
    t.finish_reason = c["finish_reason"];
  }
  return out;
}

std::map<int, ChoiceText> streamed_chat(Harness& h, json body) {
  body["stream"] = true;
  auto ex = h.post("/v1/chat/completions", body);
  EXPECT_EQ(ex->status, 200) << ex->body;
  std::map<int, ChoiceText> out;
  std::map<int, std::map<int, std::pair<std::string, std::string>>> calls;  // choice -> call index -> name, args
  for (const auto& e : sse_payloads(ex->body)) {
    if (e == "[DONE]") continue;
    for (const auto& c : e["choices"]) {
      const int index = c["index"];
      ChoiceText& t = out[index];
      const json& d = c["delta"];
      if (d.contains("content") && d["content"].is_string()) t.content += d["content"].get<std::string>();
      if (d.contains("reasoning_content")) t.reasoning += d["reasoning_content"].get<std::string>();
      for (const auto& call : d.value("tool_calls", json::array())) {
        auto& [name, args] = calls[index][call["index"].get<int>()];
        if (call["function"].contains("name")) name += call["function"]["name"].get<std::string>();
        args += call["function"].value("arguments", "");
      }
      if (!c["finish_reason"].is_null()) {
        EXPECT_TRUE(t.finish_reason.empty()) << "two finish chunks for choice " << index;
        t.finish_reason = c["finish_reason"];
      }
    }
  }
  for (const auto& [index, by_call] : calls) {
    for (const auto& [i, call] : by_call) out[index].tool_calls += call.first + "(" + call.second + ");";
  }
  return out;
}

json chat_body(const std::string& user) {
  return {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", user}}}}, {"temperature", 0}};
}

void expect_same_chat(Harness& h, const json& body) {
  const auto whole = unstreamed_chat(h, body);
  const auto streamed = streamed_chat(h, body);
  ASSERT_FALSE(whole.empty());
  EXPECT_EQ(streamed, whole) << body.dump();
}

TEST(StreamMatchesUnstreamed, ChatContent) {
  Harness h;
  expect_same_chat(h, chat_body("Hi"));
  json limited = chat_body("Hi");
  limited["max_tokens"] = 7;
  expect_same_chat(h, limited);
}

TEST(StreamMatchesUnstreamed, ChatWithStopStrings) {
  Harness h;
  json body = chat_body("Hi");
  // "fox" stops; "Hearth!!" and "lazy cat" never match but hold back "Hearth!" and "lazy " while they might.
  body["stop"] = {"fox", "Hearth!!", "lazy cat"};
  expect_same_chat(h, body);
  body["stop"] = {"Hearth!!", "lazy cat"};  // no match at all: the held-back text is released at the end
  expect_same_chat(h, body);
  body["n"] = 3;  // interleaved choices
  expect_same_chat(h, body);
}

TEST(StreamMatchesUnstreamed, ChatWithToolCallsAndReasoning) {
  Harness h;
  json tools = chat_body("[[fake:tool]] Weather in Paris?");
  tools["tools"] = json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  expect_same_chat(h, tools);
  tools["stop"] = {"</tool_call>"};  // the call never closes: it ends as content
  expect_same_chat(h, tools);
  json think = chat_body("[[fake:think]] Hi");
  expect_same_chat(h, think);
  think["stop"] = {"speaking"};
  think["n"] = 2;
  expect_same_chat(h, think);
}

std::map<int, std::pair<std::string, std::string>> completion_texts(Harness& h, json body, bool stream) {
  body["stream"] = stream;
  auto ex = h.post("/v1/completions", body);
  EXPECT_EQ(ex->status, 200) << ex->body;
  std::map<int, std::pair<std::string, std::string>> out;  // index -> text, finish_reason
  if (!stream) {
    const json response = json::parse(ex->body);
    for (const auto& c : response["choices"]) {
      out[c["index"].get<int>()] = {c["text"].get<std::string>(), c["finish_reason"].get<std::string>()};
    }
    return out;
  }
  for (const auto& e : sse_payloads(ex->body)) {
    if (e == "[DONE]") continue;
    for (const auto& c : e["choices"]) {
      auto& [text, finish] = out[c["index"].get<int>()];
      text += c["text"].get<std::string>();
      if (!c["finish_reason"].is_null()) {
        EXPECT_TRUE(finish.empty()) << "two finish chunks";
        finish = c["finish_reason"];
      }
    }
  }
  return out;
}

TEST(StreamMatchesUnstreamed, Completions) {
  Harness h;
  const json plain = {{"model", "tiny"}, {"prompt", "Once upon"}, {"temperature", 0}};
  json stops = plain;
  stops["stop"] = {"brown", "Hearth!!"};
  json echo = plain;
  echo["echo"] = true;
  echo["prompt"] = {"A", "B"};
  echo["n"] = 2;
  echo["stop"] = {"lazy cat"};
  for (const json& body : {plain, stops, echo}) {
    const auto whole = completion_texts(h, body, false);
    ASSERT_FALSE(whole.empty());
    EXPECT_EQ(completion_texts(h, body, true), whole) << body.dump();
  }
}

}  // namespace
}  // namespace hearth::server::test
