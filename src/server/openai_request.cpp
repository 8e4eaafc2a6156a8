#include "server/openai_request.h"

#include <fmt/format.h>

#include <limits>

#include "server/api_error.h"
#include "server/json_util.h"

namespace hearth::server {

namespace {

constexpr int kMaxChoices = 128;
constexpr int kMaxStopStrings = 64;
constexpr int kMaxPrompts = 128;
constexpr std::int64_t kMaxTokensLimit = 1 << 30;

std::string indexed(const std::string& param, std::size_t i) { return fmt::format("{}[{}]", param, i); }

// A string or an array of strings (OpenAI's "stop").
std::vector<std::string> parse_stop(const JsonFields& fields) {
  const auto* v = fields.get("stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    if (!v->get<std::string>().empty()) out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) fields.invalid_type("stop", "a string or an array of strings", *v);
  if (v->size() > kMaxStopStrings)
    fields.invalid_value("stop", fmt::format("at most {} stop strings.", kMaxStopStrings));
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& s = (*v)[i];
    if (!s.is_string()) throw_invalid_type(indexed(fields.param("stop"), i), "a string", s);
    if (!s.get<std::string>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::vector<TokenId> parse_token_array(const RequestJson& v, const std::string& param) {
  if (!v.is_array()) throw_invalid_type(param, "an array of integers", v);
  std::vector<TokenId> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& t = v[i];
    if (!t.is_number_integer()) throw_invalid_type(indexed(param, i), "an integer", t);
    const auto id = t.get<std::int64_t>();
    if (id < 0 || id > std::numeric_limits<TokenId>::max()) {
      throw_invalid_value(indexed(param, i), fmt::format("{} is not a token id.", id));
    }
    out.push_back(static_cast<TokenId>(id));
  }
  return out;
}

void reject_if_present(const JsonFields& fields, std::string_view key, const std::string& why) {
  if (fields.get(key)) throw ApiException(ApiError::unsupported(why, fields.param(key)));
}

std::string text_of_parts(const RequestJson& parts, const std::string& param) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    const std::string p = indexed(param, i);
    if (!part.is_object()) throw_invalid_type(p, "an object", part);
    JsonFields f(part, p);
    const auto type = f.string("type");
    if (!type) throw_invalid_value(p + ".type", "is required.");
    std::optional<std::string> piece;
    if (*type == "text" || *type == "input_text") {
      piece = f.string("text");
      if (!piece) throw_invalid_value(p + ".text", "is required for a text part.");
    } else if (*type == "refusal") {
      piece = f.string("refusal").value_or("");
    } else {
      throw ApiException(ApiError::unsupported(
          fmt::format("Content parts of type '{}' are not supported: this model reads text only.", *type),
          p + ".type"));
    }
    if (!text.empty()) text += "\n";
    text += *piece;
  }
  return text;
}

ToolCall parse_tool_call(const RequestJson& call, const std::string& param) {
  if (!call.is_object()) throw_invalid_type(param, "an object", call);
  JsonFields f(call, param);
  ToolCall out;
  out.id = f.string("id").value_or("");
  if (auto type = f.string("type"); type && *type != "function") {
    f.invalid_value("type", fmt::format("only 'function' tool calls are supported, got '{}'.", *type));
  }
  const auto* fn = f.object("function");
  if (!fn) throw_invalid_value(param + ".function", "is required.");
  JsonFields ff(*fn, param + ".function");
  auto name = ff.string("name");
  if (!name || name->empty()) ff.invalid_value("name", "is required.");
  out.name = *name;
  const auto* args = ff.get("arguments");
  if (!args) {
    out.arguments = "{}";
  } else if (args->is_string()) {
    out.arguments = args->get<std::string>();
  } else if (args->is_object()) {
    out.arguments = dump_json(*args);
  } else {
    ff.invalid_type("arguments", "a string", *args);
  }
  return out;
}

ChatMessage parse_message(const RequestJson& m, const std::string& param) {
  if (!m.is_object()) throw_invalid_type(param, "an object", m);
  JsonFields f(m, param);
  ChatMessage out;
  auto role = f.string("role");
  if (!role) f.invalid_value("role", "is required.");
  if (*role == "developer") *role = "system";
  if (*role != "system" && *role != "user" && *role != "assistant" && *role != "tool") {
    f.invalid_value("role", fmt::format("must be one of system, developer, user, assistant, tool; got '{}'.", *role));
  }
  out.role = *role;
  const auto* content = f.get("content");
  if (!content) {
    if (out.role != "assistant") f.invalid_value("content", "is required.");
    out.content_is_null = true;
  } else if (content->is_string()) {
    out.content = content->get<std::string>();
  } else if (content->is_array()) {
    out.content = text_of_parts(*content, f.param("content"));
  } else {
    f.invalid_type("content", "a string or an array of content parts", *content);
  }
  out.name = f.string("name").value_or("");
  if (out.role == "assistant") {
    if (auto r = f.string("reasoning_content")) {
      out.reasoning_content = *r;
    } else if (auto r2 = f.string("reasoning")) {
      out.reasoning_content = *r2;
    }
    if (const auto* calls = f.array("tool_calls")) {
      for (std::size_t i = 0; i < calls->size(); ++i) {
        out.tool_calls.push_back(parse_tool_call((*calls)[i], indexed(f.param("tool_calls"), i)));
      }
    }
  }
  if (out.role == "tool") out.tool_call_id = f.string("tool_call_id").value_or("");
  return out;
}

ToolChoice parse_tool_choice(const JsonFields& fields, const std::vector<ToolDefinition>& tools) {
  ToolChoice choice;
  const auto* v = fields.get("tool_choice");
  if (!v) {
    choice.mode = ToolChoice::Mode::kAuto;
    return choice;
  }
  const std::string param = fields.param("tool_choice");
  if (v->is_string()) {
    const auto s = v->get<std::string>();
    if (s == "auto") {
      choice.mode = ToolChoice::Mode::kAuto;
    } else if (s == "none") {
      choice.mode = ToolChoice::Mode::kNone;
    } else if (s == "required") {
      choice.mode = ToolChoice::Mode::kRequired;
    } else {
      throw_invalid_value(param, fmt::format("must be 'none', 'auto', 'required' or a function; got '{}'.", s));
    }
  } else if (v->is_object()) {
    JsonFields f(*v, param);
    const auto* fn = f.object("function");
    auto name = fn ? JsonFields(*fn, param + ".function").string("name") : std::nullopt;
    if (!name) throw_invalid_value(param + ".function.name", "is required.");
    choice.mode = ToolChoice::Mode::kFunction;
    choice.function = *name;
  } else {
    throw_invalid_type(param, "a string or an object", *v);
  }
  if ((choice.mode == ToolChoice::Mode::kRequired || choice.mode == ToolChoice::Mode::kFunction) && tools.empty()) {
    throw_invalid_value(param, "tool_choice requires tools.");
  }
  if (choice.mode == ToolChoice::Mode::kFunction) {
    bool known = false;
    for (const auto& t : tools) known = known || t.name == choice.function;
    if (!known) throw_invalid_value(param, fmt::format("no tool called '{}' was given.", choice.function));
  }
  return choice;
}

}  // namespace

std::vector<ToolDefinition> parse_tools(const RequestJson& tools, const std::string& param) {
  if (!tools.is_array()) throw_invalid_type(param, "an array", tools);
  std::vector<ToolDefinition> out;
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const std::string p = indexed(param, i);
    const auto& t = tools[i];
    if (!t.is_object()) throw_invalid_type(p, "an object", t);
    JsonFields f(t, p);
    if (auto type = f.string("type"); type && *type != "function") {
      f.invalid_value("type", fmt::format("only 'function' tools are supported, got '{}'.", *type));
    }
    const auto* fn = f.object("function");
    if (!fn) throw_invalid_value(p + ".function", "is required.");
    JsonFields ff(*fn, p + ".function");
    ToolDefinition def;
    auto name = ff.string("name");
    if (!name || name->empty()) ff.invalid_value("name", "is required.");
    def.name = *name;
    def.description = ff.string("description").value_or("");
    const auto* params = ff.object("parameters");
    def.parameters = params ? dump_json(*params) : "{}";
    def.strict = ff.boolean("strict").value_or(false);
    out.push_back(std::move(def));
  }
  return out;
}

OutputConstraint parse_response_format(const RequestJson& format, const std::string& param) {
  OutputConstraint c;
  if (!format.is_object()) throw_invalid_type(param, "an object", format);
  JsonFields f(format, param);
  auto type = f.string("type");
  if (!type) f.invalid_value("type", "is required.");
  if (*type == "text") return c;
  if (*type == "json_object") {
    c.kind = OutputConstraint::Kind::kJsonObject;
    return c;
  }
  if (*type == "json_schema") {
    const auto* spec = f.object("json_schema");
    if (!spec) f.invalid_value("json_schema", "is required when type is 'json_schema'.");
    JsonFields sf(*spec, f.param("json_schema"));
    const auto* schema = sf.object("schema");
    c.kind = OutputConstraint::Kind::kJsonSchema;
    c.json_schema = schema ? dump_json(*schema) : "{}";
    return c;
  }
  f.invalid_value("type", fmt::format("must be 'text', 'json_object' or 'json_schema'; got '{}'.", *type));
}

void parse_openai_common(const JsonFields& f, GenerationOptions& o) {
  o.model = f.string("model").value_or("");
  o.stream = f.boolean("stream").value_or(false);
  if (const auto* so = f.object("stream_options")) {
    if (!o.stream) {
      throw ApiException(
          ApiError::bad_request("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                                f.param("stream_options"), "invalid_value"));
    }
    o.include_usage = JsonFields(*so, f.param("stream_options")).boolean("include_usage").value_or(false);
  }
  SamplingParams& s = o.sampling;
  if (auto t = f.number("temperature", 0, 2)) s.temperature = static_cast<float>(*t);
  if (auto p = f.number("top_p", 0, 1)) {
    if (*p == 0) {
      s.temperature = 0;  // only the most likely token survives a zero nucleus
    } else {
      s.top_p = static_cast<float>(*p);
    }
  }
  if (auto k = f.integer("top_k", -1, std::numeric_limits<int>::max())) s.top_k = static_cast<int>(*k);
  if (auto m = f.number("min_p", 0, 1)) s.min_p = static_cast<float>(*m);
  if (const auto* seed = f.get("seed")) {
    if (seed->is_number_unsigned()) {
      s.seed = seed->get<std::uint64_t>();
    } else if (seed->is_number_integer()) {
      s.seed = static_cast<std::uint64_t>(seed->get<std::int64_t>());
    } else {
      f.invalid_type("seed", "an integer", *seed);
    }
  }
  if (auto p = f.number("presence_penalty", -2, 2)) s.presence_penalty = static_cast<float>(*p);
  if (auto p = f.number("frequency_penalty", -2, 2)) s.frequency_penalty = static_cast<float>(*p);
  if (auto r = f.number("repetition_penalty", 0, 100)) {
    if (*r <= 0) f.invalid_value("repetition_penalty", "must be greater than 0.");
    s.repetition_penalty = static_cast<float>(*r);
  }
  if (const auto* bias = f.object("logit_bias")) {
    for (const auto& [key, value] : bias->items()) {
      const std::string p = f.param("logit_bias") + "." + key;
      std::size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(key, &used);
      } catch (...) {
        used = 0;
      }
      if (used != key.size() || id < 0 || id > std::numeric_limits<TokenId>::max()) {
        throw_invalid_value(f.param("logit_bias"), fmt::format("keys must be token ids, got '{}'.", key));
      }
      if (!value.is_number()) throw_invalid_type(p, "a number", value);
      const double b = value.get<double>();
      if (b < -100 || b > 100) throw_invalid_value(p, fmt::format("must be between -100 and 100, got {}.", b));
      s.logit_bias.emplace_back(static_cast<TokenId>(id), static_cast<float>(b));
    }
  }
  if (auto mt = f.integer("max_tokens", 1, kMaxTokensLimit)) o.max_tokens = static_cast<int>(*mt);
  o.n = static_cast<int>(f.integer("n", 1, kMaxChoices).value_or(1));
  if (auto best_of = f.integer("best_of", 1, kMaxChoices); best_of && *best_of != o.n) {
    throw ApiException(ApiError::unsupported("best_of other than n is not supported.", f.param("best_of")));
  }
  o.stop = parse_stop(f);
  if (const auto* ids = f.get("stop_token_ids")) o.stop_token_ids = parse_token_array(*ids, f.param("stop_token_ids"));
  o.ignore_eos = f.boolean("ignore_eos").value_or(false);
  if (const auto* rf = f.get("response_format")) o.constraint = parse_response_format(*rf, f.param("response_format"));
  reject_if_present(f, "audio", "Audio output is not supported.");
  reject_if_present(f, "prediction", "Predicted outputs are not supported.");
  if (const auto* modalities = f.array("modalities")) {
    for (const auto& m : *modalities) {
      if (!(m.is_string() && m.get<std::string>() == "text")) {
        throw ApiException(ApiError::unsupported("Only the 'text' modality is supported.", f.param("modalities")));
      }
    }
  }
}

ChatRequest parse_openai_chat_request(const RequestJson& body) {
  JsonFields f(body, "");
  ChatRequest req;
  parse_openai_common(f, req.options);
  // max_completion_tokens is the newer name; it wins when both are given.
  if (auto mct = f.integer("max_completion_tokens", 1, kMaxTokensLimit))
    req.options.max_tokens = static_cast<int>(*mct);
  req.options.logprobs = f.boolean("logprobs").value_or(false);
  req.options.top_logprobs = static_cast<int>(f.integer("top_logprobs", 0, 20).value_or(0));
  if (req.options.top_logprobs > 0 && !req.options.logprobs) {
    throw ApiException(
        ApiError::bad_request("top_logprobs requires logprobs to be true.", "top_logprobs", "invalid_value"));
  }

  const auto* messages = f.get("messages");
  if (!messages)
    throw ApiException(
        ApiError::bad_request("Missing required parameter: 'messages'.", "messages", "missing_required_parameter"));
  if (!messages->is_array()) f.invalid_type("messages", "an array", *messages);
  if (messages->empty()) f.invalid_value("messages", "must contain at least one message.");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    req.prompt.messages.push_back(parse_message((*messages)[i], indexed("messages", i)));
  }
  if (const auto* tools = f.get("tools")) req.prompt.tools = parse_tools(*tools, "tools");
  req.tool_choice = parse_tool_choice(f, req.prompt.tools);
  req.parallel_tool_calls = f.boolean("parallel_tool_calls").value_or(true);
  if (req.tool_choice.mode == ToolChoice::Mode::kNone) req.prompt.tools.clear();

  req.prompt.add_generation_prompt = f.boolean("add_generation_prompt").value_or(true);
  if (f.boolean("continue_final_message").value_or(false)) {
    throw ApiException(ApiError::unsupported("continue_final_message is not supported.", "continue_final_message"));
  }
  reject_if_present(f, "chat_template", "A per-request chat_template is not supported; set prompt_template in config.");
  reject_if_present(f, "functions", "The deprecated 'functions' parameter is not supported; use 'tools'.");
  if (const auto* kwargs = f.object("chat_template_kwargs")) {
    RequestJson rest = *kwargs;
    if (auto it = rest.find("enable_thinking"); it != rest.end()) {
      if (!it->is_boolean() && !it->is_null()) {
        throw_invalid_type("chat_template_kwargs.enable_thinking", "a boolean", *it);
      }
      if (it->is_boolean()) req.prompt.enable_thinking = it->get<bool>();
      rest.erase(it);
    }
    req.prompt.template_kwargs = dump_json(rest);
  }
  return req;
}

CompletionRequest parse_openai_completion_request(const RequestJson& body) {
  JsonFields f(body, "");
  CompletionRequest req;
  parse_openai_common(f, req.options);
  if (auto lp = f.integer("logprobs", 0, 20)) {
    req.options.logprobs = true;
    req.options.top_logprobs = static_cast<int>(*lp);
  }
  req.echo = f.boolean("echo").value_or(false);
  if (auto suffix = f.string("suffix"); suffix && !suffix->empty()) {
    throw ApiException(ApiError::unsupported("suffix (fill-in-the-middle) is not supported.", "suffix"));
  }
  const auto* prompt = f.get("prompt");
  if (!prompt) {
    throw ApiException(
        ApiError::bad_request("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter"));
  }
  const std::string what = "a string, an array of strings, an array of token ids or an array of such arrays";
  if (prompt->is_string()) {
    req.prompts.push_back(CompletionPrompt{prompt->get<std::string>(), {}});
  } else if (prompt->is_array()) {
    if (prompt->empty()) f.invalid_value("prompt", "must not be empty.");
    if ((*prompt)[0].is_number_integer()) {
      req.prompts.push_back(CompletionPrompt{{}, parse_token_array(*prompt, "prompt")});
    } else {
      if (prompt->size() > kMaxPrompts) f.invalid_value("prompt", fmt::format("at most {} prompts.", kMaxPrompts));
      for (std::size_t i = 0; i < prompt->size(); ++i) {
        const auto& p = (*prompt)[i];
        if (p.is_string()) {
          req.prompts.push_back(CompletionPrompt{p.get<std::string>(), {}});
        } else if (p.is_array()) {
          req.prompts.push_back(CompletionPrompt{{}, parse_token_array(p, indexed("prompt", i))});
        } else {
          throw_invalid_type(indexed("prompt", i), "a string or an array of token ids", p);
        }
      }
    }
  } else {
    f.invalid_type("prompt", what, *prompt);
  }
  if (req.prompts.size() * static_cast<std::size_t>(req.options.n) > static_cast<std::size_t>(kMaxChoices) * 4) {
    f.invalid_value("n", "too many choices in total (prompts x n).");
  }
  return req;
}

}  // namespace hearth::server
