#include "server/tool_call_constraint.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "constrain/token_constraint.h"
#include "server/api_error.h"
#include "util/error.h"

namespace hearth::server {

namespace {

using Json = nlohmann::ordered_json;

// Every "$ref": "#…" inside `schema` now points into `root` ("#/$defs/hearth_tool_N").
void rebase_refs(Json& schema, const std::string& root) {
  if (schema.is_object()) {
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (it.key() == "$ref" && it.value().is_string()) {
        const auto ref = it.value().get<std::string>();
        if (ref.starts_with("#")) it.value() = root + ref.substr(1);
      } else {
        rebase_refs(it.value(), root);
      }
    }
  } else if (schema.is_array()) {
    for (auto& v : schema) rebase_refs(v, root);
  }
}

Json call_schema(const ToolDefinition& tool, std::size_t index, Json& defs) {
  Json params;
  try {
    params = Json::parse(tool.parameters.empty() ? std::string("{}") : tool.parameters);
  } catch (const Json::exception&) {
    throw ApiException(ApiError::bad_request(
        fmt::format("Invalid value for 'tools': the parameters of '{}' are not valid JSON.", tool.name), "tools",
        "invalid_value"));
  }
  if (!params.is_object()) {
    throw ApiException(ApiError::bad_request(
        fmt::format("Invalid value for 'tools': the parameters of '{}' must be a JSON Schema object.", tool.name),
        "tools", "invalid_value"));
  }
  // No parameters schema: the arguments are still an object (the template and clients expect one).
  if (params.empty()) params = Json{{"type", "object"}};
  const std::string def = fmt::format("hearth_tool_{}", index);
  rebase_refs(params, "#/$defs/" + def);
  defs[def] = std::move(params);

  Json properties = Json::object();
  properties["name"] = Json{{"const", tool.name}};
  properties["arguments"] = Json{{"$ref", "#/$defs/" + def}};
  return Json{{"type", "object"},
              {"properties", std::move(properties)},
              {"required", Json::array({"name", "arguments"})},
              {"additionalProperties", false}};
}

}  // namespace

std::string tool_call_schema(const std::vector<ToolDefinition>& tools, const ToolChoice& choice) {
  Json defs = Json::object();
  Json alternatives = Json::array();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    if (choice.mode == ToolChoice::Mode::kFunction && tools[i].name != choice.function) continue;
    alternatives.push_back(call_schema(tools[i], i, defs));
  }
  require(!alternatives.empty(), "tool_call_schema: no tool matches the tool choice");
  Json schema = alternatives.size() == 1 ? std::move(alternatives[0]) : Json{{"anyOf", std::move(alternatives)}};
  schema["$defs"] = std::move(defs);
  return schema.dump();
}

OutputConstraint forced_tool_call_constraint(const PromptFrontend& frontend, const std::vector<ToolDefinition>& tools,
                                             const ToolChoice& choice, bool parallel_calls) {
  const auto tags = frontend.tool_call_tags();
  if (!tags) {
    throw ApiException(ApiError::unsupported(
        "tool_choice 'required' or a named function needs a model whose tool-call tags are single tokens "
        "(<tool_call>, </tool_call>); this model has none. Use 'auto'.",
        "tool_choice"));
  }
  OutputConstraint constraint;
  constraint.kind = OutputConstraint::Kind::kJsonSchema;
  constraint.json_schema = tool_call_schema(tools, choice);
  try {
    constrain::compile_constraint(constraint);
  } catch (const Error& e) {
    throw ApiException(ApiError::bad_request(
        fmt::format("Invalid value for 'tools': {} (tool_choice forces a call, so its arguments are generated under "
                    "the parameters schema).",
                    e.what()),
        "tools", "invalid_value"));
  }
  OutputConstraint::Frame frame;
  frame.open.push_back(tags->open);
  // The template writes the JSON on its own line; forcing the newline keeps the output in the trained format.
  for (TokenId t : frontend.tokenize("\n")) frame.open.push_back(t);
  frame.close = tags->close;
  // Qwen's template puts each call on its own lines: "</tool_call>\n<tool_call>\n{...}".
  frame.repeat = parallel_calls;
  if (parallel_calls) frame.between = frontend.tokenize("\n");
  constraint.frame = std::move(frame);
  return constraint;
}

}  // namespace hearth::server
