#pragma once
// Ollama request bodies (/api/chat, /api/generate) -> typed requests. Ollama streams unless "stream": false,
// takes sampling parameters in "options" (num_predict, temperature, top_k, top_p, min_p, seed, stop,
// repeat_penalty, repeat_last_n, presence_penalty, frequency_penalty, num_ctx), "format" ("json" or a JSON
// schema), "think" and "keep_alive" ("5m", seconds, or negative for never). Options Hearth does not use are
// ignored, as Ollama ignores options a runner does not know; wrong types are 400s.
#include "server/api_request.h"
#include "server/json_util.h"

namespace hearth::server {

OllamaChatRequest parse_ollama_chat_request(const RequestJson& body);
OllamaGenerateRequest parse_ollama_generate_request(const RequestJson& body);

// "5m", "1h30m", 300 (seconds), -1 (never). Throws ApiException (400) naming `param`.
config::Duration parse_keep_alive(const RequestJson& value, const std::string& param);

}  // namespace hearth::server
