// Reasoning and tool-call parsers for Qwen-style output, whole and streamed: every split of the text
// into chunks must give the same result, and no chunk may carry part of a tag.
#include <gtest/gtest.h>

#include "chat/chat_output_parser.h"
#include "chat/reasoning_parser.h"
#include "chat/tool_call_parser.h"

namespace hearth {
namespace {

// Feeds `text` in pieces of `chunk` bytes and concatenates the deltas.
ChatOutputDelta stream(std::string_view text, const ChatOutputOptions& options, size_t chunk,
                       std::vector<ChatOutputDelta>* deltas = nullptr) {
  ChatOutputParser parser(options);
  ChatOutputDelta all;
  auto add = [&](ChatOutputDelta d) {
    all.reasoning += d.reasoning;
    all.content += d.content;
    for (auto& c : d.tool_calls) all.tool_calls.push_back(c);
    if (deltas) deltas->push_back(std::move(d));
  };
  for (size_t i = 0; i < text.size(); i += chunk) add(parser.feed(text.substr(i, chunk)));
  add(parser.finish());
  return all;
}

// Parses whole and streamed with every chunk size; all must agree.
ChatOutputDelta parse_all_ways(std::string_view text, const ChatOutputOptions& options) {
  ChatOutputDelta whole = parse_chat_output(text, options);
  for (size_t chunk = 1; chunk <= text.size(); ++chunk) {
    std::vector<ChatOutputDelta> deltas;
    ChatOutputDelta s = stream(text, options, chunk, &deltas);
    EXPECT_EQ(s.reasoning, whole.reasoning) << "chunk " << chunk;
    EXPECT_EQ(s.content, whole.content) << "chunk " << chunk;
    EXPECT_EQ(s.tool_calls.size(), whole.tool_calls.size()) << "chunk " << chunk;
    for (const auto& d : deltas) {
      for (const char* tag : {"<think", "</think", "think>", "<tool_call", "</tool_call", "tool_call>"}) {
        if (whole.content.find(tag) == std::string::npos) {
          EXPECT_EQ(d.content.find(tag), std::string::npos) << d.content;
        }
        if (whole.reasoning.find(tag) == std::string::npos) {
          EXPECT_EQ(d.reasoning.find(tag), std::string::npos) << d.reasoning;
        }
      }
    }
  }
  return whole;
}

const ChatOutputOptions kReasoning{.reasoning = true};
const ChatOutputOptions kTools{.tool_calls = true};
const ChatOutputOptions kBoth{.reasoning = true, .tool_calls = true};

TEST(ReasoningParser, SplitsThinkBlock) {
  auto r = parse_all_ways("<think>\nLet me think.\nStep two.\n</think>\n\nThe answer is 4.", kReasoning);
  EXPECT_EQ(r.reasoning, "Let me think.\nStep two.");
  EXPECT_EQ(r.content, "The answer is 4.");
}

TEST(ReasoningParser, NoThinkBlockIsAllContent) {
  auto r = parse_all_ways("Plain answer with <b>tags</b> and a < sign.", kReasoning);
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "Plain answer with <b>tags</b> and a < sign.");
  // A <think> later in the text is content, not reasoning.
  r = parse_all_ways("Answer. <think>not reasoning</think>", kReasoning);
  EXPECT_EQ(r.content, "Answer. <think>not reasoning</think>");
}

TEST(ReasoningParser, EmptyThinkBlockFromDisabledThinking) {
  auto r = parse_all_ways("<think>\n\n</think>\n\nHi!", kReasoning);
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "Hi!");
}

TEST(ReasoningParser, PromptAlreadyOpenedThink) {
  const std::string deepseek_prompt = "<｜User｜>hi<｜Assistant｜><think>\n";
  ASSERT_TRUE(prompt_opens_reasoning(deepseek_prompt));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n"));
  EXPECT_TRUE(prompt_opens_reasoning("<think>old</think> turn <think>\n"));
  ChatOutputOptions opened{.reasoning = true, .starts_in_reasoning = true};
  auto r = parse_all_ways("Reasoning goes here.\n</think>\n\nFinal.", opened);
  EXPECT_EQ(r.reasoning, "Reasoning goes here.");
  EXPECT_EQ(r.content, "Final.");
}

TEST(ReasoningParser, UnfinishedReasoningStaysReasoning) {
  auto r = parse_all_ways("<think>\nStill thinking about </thi", kReasoning);
  EXPECT_EQ(r.reasoning, "Still thinking about </thi");
  EXPECT_EQ(r.content, "");
  // A reply that is only the beginning of a tag is content once the output ends.
  r = parse_all_ways("<thi", kReasoning);
  EXPECT_EQ(r.content, "<thi");
}

TEST(ReasoningParser, HoldsBackPartialTags) {
  ReasoningParser p;
  EXPECT_TRUE(p.feed("<th").empty());
  EXPECT_TRUE(p.feed("ink>\nab").content.empty());
  ReasoningDelta d = p.feed("c</th");
  EXPECT_EQ(d.reasoning, "c");
  d = p.feed("ink>\n\nOK");
  EXPECT_EQ(d.reasoning, "");
  EXPECT_EQ(d.content, "OK");
  EXPECT_TRUE(p.finish().empty());
}

TEST(ToolCallParser, ExtractsCalls) {
  const std::string out =
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": [1, "
      "2]}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"北京\"}}\n</tool_call>";
  auto r = parse_all_ways(out, kTools);
  EXPECT_EQ(r.content, "Let me check.");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments_text, R"({"city": "Paris", "days": [1, 2]})");
  EXPECT_EQ(r.tool_calls[0].arguments["days"][1], 2);
  EXPECT_EQ(r.tool_calls[1].name, "get_time");
  EXPECT_EQ(r.tool_calls[1].arguments_text, R"({"tz": "北京"})");
}

TEST(ToolCallParser, ArgumentsAsStringOrMissing) {
  auto r = parse_all_ways("<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"x\\\": 1}\"}</tool_call>", kTools);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments_text, R"({"x": 1})");
  r = parse_all_ways("<tool_call>{\"name\": \"g\"}</tool_call>", kTools);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments_text, "{}");
}

TEST(ToolCallParser, MalformedCallsStayContent) {
  for (const std::string bad :
       {"<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": }\n</tool_call>", "<tool_call>not json</tool_call>",
        "<tool_call>[1, 2]</tool_call>", "<tool_call>{\"arguments\": {}}</tool_call>",
        "<tool_call>{\"name\": 5, \"arguments\": {}}</tool_call>"}) {
    auto r = parse_all_ways("Before " + bad + " after", kTools);
    EXPECT_TRUE(r.tool_calls.empty()) << bad;
    EXPECT_EQ(r.content, "Before " + bad + " after");
  }
  // A good call after a bad one is still found.
  auto r =
      parse_all_ways("<tool_call>oops</tool_call><tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>", kTools);
  EXPECT_EQ(r.content, "<tool_call>oops</tool_call>");
  ASSERT_EQ(r.tool_calls.size(), 1u);
}

TEST(ToolCallParser, UnterminatedCallBecomesContent) {
  auto r = parse_all_ways("Sure.\n<tool_call>\n{\"name\": \"f\", \"argu", kTools);
  EXPECT_TRUE(r.tool_calls.empty());
  EXPECT_EQ(r.content, "Sure.\n<tool_call>\n{\"name\": \"f\", \"argu");
  r = parse_all_ways("ends with <tool_ca", kTools);
  EXPECT_EQ(r.content, "ends with <tool_ca");
}

TEST(ToolCallParser, PlainContentKeepsItsWhitespace) {
  auto r = parse_all_ways("  Hello\n\nworld \n", kTools);
  EXPECT_EQ(r.content, "  Hello\n\nworld \n");
  EXPECT_TRUE(r.tool_calls.empty());
}

TEST(ChatOutputParser, ReasoningThenToolCall) {
  const std::string out =
      "<think>\nI could call <tool_call> here but I am only thinking.\n</think>\n\n"
      "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"moe\"}}\n</tool_call>";
  auto r = parse_all_ways(out, kBoth);
  EXPECT_EQ(r.reasoning, "I could call <tool_call> here but I am only thinking.");
  EXPECT_EQ(r.content, "");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "search");
  // Without tools offered, the same text stays content.
  auto plain = parse_chat_output(out, kReasoning);
  EXPECT_TRUE(plain.tool_calls.empty());
  EXPECT_NE(plain.content.find("<tool_call>"), std::string::npos);
}

TEST(ChatOutputParser, StreamReleasesTextPromptly) {
  ChatOutputParser p(kBoth);
  EXPECT_EQ(p.feed("Hello").content, "Hello");  // no <think> can follow non-space text
  EXPECT_EQ(p.feed(" wor").content, " wor");
  EXPECT_EQ(p.feed("ld <tool").content, "ld");  // " <tool" might start a call
  auto d = p.feed("box>");
  EXPECT_EQ(d.content, " <toolbox>");
  EXPECT_TRUE(p.finish().empty());
}

}  // namespace
}  // namespace hearth
