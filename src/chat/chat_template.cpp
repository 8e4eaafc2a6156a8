#include "chat/chat_template.h"

#include "chat/jinja_ast.h"
#include "chat/jinja_error.h"
#include "chat/jinja_interpreter.h"
#include "chat/jinja_parser.h"

namespace hearth {
namespace {

[[noreturn]] void rethrow_as_chat_error(const jinja::RenderError& e) {
  if (e.kind() == jinja::RenderError::Kind::Raised) throw ChatTemplateError(e.what(), e.line(), true);
  if (e.line() > 0)
    throw ChatTemplateError(fmt::format("chat template line {}: {}", e.line(), e.what()), e.line(), false);
  throw ChatTemplateError(fmt::format("chat template: {}", e.what()), 0, false);
}

}  // namespace

ChatTemplate::ChatTemplate(std::string_view source) {
  try {
    program_ = jinja::parse_template(source);
  } catch (const jinja::RenderError& e) {
    rethrow_as_chat_error(e);
  }
}

std::string ChatTemplate::render(const nlohmann::ordered_json& context, const ChatRenderOptions& options) const {
  if (!context.is_object())
    throw ChatTemplateError("chat template: the render context must be a JSON object", 0, false);
  std::tm now{};
  if (options.now) {
    now = *options.now;
  } else {
    std::time_t t = std::time(nullptr);
    localtime_r(&t, &now);
  }
  try {
    jinja::Value variables = jinja::Value::from_json(context);
    jinja::Interpreter interpreter(*program_, variables.as_dict(), now, options.max_steps);
    return interpreter.render();
  } catch (const jinja::RenderError& e) {
    rethrow_as_chat_error(e);
  }
}

bool ChatTemplate::references(std::string_view name) const { return program_->names.count(name) > 0; }

nlohmann::ordered_json chat_template_context(const nlohmann::ordered_json& messages,
                                             const nlohmann::json& special_tokens,
                                             const nlohmann::ordered_json& kwargs) {
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["messages"] = messages;
  context["tools"] = nullptr;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = false;
  if (special_tokens.is_object()) {
    for (const auto& [name, value] : special_tokens.items())
      if (!value.is_null()) context[name] = value;
  }
  if (kwargs.is_object()) {
    for (const auto& [name, value] : kwargs.items()) context[name] = value;
  }
  return context;
}

}  // namespace hearth
