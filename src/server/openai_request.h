#pragma once
// OpenAI request bodies -> typed requests (see api_request.h). Throws ApiException (400) naming the
// parameter for wrong types, values out of range, and features Hearth cannot honour.
#include "server/api_request.h"
#include "server/json_fields.h"
#include "server/json_util.h"

namespace hearth::server {

ChatRequest parse_openai_chat_request(const RequestJson& body);
CompletionRequest parse_openai_completion_request(const RequestJson& body);

// Shared with the Ollama parser (same shape): [{"type":"function","function":{"name",...}}].
std::vector<ToolDefinition> parse_tools(const RequestJson& tools, const std::string& param);
// The sampling/length fields both OpenAI endpoints share.
void parse_openai_common(const JsonFields& fields, GenerationOptions& options);
// response_format -> constraint; also used for Ollama "format".
OutputConstraint parse_response_format(const RequestJson& format, const std::string& param);

}  // namespace hearth::server
