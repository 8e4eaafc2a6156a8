#pragma once
// Turns a chat model's raw output into what an API returns: reasoning, content and tool calls.
// Reasoning (<think>...</think>) is split off first; tool calls are looked for in the content only,
// so a <tool_call> the model merely thinks about is not executed. Incremental: feed() text as it is
// generated and send each non-empty delta; finish() at the end.
#include <string_view>
#include <vector>

#include "chat/reasoning_parser.h"
#include "chat/tool_call_parser.h"

namespace hearth {

struct ChatOutputOptions {
  bool reasoning = false;            // split <think> blocks off (reasoning models)
  bool starts_in_reasoning = false;  // the prompt opened <think> (see prompt_opens_reasoning)
  bool tool_calls = false;           // tools were offered: extract <tool_call> blocks
};

struct ChatOutputDelta {
  std::string reasoning;
  std::string content;
  std::vector<ParsedToolCall> tool_calls;
  bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
};

class ChatOutputParser {
 public:
  explicit ChatOutputParser(const ChatOutputOptions& options);
  ChatOutputDelta feed(std::string_view text);
  ChatOutputDelta finish();

 private:
  ChatOutputDelta route(ReasoningDelta step, bool final);

  ChatOutputOptions options_;
  ReasoningParser reasoning_;
  ToolCallParser tools_;
};

// Non-streaming convenience.
ChatOutputDelta parse_chat_output(std::string_view output, const ChatOutputOptions& options);

}  // namespace hearth
