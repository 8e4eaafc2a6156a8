#pragma once
// JSON helpers for the HTTP layer (JSON never goes past it).
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::server {

// Compact JSON text. Invalid UTF-8 (a token that is half a character) becomes U+FFFD instead of throwing.
std::string dump_json(const nlohmann::json& j);

// The name of a JSON value's type as OpenAI's errors say it: "a string", "an integer", "an object"...
std::string json_type_phrase(const nlohmann::json& j);

// Parses a request body. Throws ApiException (400) for malformed JSON or a body that is not an object.
nlohmann::json parse_json_object_body(std::string_view body);

// Seconds since the Unix epoch, and RFC 3339 time with nanoseconds as Ollama writes it.
std::int64_t unix_time_now();
std::string rfc3339_now();
std::string rfc3339(std::chrono::system_clock::time_point t);

// A random identifier suffix: 24 characters [A-Za-z0-9].
std::string random_id(std::size_t length = 24);

}  // namespace hearth::server
