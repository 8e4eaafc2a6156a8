#pragma once
// Typed conversion of raw configuration values (from YAML, environment variables or flags). Each function
// throws ValueError with a message that describes the expectation and the value but not the key; the
// caller adds the key path and the source.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"

namespace hearth::config {

// A value before typing: YAML gives every shape; environment variables and flags give scalars or lists.
struct RawValue {
  enum class Shape { kScalar, kList, kMap, kNull };
  Shape shape = Shape::kScalar;
  std::string scalar;
  std::vector<std::string> items;  // kList: each item must itself be a scalar (see list_of_non_scalars)
  bool list_of_non_scalars = false;

  static RawValue of(std::string text) { return RawValue{Shape::kScalar, std::move(text), {}, false}; }
  static RawValue list(std::vector<std::string> items) { return RawValue{Shape::kList, {}, std::move(items), false}; }
};

class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a value reads in a message: "lots" (quoted), a list, a mapping, nothing.
std::string describe(const RawValue& value);

std::int64_t parse_integer(const RawValue& value);
double parse_number(const RawValue& value);
bool parse_bool(const RawValue& value);  // true/false, yes/no, on/off, 1/0
std::string parse_string(const RawValue& value);
std::vector<std::string> parse_string_list(const RawValue& value);  // a scalar is a list of one
// Integer seconds, decimal seconds, or a number with units: 500ms, 30s, 5m, 1h, 1h30m. Negative means never.
Duration parse_duration(const RawValue& value);
// Bytes, or a number with units: KB/MB/GB (1000^n), KiB/MiB/GiB and K/M/G (1024^n).
std::int64_t parse_size(const RawValue& value);

// Formats a duration the way parse_duration reads it back ("30s", "1h30m", "-1").
std::string format_duration(Duration d);
// Formats a byte count with the largest exact binary unit ("16MiB", "1500").
std::string format_size(std::int64_t bytes);

}  // namespace hearth::config
