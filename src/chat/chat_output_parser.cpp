#include "chat/chat_output_parser.h"

namespace hearth {

ChatOutputParser::ChatOutputParser(const ChatOutputOptions& options)
    : options_(options), reasoning_(options.starts_in_reasoning) {}

ChatOutputDelta ChatOutputParser::route(ReasoningDelta step, bool final) {
  ChatOutputDelta out;
  out.reasoning = std::move(step.reasoning);
  if (!options_.tool_calls) {
    out.content = std::move(step.content);
    return out;
  }
  ToolCallDelta tools = tools_.feed(step.content);
  if (final) {
    ToolCallDelta tail = tools_.finish();
    tools.content += tail.content;
    for (auto& call : tail.calls) tools.calls.push_back(std::move(call));
  }
  out.content = std::move(tools.content);
  out.tool_calls = std::move(tools.calls);
  return out;
}

ChatOutputDelta ChatOutputParser::feed(std::string_view text) {
  if (!options_.reasoning) return route(ReasoningDelta{"", std::string(text)}, false);
  return route(reasoning_.feed(text), false);
}

ChatOutputDelta ChatOutputParser::finish() {
  if (!options_.reasoning) return route(ReasoningDelta{}, true);
  return route(reasoning_.finish(), true);
}

ChatOutputDelta parse_chat_output(std::string_view output, const ChatOutputOptions& options) {
  ChatOutputParser parser(options);
  ChatOutputDelta out = parser.feed(output);
  ChatOutputDelta tail = parser.finish();
  out.reasoning += tail.reasoning;
  out.content += tail.content;
  for (auto& call : tail.tool_calls) out.tool_calls.push_back(std::move(call));
  return out;
}

}  // namespace hearth
