#pragma once
// The server's OutputParser over src/chat's ChatOutputParser (Qwen-style <think> reasoning and <tool_call>
// blocks): what a PromptFrontend for Qwen-family models returns from make_output_parser().
#include <memory>

#include "server/prompt_frontend.h"

namespace hearth::server {

// Reasoning is split off when options.reasoning is set (starting inside <think> when the rendered prompt
// opened it); tool calls are extracted when options.tools is set. Each call arrives whole, as one
// ToolCallDelta with its id left to the writer.
std::unique_ptr<OutputParser> make_chat_output_parser(const OutputParserOptions& options);

}  // namespace hearth::server
