#include "server/chat_output_adapter.h"

#include "chat/chat_output_parser.h"

namespace hearth::server {

namespace {

class ChatOutputAdapter final : public OutputParser {
 public:
  explicit ChatOutputAdapter(const OutputParserOptions& o)
      : parser_(ChatOutputOptions{o.reasoning, o.reasoning && prompt_opens_reasoning(o.rendered_prompt), o.tools}) {}

  ParsedDelta feed(std::string_view text) override { return convert(parser_.feed(text)); }
  ParsedDelta finish() override { return convert(parser_.finish()); }

 private:
  ParsedDelta convert(ChatOutputDelta d) {
    ParsedDelta out;
    out.content = std::move(d.content);
    out.reasoning = std::move(d.reasoning);
    for (auto& call : d.tool_calls) {
      ToolCallDelta t;
      t.index = next_call_++;
      t.name = std::move(call.name);
      t.arguments = std::move(call.arguments_text);
      out.tool_calls.push_back(std::move(t));
    }
    return out;
  }

  ChatOutputParser parser_;
  int next_call_ = 0;
};

}  // namespace

std::unique_ptr<OutputParser> make_chat_output_parser(const OutputParserOptions& options) {
  return std::make_unique<ChatOutputAdapter>(options);
}

}  // namespace hearth::server
