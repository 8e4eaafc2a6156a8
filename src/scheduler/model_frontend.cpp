#include "scheduler/model_frontend.h"

#include "server/chat_output_adapter.h"
#include "util/error.h"

namespace hearth::scheduler {

using nlohmann::ordered_json;

namespace {
// JSON text as a value when it parses, else the text itself.
ordered_json json_or_string(const std::string& text) {
  ordered_json v = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  return v.is_discarded() ? ordered_json(text) : v;
}
}  // namespace

ordered_json chat_messages_json(const server::ChatPromptInput& input) {
  ordered_json messages = ordered_json::array();
  for (const auto& m : input.messages) {
    ordered_json msg = ordered_json::object();
    msg["role"] = m.role;
    msg["content"] = m.content_is_null ? ordered_json(nullptr) : ordered_json(m.content);
    if (m.reasoning_content) msg["reasoning_content"] = *m.reasoning_content;
    if (!m.tool_calls.empty()) {
      ordered_json calls = ordered_json::array();
      for (const auto& c : m.tool_calls) {
        ordered_json call = ordered_json::object();
        if (!c.id.empty()) call["id"] = c.id;
        call["type"] = "function";
        call["function"] = {{"name", c.name}, {"arguments", json_or_string(c.arguments)}};
        calls.push_back(std::move(call));
      }
      msg["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) msg["tool_call_id"] = m.tool_call_id;
    if (!m.name.empty()) msg["name"] = m.name;
    messages.push_back(std::move(msg));
  }
  return messages;
}

ordered_json chat_tools_json(const server::ChatPromptInput& input) {
  ordered_json tools = ordered_json::array();
  for (const auto& t : input.tools) {
    ordered_json fn = ordered_json::object();
    fn["name"] = t.name;
    if (!t.description.empty()) fn["description"] = t.description;
    fn["parameters"] = json_or_string(t.parameters.empty() ? "{}" : t.parameters);
    tools.push_back({{"type", "function"}, {"function", std::move(fn)}});
  }
  return tools;
}

ModelPromptFrontend::ModelPromptFrontend(std::shared_ptr<const Tokenizer> tokenizer, std::string template_source,
                                         bool template_is_prompt_template, nlohmann::json special_tokens)
    : tokenizer_(std::move(tokenizer)),
      prompt_template_(template_is_prompt_template),
      special_tokens_(std::move(special_tokens)) {
  // Jinja drops one trailing newline of a template; a prompt_template is a literal prompt shape (the issue's
  // example ends with "assistant\n"), so its newline is kept.
  if (prompt_template_ && template_source.ends_with('\n')) template_source += '\n';
  if (!template_source.empty()) template_.emplace(template_source);
}

std::string ModelPromptFrontend::render_chat(const server::ChatPromptInput& input) const {
  require(template_.has_value(),
          "this model has no chat template; send a raw prompt (/v1/completions) or set prompt_template in "
          "config.yaml");
  ordered_json kwargs = ordered_json::object();
  kwargs["add_generation_prompt"] = input.add_generation_prompt;
  if (!input.tools.empty()) kwargs["tools"] = chat_tools_json(input);
  if (input.enable_thinking) kwargs["enable_thinking"] = *input.enable_thinking;
  if (prompt_template_) {
    std::string user, system;
    for (const auto& m : input.messages) {
      if (m.role == "user") user = m.content;
      if (m.role == "system") system = m.content;
    }
    kwargs["input"] = user;
    kwargs["system"] = system;
  }
  ordered_json extra = ordered_json::parse(input.template_kwargs.empty() ? "{}" : input.template_kwargs, nullptr,
                                           /*allow_exceptions=*/false);
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) kwargs[it.key()] = it.value();
  }
  return template_->render(chat_template_context(chat_messages_json(input), special_tokens_, kwargs));
}

std::vector<server::TokenId> ModelPromptFrontend::tokenize(std::string_view text) const {
  std::vector<server::TokenId> ids;
  // A raw prompt starts with BOS when the tokenizer asks for it and the text does not already.
  if (tokenizer_->add_bos()) {
    const TokenId bos = *tokenizer_->bos_id();
    const std::string_view bos_text = tokenizer_->token_text(bos);
    if (bos_text.empty() || !text.starts_with(bos_text)) ids.push_back(bos);
  }
  for (TokenId id : tokenizer_->encode(text, /*parse_special=*/true)) ids.push_back(id);
  return ids;
}

std::string ModelPromptFrontend::detokenize(const std::vector<server::TokenId>& tokens) const {
  std::vector<TokenId> valid;
  valid.reserve(tokens.size());
  for (server::TokenId t : tokens) {
    if (tokenizer_->is_valid_id(t)) valid.push_back(t);
  }
  return tokenizer_->decode(valid);
}

std::unique_ptr<server::OutputParser> ModelPromptFrontend::make_output_parser(
    const server::OutputParserOptions& options) const {
  return server::make_chat_output_parser(options);
}

std::optional<server::PromptFrontend::ReasoningTags> ModelPromptFrontend::reasoning_tags() const {
  const auto open = tokenizer_->token_id("<think>");
  const auto close = tokenizer_->token_id("</think>");
  if (!open || !close) return std::nullopt;
  return ReasoningTags{*open, *close};
}

std::optional<server::PromptFrontend::ToolCallTags> ModelPromptFrontend::tool_call_tags() const {
  const auto open = tokenizer_->token_id("<tool_call>");
  const auto close = tokenizer_->token_id("</tool_call>");
  if (!open || !close) return std::nullopt;
  return ToolCallTags{*open, *close};
}

}  // namespace hearth::scheduler
