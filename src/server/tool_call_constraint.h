#pragma once
// tool_choice "required" / {"type":"function","function":{"name":…}} enforced by constrained decoding: the
// output is one call in the chat template's format, "<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>",
// whose arguments validate against the tool's parameters schema (as vLLM and llama-server do with a grammar).
#include <string>
#include <vector>

#include "server/api_request.h"
#include "server/engine_interface.h"
#include "server/prompt_frontend.h"

namespace hearth::server {

// The JSON Schema of the call object: {"name": const, "arguments": the tool's parameters} for the named
// function, anyOf over every tool for "required". Each tool's parameters move under "$defs" (their own "$ref"
// pointers rewritten to follow), so a parameters schema that refers to its own "#/$defs/…" keeps working.
// Throws ApiException (400, param "tools") for a parameters value that is not a JSON object.
std::string tool_call_schema(const std::vector<ToolDefinition>& tools, const ToolChoice& choice);

// The whole constraint: the schema above, framed by the model's tool-call tags; with `parallel_calls`
// (the request's parallel_tool_calls) the model may follow the first call with more, each under the same
// schema, before it ends. Throws ApiException: 400 when the model has no single-token tool-call tags or a
// parameters schema uses a keyword constrained decoding cannot enforce.
OutputConstraint forced_tool_call_constraint(const PromptFrontend& frontend, const std::vector<ToolDefinition>& tools,
                                             const ToolChoice& choice, bool parallel_calls);

}  // namespace hearth::server
