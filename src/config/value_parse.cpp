#include "config/value_parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace hearth::config {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

[[noreturn]] void expected(const std::string& what, const RawValue& value) {
  throw ValueError(fmt::format("expected {}, got {}", what, describe(value)));
}

const std::string& require_scalar(const std::string& what, const RawValue& value) {
  if (value.shape != RawValue::Shape::kScalar) expected(what, value);
  return value.scalar;
}

bool parse_int64(const std::string& text, std::int64_t& out) {
  std::string t = trim(text);
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  if (t.empty()) return false;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

bool parse_double(const std::string& text, double& out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  if (t[0] == '+') t.erase(0, 1);
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size() && std::isfinite(out);
}

}  // namespace

std::string describe(const RawValue& value) {
  switch (value.shape) {
    case RawValue::Shape::kScalar:
      return quoted(value.scalar);
    case RawValue::Shape::kList:
      return "a list";
    case RawValue::Shape::kMap:
      return "a mapping";
    case RawValue::Shape::kNull:
      return "nothing";
  }
  return "?";
}

std::int64_t parse_integer(const RawValue& value) {
  const std::string& text = require_scalar("an integer", value);
  std::int64_t n = 0;
  if (!parse_int64(text, n)) expected("an integer", value);
  return n;
}

double parse_number(const RawValue& value) {
  const std::string& text = require_scalar("a number", value);
  double d = 0;
  if (!parse_double(text, d)) expected("a number", value);
  return d;
}

bool parse_bool(const RawValue& value) {
  const std::string t = lower(trim(require_scalar("true or false", value)));
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  expected("true or false", value);
}

std::string parse_string(const RawValue& value) { return require_scalar("a string", value); }

std::vector<std::string> parse_string_list(const RawValue& value) {
  if (value.shape == RawValue::Shape::kScalar) return {value.scalar};
  if (value.shape == RawValue::Shape::kNull) return {};
  if (value.shape != RawValue::Shape::kList || value.list_of_non_scalars) expected("a list of strings", value);
  return value.items;
}

Duration parse_duration(const RawValue& value) {
  const std::string what = "a duration such as 30s, 5m or 1h";
  const std::string t = lower(trim(require_scalar(what, value)));
  double seconds = 0;
  if (parse_double(t, seconds)) {  // a bare number is seconds, as in Ollama's keep_alive
    if (seconds < 0) return Duration{-1};
    return Duration{static_cast<std::int64_t>(std::llround(seconds * 1000.0))};
  }
  bool negative = !t.empty() && t[0] == '-';
  std::size_t i = negative ? 1 : 0;
  if (i >= t.size()) expected(what, value);
  double total_ms = 0;
  while (i < t.size()) {
    std::size_t start = i;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    double amount = 0;
    if (start == i || !parse_double(t.substr(start, i - start), amount)) expected(what, value);
    std::size_t unit_start = i;
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
    const std::string unit = t.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      expected(what, value);
    }
    total_ms += amount * scale;
  }
  if (negative) return Duration{-1};
  if (total_ms > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) expected(what, value);
  return Duration{static_cast<std::int64_t>(std::llround(total_ms))};
}

std::int64_t parse_size(const RawValue& value) {
  const std::string what = "a size such as 16MiB or 1048576";
  const std::string t = trim(require_scalar(what, value));
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  double amount = 0;
  if (i == 0 || !parse_double(t.substr(0, i), amount)) expected(what, value);
  const std::string unit = lower(trim(t.substr(i)));
  double scale = 0;
  if (unit.empty() || unit == "b") {
    scale = 1;
  } else if (unit == "kb") {
    scale = 1e3;
  } else if (unit == "mb") {
    scale = 1e6;
  } else if (unit == "gb") {
    scale = 1e9;
  } else if (unit == "k" || unit == "kib") {
    scale = 1024.0;
  } else if (unit == "m" || unit == "mib") {
    scale = 1024.0 * 1024;
  } else if (unit == "g" || unit == "gib") {
    scale = 1024.0 * 1024 * 1024;
  } else {
    expected(what, value);
  }
  const double bytes = amount * scale;
  if (bytes > 1e18 || bytes != std::floor(bytes)) expected(what, value);
  return static_cast<std::int64_t>(bytes);
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms < 0) return "-1";
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  std::int64_t s = ms / 1000;
  std::string out;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

std::string format_size(std::int64_t bytes) {
  static const char* units[] = {"GiB", "MiB", "KiB"};
  static const std::int64_t scales[] = {1LL << 30, 1LL << 20, 1LL << 10};
  for (int i = 0; i < 3; ++i) {
    if (bytes >= scales[i] && bytes % scales[i] == 0) return fmt::format("{}{}", bytes / scales[i], units[i]);
  }
  return std::to_string(bytes);
}

}  // namespace hearth::config
