#pragma once
// The model-specific work the HTTP threads do before and after generation: rendering the chat template,
// tokenizing, and parsing the model's raw output into content / reasoning / tool calls. Implemented over
// src/chat + src/tokenizer for real models, and by FakePromptFrontend for tests.
//
// Thread safety: every method may be called concurrently from the HTTP I/O threads. Output parsers are
// per choice and used by one thread at a time.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/engine_interface.h"

namespace hearth::server {

struct ToolCall {
  std::string id;  // "call_…"
  std::string name;
  std::string arguments;  // JSON text, as the model wrote it or the client sent it
};

struct ChatMessage {
  std::string role;  // system | user | assistant | tool (OpenAI "developer" arrives as system)
  std::string content;
  bool content_is_null = false;                  // an assistant message that only carries tool calls
  std::optional<std::string> reasoning_content;  // an assistant's earlier reasoning (Qwen3 templates use it)
  std::vector<ToolCall> tool_calls;
  std::string tool_call_id;  // role tool: the call this answers
  std::string name;          // optional participant / tool name
};

struct ToolDefinition {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text ("{}" when absent)
  bool strict = false;
};

struct ChatPromptInput {
  std::vector<ChatMessage> messages;
  std::vector<ToolDefinition> tools;
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;  // chat_template_kwargs.enable_thinking / Ollama "think"
  // Other chat_template_kwargs as a JSON object text ("{}"): template variables chosen by the client.
  std::string template_kwargs = "{}";
};

// One piece of parsed output.
struct ToolCallDelta {
  int index = 0;          // position of the call in the message
  std::string id;         // set on the call's first delta
  std::string name;       // set on the call's first delta
  std::string arguments;  // a piece of the arguments' JSON text
};

struct ParsedDelta {
  std::string content;
  std::string reasoning;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return content.empty() && reasoning.empty() && tool_calls.empty(); }
};

// Splits raw model output (fed in pieces as it is generated) into content, reasoning and tool calls.
class OutputParser {
 public:
  virtual ~OutputParser() = default;
  virtual ParsedDelta feed(std::string_view text) = 0;
  // End of output: releases anything held back (an unterminated tool call becomes content).
  virtual ParsedDelta finish() = 0;
};

struct OutputParserOptions {
  bool reasoning = false;       // the output may contain reasoning (thinking enabled, or the model always thinks)
  bool tools = false;           // tools were offered, so tool calls may appear
  std::string rendered_prompt;  // the prompt as rendered (whether it ends inside a <think> block, ...)
};

// Everything as content: for plain completions and models without reasoning or tool formats.
class PassthroughOutputParser final : public OutputParser {
 public:
  ParsedDelta feed(std::string_view text) override { return ParsedDelta{std::string(text), {}, {}}; }
  ParsedDelta finish() override { return {}; }
};

class PromptFrontend {
 public:
  virtual ~PromptFrontend() = default;

  // Renders messages with the chat template (or config prompt_template). Throws hearth::Error for input the
  // template refuses (raise_exception), which becomes a 400.
  virtual std::string render_chat(const ChatPromptInput& input) const = 0;

  // Special-token text (e.g. "<|im_start|>") becomes its id, as for chat prompts.
  virtual std::vector<TokenId> tokenize(std::string_view text) const = 0;
  virtual std::string detokenize(const std::vector<TokenId>& tokens) const = 0;

  virtual std::unique_ptr<OutputParser> make_output_parser(const OutputParserOptions& options) const = 0;

  // The reasoning block's tags when each is one token of the model's vocabulary (Qwen3: <think>, </think>);
  // nullopt when the model has none. Lets a response_format constraint start after the reasoning.
  struct ReasoningTags {
    TokenId open = 0;
    TokenId close = 0;
  };
  virtual std::optional<ReasoningTags> reasoning_tags() const { return std::nullopt; }

  // The tool-call tags when each is one token (Qwen: <tool_call>, </tool_call>); nullopt otherwise. Lets
  // tool_choice "required" / a named function force a call.
  struct ToolCallTags {
    TokenId open = 0;
    TokenId close = 0;
  };
  virtual std::optional<ToolCallTags> tool_call_tags() const { return std::nullopt; }
};

}  // namespace hearth::server
