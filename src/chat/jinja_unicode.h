#pragma once
// Python's str semantics over UTF-8: templates index, slice, measure and case-map strings by code
// point, and Python's notion of whitespace is wider than ASCII. Invalid UTF-8 bytes count as one
// code point each and are kept as they are.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::jinja {

// Decodes the code point at s[pos] and advances pos. Invalid bytes decode as U+FFFD (one byte).
char32_t next_code_point(std::string_view s, size_t& pos);
void append_utf8(std::string& out, char32_t cp);

// Byte offsets of every code point start, plus s.size() at the end (size = code points + 1).
std::vector<size_t> code_point_offsets(std::string_view s);
size_t code_point_count(std::string_view s);

// str.isspace() for one code point.
bool py_isspace(char32_t cp);
// str.isprintable() for one code point (used by repr()).
bool py_isprintable(char32_t cp);
bool py_isalpha(char32_t cp);
bool py_isdigit(char32_t cp);
bool py_isalnum(char32_t cp);
bool py_is_cased_upper(char32_t cp);
bool py_is_cased_lower(char32_t cp);
bool py_is_cased(char32_t cp);
// \w in Python's re (letters, digits, underscore).
bool py_isword(char32_t cp);

std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_swapcase(std::string_view s);
// str.capitalize(): first character title-cased, the rest lower-cased.
std::string py_capitalize(std::string_view s);
// str.title(): title-case the first cased character of every run of cased characters.
std::string py_title(std::string_view s);

// str.strip / lstrip / rstrip: `chars` == nullptr strips whitespace, else the given characters.
std::string_view py_strip(std::string_view s, const std::string* chars, bool left, bool right);

}  // namespace hearth::jinja
