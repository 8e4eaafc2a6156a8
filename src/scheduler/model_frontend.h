#pragma once
// The PromptFrontend for real models: renders chat messages with the model's Jinja chat template (or the
// configured prompt_template / chat_template file), tokenizes with the model's tokenizer, and parses
// output with src/chat's Qwen-style reasoning and tool-call parsers.
//
// prompt_template is a Jinja template too; besides everything a chat template sees it gets `input` (the
// last user message) and `system` (the last system message), so `{{input}}` works as in the issue's
// config.yaml example.
//
// Thread safety: const methods, safe from every HTTP thread (ChatTemplate and Tokenizer are).
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat_template.h"
#include "server/prompt_frontend.h"
#include "tokenizer/tokenizer.h"

namespace hearth::scheduler {

class ModelPromptFrontend final : public server::PromptFrontend {
 public:
  // `template_source`: the Jinja template in effect (empty: chat requests fail with a clear message).
  // `template_is_prompt_template`: it is config prompt_template (gets `input` / `system`).
  ModelPromptFrontend(std::shared_ptr<const Tokenizer> tokenizer, std::string template_source,
                      bool template_is_prompt_template, nlohmann::json special_tokens);

  std::string render_chat(const server::ChatPromptInput& input) const override;
  std::vector<server::TokenId> tokenize(std::string_view text) const override;
  std::string detokenize(const std::vector<server::TokenId>& tokens) const override;
  std::unique_ptr<server::OutputParser> make_output_parser(const server::OutputParserOptions& options) const override;
  // <think> and </think> when both are tokens of the vocabulary.
  std::optional<ReasoningTags> reasoning_tags() const override;
  std::optional<ToolCallTags> tool_call_tags() const override;

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::optional<ChatTemplate> template_;
  bool prompt_template_;
  nlohmann::json special_tokens_;
};

// The messages/tools JSON a chat template expects (transformers' shapes: tool call arguments as objects
// when they parse as JSON).
nlohmann::ordered_json chat_messages_json(const server::ChatPromptInput& input);
nlohmann::ordered_json chat_tools_json(const server::ChatPromptInput& input);

}  // namespace hearth::scheduler
