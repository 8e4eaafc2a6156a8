#pragma once
// JSON helpers for the HTTP layer (JSON never goes past it).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::server {

// A parsed request body. Objects keep the client's key order (nlohmann::json would sort them): tool
// `parameters`, response_format schemas and tool-call arguments reach the chat template and the constraint
// compiler as the client wrote them, as transformers / Jinja render them.
using RequestJson = nlohmann::ordered_json;

// Compact JSON text. Invalid UTF-8 (a token that is half a character) becomes U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j);
std::string dump_json(const RequestJson& j);  // keeps the key order

// The name of a JSON value's type as OpenAI's errors say it: "a string", "an integer", "an object"...
std::string json_type_phrase(const RequestJson& j);

// Parses a request body. Throws ApiException (400) for malformed JSON, a body that is not an object, nesting
// deeper than 128 levels, or objects with so many keys that keeping their order would cost quadratic time.
RequestJson parse_json_object_body(std::string_view body);

// Seconds since the Unix epoch, and RFC 3339 time with nanoseconds as Ollama writes it.
std::int64_t unix_time_now();
std::string rfc3339_now();
std::string rfc3339(std::chrono::system_clock::time_point t);

// A random identifier suffix: 24 characters [A-Za-z0-9].
std::string random_id(std::size_t length = 24);

}  // namespace hearth::server
