#include "server/json_fields.h"

#include <fmt/format.h>

#include <cmath>

#include "server/api_error.h"
#include "server/json_util.h"

namespace hearth::server {

namespace {
std::string format_bound(double v) { return fmt::format("{}", v); }
}  // namespace

void throw_invalid_type(const std::string& param, std::string_view expected, const RequestJson& got) {
  throw ApiException(ApiError::bad_request(
      fmt::format("Invalid type for '{}': expected {}, but got {} instead.", param, expected, json_type_phrase(got)),
      param, "invalid_type"));
}

void throw_invalid_value(const std::string& param, const std::string& why) {
  throw ApiException(
      ApiError::bad_request(fmt::format("Invalid value for '{}': {}", param, why), param, "invalid_value"));
}

JsonFields::JsonFields(const RequestJson& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

std::string JsonFields::param(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const RequestJson* JsonFields::get(std::string_view key) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

void JsonFields::invalid_type(std::string_view key, std::string_view expected, const RequestJson& got) const {
  throw_invalid_type(param(key), expected, got);
}

void JsonFields::invalid_value(std::string_view key, const std::string& why) const {
  throw_invalid_value(param(key), why);
}

std::optional<std::string> JsonFields::string(std::string_view key) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) invalid_type(key, "a string", *v);
  return v->get<std::string>();
}

std::optional<bool> JsonFields::boolean(std::string_view key) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) invalid_type(key, "a boolean", *v);
  return v->get<bool>();
}

std::optional<double> JsonFields::number(std::string_view key, double lo, double hi) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) invalid_type(key, "a number", *v);
  const double d = v->get<double>();
  if (!(d >= lo && d <= hi)) {
    invalid_value(key, fmt::format("must be between {} and {}, got {}.", format_bound(lo), format_bound(hi), d));
  }
  return d;
}

std::optional<std::int64_t> JsonFields::integer(std::string_view key, std::int64_t lo, std::int64_t hi) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_number_integer()) {
    n = v->get<std::int64_t>();
  } else if (v->is_number_unsigned()) {
    // Larger than int64: out of any range we accept.
    invalid_value(key, fmt::format("must be between {} and {}, got {}.", lo, hi, v->get<std::uint64_t>()));
  } else if (v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>() &&
             std::fabs(v->get<double>()) < 9e15) {
    n = static_cast<std::int64_t>(v->get<double>());  // 5.0 is an integer too
  } else {
    invalid_type(key, "an integer", *v);
  }
  if (n < lo || n > hi) {
    if (hi == INT64_MAX) invalid_value(key, fmt::format("must be at least {}, got {}.", lo, n));
    invalid_value(key, fmt::format("must be between {} and {}, got {}.", lo, hi, n));
  }
  return n;
}

const RequestJson* JsonFields::object(std::string_view key) const {
  const auto* v = get(key);
  if (v && !v->is_object()) invalid_type(key, "an object", *v);
  return v;
}

const RequestJson* JsonFields::array(std::string_view key) const {
  const auto* v = get(key);
  if (v && !v->is_array()) invalid_type(key, "an array", *v);
  return v;
}

}  // namespace hearth::server
