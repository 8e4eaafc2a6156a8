#include "server/ollama_request.h"

#include <fmt/format.h>

#include <limits>

#include "config/value_parse.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/json_util.h"
#include "server/openai_request.h"

namespace hearth::server {

namespace {

std::string indexed(const std::string& param, std::size_t i) { return fmt::format("{}[{}]", param, i); }

void parse_options(const JsonFields& body, GenerationOptions& o) {
  const auto* options = body.object("options");
  if (!options) return;
  JsonFields f(*options, "options");
  SamplingParams& s = o.sampling;
  if (auto n = f.integer("num_predict", -2, 1 << 30)) {
    if (*n > 0) o.max_tokens = static_cast<int>(*n);
    // -1 (until the context is full) and -2 (fill the context) both leave max_tokens to the context.
    if (*n == 0) f.invalid_value("num_predict", "must be positive, -1 or -2.");
  }
  if (auto t = f.number("temperature", 0, 100)) s.temperature = static_cast<float>(*t);
  if (auto p = f.number("top_p", 0, 1)) {
    if (*p == 0) {
      s.temperature = 0;
    } else {
      s.top_p = static_cast<float>(*p);
    }
  }
  if (auto k = f.integer("top_k", -1, std::numeric_limits<int>::max())) s.top_k = static_cast<int>(*k);
  if (auto m = f.number("min_p", 0, 1)) s.min_p = static_cast<float>(*m);
  if (auto seed =
          f.integer("seed", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max())) {
    s.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto r = f.number("repeat_penalty", 0, 100)) {
    if (*r > 0) s.repetition_penalty = static_cast<float>(*r);
  }
  if (auto n = f.integer("repeat_last_n", -1, 1 << 24)) s.repeat_last_n = static_cast<int>(*n);
  if (auto p = f.number("presence_penalty", -2, 2)) s.presence_penalty = static_cast<float>(*p);
  if (auto p = f.number("frequency_penalty", -2, 2)) s.frequency_penalty = static_cast<float>(*p);
  if (auto c = f.integer("num_ctx", 1, 1 << 24)) o.context_limit = static_cast<int>(*c);
  if (const auto* stop = f.get("stop")) {
    if (stop->is_string()) {
      o.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array()) {
      for (std::size_t i = 0; i < stop->size(); ++i) {
        if (!(*stop)[i].is_string()) throw_invalid_type(indexed("options.stop", i), "a string", (*stop)[i]);
        if (!(*stop)[i].get<std::string>().empty()) o.stop.push_back((*stop)[i].get<std::string>());
      }
    } else {
      f.invalid_type("stop", "an array of strings", *stop);
    }
  }
}

void parse_common(const JsonFields& f, GenerationOptions& o, std::optional<config::Duration>& keep_alive) {
  o.model = f.string("model").value_or("");
  o.stream = f.boolean("stream").value_or(true);  // Ollama streams by default
  parse_options(f, o);
  if (const auto* format = f.get("format")) {
    if (format->is_string()) {
      const auto s = format->get<std::string>();
      if (s == "json") {
        o.constraint.kind = OutputConstraint::Kind::kJsonObject;
      } else if (!s.empty()) {
        f.invalid_value("format", fmt::format("must be \"json\" or a JSON schema, got \"{}\".", s));
      }
    } else if (format->is_object()) {
      o.constraint.kind = OutputConstraint::Kind::kJsonSchema;
      o.constraint.json_schema = dump_json(*format);
    } else {
      f.invalid_type("format", "\"json\" or a JSON schema object", *format);
    }
  }
  if (const auto* ka = f.get("keep_alive")) keep_alive = parse_keep_alive(*ka, "keep_alive");
}

std::optional<bool> parse_think(const JsonFields& f) {
  const auto* think = f.get("think");
  if (!think) return std::nullopt;
  if (think->is_boolean()) return think->get<bool>();
  if (think->is_string()) {  // "low" | "medium" | "high": thinking on (levels are not distinguished)
    const auto s = think->get<std::string>();
    if (s == "low" || s == "medium" || s == "high") return true;
    f.invalid_value("think", fmt::format("must be true, false, \"low\", \"medium\" or \"high\", got \"{}\".", s));
  }
  f.invalid_type("think", "a boolean", *think);
}

void reject_images(const JsonFields& f) {
  if (const auto* images = f.array("images"); images && !images->empty()) {
    throw ApiException(
        ApiError::unsupported("Images are not supported: this model reads text only.", f.param("images")));
  }
}

ChatMessage parse_message(const RequestJson& m, const std::string& param) {
  if (!m.is_object()) throw_invalid_type(param, "an object", m);
  JsonFields f(m, param);
  ChatMessage out;
  auto role = f.string("role");
  if (!role) f.invalid_value("role", "is required.");
  if (*role != "system" && *role != "user" && *role != "assistant" && *role != "tool") {
    f.invalid_value("role", fmt::format("must be one of system, user, assistant, tool; got '{}'.", *role));
  }
  out.role = *role;
  out.content = f.string("content").value_or("");
  reject_images(f);
  if (auto thinking = f.string("thinking"); thinking && !thinking->empty()) out.reasoning_content = *thinking;
  if (const auto* calls = f.array("tool_calls")) {
    for (std::size_t i = 0; i < calls->size(); ++i) {
      const std::string p = indexed(f.param("tool_calls"), i);
      const auto& call = (*calls)[i];
      if (!call.is_object()) throw_invalid_type(p, "an object", call);
      const auto* fn = JsonFields(call, p).object("function");
      if (!fn) throw_invalid_value(p + ".function", "is required.");
      JsonFields ff(*fn, p + ".function");
      ToolCall tc;
      auto name = ff.string("name");
      if (!name) ff.invalid_value("name", "is required.");
      tc.name = *name;
      const auto* args = ff.get("arguments");
      tc.arguments = !args ? "{}" : args->is_string() ? args->get<std::string>() : dump_json(*args);
      out.tool_calls.push_back(std::move(tc));
    }
  }
  if (out.role == "tool") out.name = f.string("tool_name").value_or("");
  return out;
}

}  // namespace

config::Duration parse_keep_alive(const RequestJson& value, const std::string& param) {
  config::RawValue raw;
  if (value.is_number()) {
    raw = config::RawValue::of(fmt::format("{}", value.get<double>()));
  } else if (value.is_string()) {
    raw = config::RawValue::of(value.get<std::string>());
  } else {
    throw_invalid_type(param, "a duration such as \"5m\" or a number of seconds", value);
  }
  try {
    return config::parse_duration(raw);
  } catch (const config::ValueError& e) {
    throw_invalid_value(param, std::string(e.what()) + ".");
  }
}

OllamaChatRequest parse_ollama_chat_request(const RequestJson& body) {
  JsonFields f(body, "");
  OllamaChatRequest req;
  parse_common(f, req.options, req.keep_alive);
  if (const auto* messages = f.array("messages")) {
    for (std::size_t i = 0; i < messages->size(); ++i) {
      req.prompt.messages.push_back(parse_message((*messages)[i], indexed("messages", i)));
    }
  }
  if (const auto* tools = f.get("tools")) req.prompt.tools = parse_tools(*tools, "tools");
  req.prompt.enable_thinking = parse_think(f);
  return req;
}

OllamaGenerateRequest parse_ollama_generate_request(const RequestJson& body) {
  JsonFields f(body, "");
  OllamaGenerateRequest req;
  parse_common(f, req.options, req.keep_alive);
  req.prompt = f.string("prompt").value_or("");
  req.system = f.string("system").value_or("");
  req.raw = f.boolean("raw").value_or(false);
  req.think = parse_think(f);
  reject_images(f);
  if (auto suffix = f.string("suffix"); suffix && !suffix->empty()) {
    throw ApiException(ApiError::unsupported("suffix (fill-in-the-middle) is not supported.", "suffix"));
  }
  if (auto tmpl = f.string("template"); tmpl && !tmpl->empty()) {
    throw ApiException(ApiError::unsupported(
        "Go templates are not supported; use raw mode or set prompt_template in config.yaml.", "template"));
  }
  if (const auto* context = f.array("context")) {
    for (std::size_t i = 0; i < context->size(); ++i) {
      const auto& t = (*context)[i];
      if (!t.is_number_integer() || t.get<std::int64_t>() < 0 ||
          t.get<std::int64_t>() > std::numeric_limits<TokenId>::max()) {
        throw_invalid_type(indexed("context", i), "a token id", t);
      }
      req.context.push_back(static_cast<TokenId>(t.get<std::int64_t>()));
    }
  }
  return req;
}

}  // namespace hearth::server
