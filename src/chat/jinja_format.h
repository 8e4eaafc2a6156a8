#pragma once
// Python's text conversions that templates observe byte for byte: float repr, string repr,
// json.dumps (transformers' tojson), printf-style `%` formatting and the format-spec mini-language.
#include <optional>
#include <string>
#include <string_view>

#include "chat/jinja_value.h"

namespace hearth::jinja {

// Values nested deeper than this are refused (guards the recursive printers and converters).
inline constexpr int kMaxValueDepth = 512;

// repr(float): shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16.
std::string py_float_repr(double x);
// repr(str): single quotes unless the text has ' and no ", escapes for non-printable characters.
std::string py_string_repr(std::string_view s);

struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;  // nullopt: one line
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
// json.dumps(value, ...). Throws RenderError for values JSON cannot hold (Undefined, objects).
std::string py_json_dumps(const Value& value, const JsonDumpOptions& options);
// Appends a JSON string literal with Python's escapes.
void append_json_string(std::string& out, std::string_view s, bool ensure_ascii);

// `format % args` (printf-style) as Python's str.__mod__ does it.
std::string py_percent_format(std::string_view format, const Value& args);
// format(value, spec): the format-spec mini-language used by str.format.
std::string py_format_spec(const Value& value, std::string_view spec);

}  // namespace hearth::jinja
