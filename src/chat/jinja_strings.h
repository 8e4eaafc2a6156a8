#pragma once
// Python str operations shared by Jinja filters and str methods. Indexes and widths count code
// points, as Python does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::jinja {

// str.replace(old, new, count); count < 0 replaces all.
std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count);
// str.split(sep, maxsplit) / str.rsplit; sep == nullopt splits on runs of whitespace.
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);
// str.center / ljust / rjust with a one-character fill.
std::string py_pad(std::string_view s, int64_t width, char32_t fill, char align);
std::string py_zfill(std::string_view s, int64_t width);

// Resolves Python's optional [start, end) code-point bounds of str.find/count/startswith into byte
// offsets; returns false when the range is empty and reversed (start > len).
struct ByteRange {
  size_t begin = 0, end = 0;
  bool valid = true;
};
ByteRange py_byte_range(std::string_view s, std::optional<int64_t> start, std::optional<int64_t> end);
// Code-point index of the byte offset `byte` in s.
int64_t py_code_point_index(std::string_view s, size_t byte);

// int(text, base) and float(text) parsing with Python's rules (whitespace, underscores, sign,
// 0x/0o/0b prefixes, inf/nan); nullopt when Python would raise ValueError.
std::optional<int64_t> py_parse_int(std::string_view text, int base);
std::optional<double> py_parse_float(std::string_view text);

}  // namespace hearth::jinja
