#include "format/gguf_value.h"

#include <cmath>
#include <limits>

#include "util/error.h"

namespace hearth {

const char* gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::UINT8:
      return "uint8";
    case GgufType::INT8:
      return "int8";
    case GgufType::UINT16:
      return "uint16";
    case GgufType::INT16:
      return "int16";
    case GgufType::UINT32:
      return "uint32";
    case GgufType::INT32:
      return "int32";
    case GgufType::FLOAT32:
      return "float32";
    case GgufType::BOOL:
      return "bool";
    case GgufType::STRING:
      return "string";
    case GgufType::ARRAY:
      return "array";
    case GgufType::UINT64:
      return "uint64";
    case GgufType::INT64:
      return "int64";
    case GgufType::FLOAT64:
      return "float64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::UINT8:
    case GgufType::INT8:
    case GgufType::UINT16:
    case GgufType::INT16:
    case GgufType::UINT32:
    case GgufType::INT32:
    case GgufType::UINT64:
    case GgufType::INT64:
      return true;
    default:
      return false;
  }
}

bool GgufValue::is_number() const { return is_integer() || type == GgufType::FLOAT32 || type == GgufType::FLOAT64; }

std::int64_t GgufValue::as_int(const std::string& what) const {
  require(is_integer(), "{}: expected an integer, found {}", what, gguf_type_name(type));
  if (const auto* u = std::get_if<std::uint64_t>(&value)) {
    require(*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), "{}: value {} is too large",
            what, *u);
    return static_cast<std::int64_t>(*u);
  }
  if (const auto* i = std::get_if<std::int64_t>(&value)) return *i;
  fail("{}: integer value is malformed", what);
}

double GgufValue::as_float(const std::string& what) const {
  require(is_number(), "{}: expected a number, found {}", what, gguf_type_name(type));
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* u = std::get_if<std::uint64_t>(&value)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  fail("{}: numeric value is malformed", what);
}

bool GgufValue::as_bool(const std::string& what) const {
  require(type == GgufType::BOOL, "{}: expected a bool, found {}", what, gguf_type_name(type));
  const auto* b = std::get_if<bool>(&value);
  require(b != nullptr, "{}: bool value is malformed", what);
  return *b;
}

const std::string& GgufValue::as_string(const std::string& what) const {
  require(type == GgufType::STRING, "{}: expected a string, found {}", what, gguf_type_name(type));
  const auto* s = std::get_if<std::string>(&value);
  require(s != nullptr, "{}: string value is malformed", what);
  return *s;
}

const GgufArray& GgufValue::as_array(const std::string& what) const {
  require(type == GgufType::ARRAY, "{}: expected an array, found {}", what, gguf_type_name(type));
  const auto* a = std::get_if<GgufArray>(&value);
  require(a != nullptr, "{}: array value is malformed", what);
  return *a;
}

GgufValue GgufValue::string_array(const std::vector<std::string>& items) {
  std::vector<GgufValue> values;
  values.reserve(items.size());
  for (const auto& s : items) values.push_back(str(s));
  return array(GgufType::STRING, std::move(values));
}

GgufValue GgufValue::int32_array(const std::vector<std::int32_t>& items) {
  std::vector<GgufValue> values;
  values.reserve(items.size());
  for (auto v : items) values.push_back(i32(v));
  return array(GgufType::INT32, std::move(values));
}

}  // namespace hearth
