#pragma once
// Typed access to the fields of a JSON object in a request, with errors that name the parameter path
// ("messages[2].content") in OpenAI's words:
//   Invalid type for 'temperature': expected a number, but got a string instead.
//   Invalid value for 'temperature': must be between 0 and 2, got 3.
// A field that is absent or null counts as not given.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/json_util.h"

namespace hearth::server {

class JsonFields {
 public:
  // `prefix` is the parameter path of the object itself ("" for the body, "stream_options", "tools[0]").
  JsonFields(const RequestJson& object, std::string prefix);

  std::string param(std::string_view key) const;
  const RequestJson* get(std::string_view key) const;  // nullptr when absent or null

  std::optional<std::string> string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<double> number(std::string_view key, double lo, double hi) const;
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) const;
  const RequestJson* object(std::string_view key) const;
  const RequestJson* array(std::string_view key) const;

  [[noreturn]] void invalid_type(std::string_view key, std::string_view expected, const RequestJson& got) const;
  [[noreturn]] void invalid_value(std::string_view key, const std::string& why) const;

 private:
  const RequestJson& object_;
  std::string prefix_;
};

// Throws the "Invalid type" error for a parameter path.
[[noreturn]] void throw_invalid_type(const std::string& param, std::string_view expected, const RequestJson& got);
[[noreturn]] void throw_invalid_value(const std::string& param, const std::string& why);

}  // namespace hearth::server
