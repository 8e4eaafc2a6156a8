#pragma once
// Chat templates: the Jinja2 templates models ship in tokenizer_config.json (or GGUF metadata),
// rendered byte-for-byte as Hugging Face transformers renders them: Jinja2 3.1 in an immutable
// sandbox with trim_blocks, lstrip_blocks and loop controls, transformers' tojson
// (json.dumps(ensure_ascii=False)), raise_exception() and strftime_now().
//
//   ChatTemplate tpl(files.chat_template);
//   std::string prompt = tpl.render(chat_template_context(messages, files.special_token_strings, kwargs));
//
// Anything the interpreter does not implement fails with an error naming the template line and the
// construct ("chat template line 12: unsupported filter 'wordwrap'"), never with a wrong prompt.
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace hearth {

namespace jinja {
struct Program;
}

// A template that does not parse or fails while rendering. what() reads
// "chat template line N: <problem>", except when the template called raise_exception(msg): then
// what() is exactly msg (the template's own words for the user) and raised_by_template() is true.
class ChatTemplateError : public Error {
 public:
  ChatTemplateError(const std::string& message, int line, bool raised_by_template)
      : Error(message), line_(line), raised_by_template_(raised_by_template) {}
  int line() const { return line_; }  // 0 when no line applies
  bool raised_by_template() const { return raised_by_template_; }

 private:
  int line_;
  bool raised_by_template_;
};

struct ChatRenderOptions {
  // The local time strftime_now() formats; unset means now.
  std::optional<std::tm> now;
  // Loop iterations plus macro calls one render may make before it fails: far above what chat
  // templates need (they loop over messages), a bound on runaway nested loops.
  int64_t max_steps = 50'000'000;
};

class ChatTemplate {
 public:
  // Parses once. Throws ChatTemplateError on syntax errors and on unknown tags, filters or tests.
  explicit ChatTemplate(std::string_view source);

  // Renders with `context` (a JSON object: messages, tools, add_generation_prompt, special tokens,
  // any other template variables; object key order is preserved). Throws ChatTemplateError.
  // Thread-safe: concurrent renders of one ChatTemplate are fine.
  std::string render(const nlohmann::ordered_json& context, const ChatRenderOptions& options = {}) const;

  // Whether the template reads the variable `name` anywhere (e.g. "tools", "enable_thinking"):
  // a cheap hint of what a model's template supports.
  bool references(std::string_view name) const;

 private:
  std::shared_ptr<const jinja::Program> program_;
};

// The variables transformers' apply_chat_template passes: `messages`, `tools` (None unless given),
// `documents` (None), `add_generation_prompt` (false), then the model's special tokens (bos_token,
// eos_token, ...; null ones are left undefined), then `kwargs` merged over all of them.
nlohmann::ordered_json chat_template_context(const nlohmann::ordered_json& messages,
                                             const nlohmann::json& special_tokens,
                                             const nlohmann::ordered_json& kwargs = nlohmann::ordered_json::object());

}  // namespace hearth
