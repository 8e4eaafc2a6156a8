#pragma once
// Framing of streamed responses.
//   SSE (OpenAI):    "data: <json>\n\n" per event, then "data: [DONE]\n\n".
//   NDJSON (Ollama): "<json>\n" per object.
// Compact JSON never contains a raw newline (strings escape it), so one event is always one line.
#include <string>
#include <string_view>

#include "server/http_types.h"

namespace hearth::server {

std::string sse_event(std::string_view json);
std::string sse_done();
std::string ndjson_line(std::string_view json);

// Response headers for each kind of stream (no caching, no proxy buffering).
HttpHeaders sse_headers();
HttpHeaders ndjson_headers();

}  // namespace hearth::server
