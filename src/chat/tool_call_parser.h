#pragma once
// Extracts tool calls in the Qwen / Hermes format from model output:
//
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
//
// Incremental like ReasoningParser: content is released as it arrives except a possible start of
// "<tool_call>", and a call is emitted once its closing tag arrives. A block whose body is not a JSON
// object with a string "name" stays in the content verbatim (never an exception). Whitespace between
// the content and a tool call, or between calls, is formatting and is dropped, so a parsed reply
// re-renders (Qwen templates write content + "\n" + <tool_call>...) to the text the model produced.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth {

struct ParsedToolCall {
  std::string name;
  nlohmann::ordered_json arguments = nlohmann::ordered_json::object();  // as the model wrote them
  // The arguments as JSON text in the form the model was trained on (json.dumps: ", " and ": "
  // separators, non-ASCII kept); a model that wrote the arguments as a string keeps that string.
  std::string arguments_text;
};

struct ToolCallDelta {
  std::string content;
  std::vector<ParsedToolCall> calls;
  bool empty() const { return content.empty() && calls.empty(); }
};

class ToolCallParser {
 public:
  explicit ToolCallParser(std::string open_tag = "<tool_call>", std::string close_tag = "</tool_call>");

  ToolCallDelta feed(std::string_view text);
  // End of output: an unterminated call and any held-back text become content.
  ToolCallDelta finish();

 private:
  void drain(ToolCallDelta& out, bool final);
  void emit_content(ToolCallDelta& out, std::string_view text);

  std::string open_tag_, close_tag_;
  bool in_call_ = false;
  bool after_call_ = false;  // whitespace right after a call is dropped
  std::string pending_;      // unreleased output
  std::string held_space_;   // trailing whitespace of the content, dropped if a call follows
};

// Parses one tool-call body (the text between the tags). False when it is not a JSON object with a
// string "name" and object/string "arguments" (or "parameters"); `call` is then unspecified.
bool parse_tool_call_body(std::string_view body, ParsedToolCall& call);

// Non-streaming convenience.
ToolCallDelta parse_tool_calls(std::string_view output);

}  // namespace hearth
