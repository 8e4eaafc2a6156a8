#include "chat/jinja_strings.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "chat/jinja_error.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

bool is_line_break(char32_t cp) {
  switch (cp) {
    case '\n':
    case '\r':
    case 0x0B:
    case 0x0C:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x85:
    case 0x2028:
    case 0x2029:
      return true;
    default:
      return false;
  }
}

// Byte offset just past the whitespace run starting at `pos` (forward).
size_t skip_space_forward(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t next = pos;
    if (!py_isspace(next_code_point(s, next))) break;
    pos = next;
  }
  return pos;
}

std::string_view strip_ws(std::string_view s) { return py_strip(s, nullptr, true, true); }

}  // namespace

std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement, int64_t count) {
  std::string out;
  if (count < 0) count = INT64_MAX;
  if (old.empty()) {
    size_t pos = 0;
    int64_t done = 0;
    while (true) {
      if (done < count) {
        out.append(replacement);
        ++done;
      }
      if (pos >= s.size()) break;
      size_t start = pos;
      next_code_point(s, pos);
      out.append(s.substr(start, pos - start));
    }
    return out;
  }
  size_t pos = 0;
  for (int64_t done = 0; done < count; ++done) {
    size_t hit = s.find(old, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(replacement);
    pos = hit + old.size();
  }
  out.append(s.substr(pos));
  return out;
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  std::vector<std::string> parts;
  if (maxsplit < 0) maxsplit = INT64_MAX;
  if (sep) {
    if (sep->empty()) raise("empty separator");
    size_t pos = 0;
    while (static_cast<int64_t>(parts.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      parts.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    parts.emplace_back(s.substr(pos));
    return parts;
  }
  size_t pos = skip_space_forward(s, 0);
  while (pos < s.size()) {
    if (static_cast<int64_t>(parts.size()) >= maxsplit) {
      parts.emplace_back(s.substr(pos));
      break;
    }
    size_t end = pos;
    while (end < s.size()) {
      size_t next = end;
      if (py_isspace(next_code_point(s, next))) break;
      end = next;
    }
    parts.emplace_back(s.substr(pos, end - pos));
    pos = skip_space_forward(s, end);
  }
  return parts;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit) {
  std::vector<std::string> parts;
  if (maxsplit < 0) maxsplit = INT64_MAX;
  if (sep) {
    if (sep->empty()) raise("empty separator");
    size_t end = s.size();
    while (static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      parts.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    parts.emplace_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  // Whitespace split from the right works on code points.
  std::vector<size_t> offsets = code_point_offsets(s);
  auto space_at = [&](size_t i) {
    size_t p = offsets[i];
    return py_isspace(next_code_point(s, p));
  };
  size_t i = offsets.size() - 1;  // code-point position (exclusive end)
  while (i > 0 && space_at(i - 1)) --i;
  while (i > 0) {
    if (static_cast<int64_t>(parts.size()) >= maxsplit) {
      parts.emplace_back(s.substr(0, offsets[i]));
      break;
    }
    size_t end = i;
    while (i > 0 && !space_at(i - 1)) --i;
    parts.emplace_back(s.substr(offsets[i], offsets[end] - offsets[i]));
    while (i > 0 && space_at(i - 1)) --i;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
  std::vector<std::string> lines;
  size_t start = 0, pos = 0;
  while (pos < s.size()) {
    size_t at = pos;
    char32_t cp = next_code_point(s, pos);
    if (!is_line_break(cp)) continue;
    size_t end = pos;
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') end = ++pos;
    lines.emplace_back(s.substr(start, (keepends ? end : at) - start));
    start = pos;
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

std::string py_pad(std::string_view s, int64_t width, char32_t fill, char align) {
  int64_t len = static_cast<int64_t>(code_point_count(s));
  if (width <= len) return std::string(s);
  int64_t margin = width - len;
  int64_t left = align == '<' ? 0 : align == '>' ? margin : margin / 2 + (margin & width & 1);
  std::string fill_text;
  append_utf8(fill_text, fill);
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill_text;
  out.append(s);
  for (int64_t i = 0; i < margin - left; ++i) out += fill_text;
  return out;
}

std::string py_zfill(std::string_view s, int64_t width) {
  int64_t len = static_cast<int64_t>(code_point_count(s));
  if (width <= len) return std::string(s);
  size_t sign = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  return std::string(s.substr(0, sign)) + std::string(static_cast<size_t>(width - len), '0') +
         std::string(s.substr(sign));
}

ByteRange py_byte_range(std::string_view s, std::optional<int64_t> start, std::optional<int64_t> end) {
  std::vector<size_t> offsets = code_point_offsets(s);
  int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  auto adjust = [n](int64_t i) {
    if (i < 0) i = std::max<int64_t>(i + n, 0);
    return std::min(i, n);
  };
  ByteRange r;
  int64_t b = start ? *start : 0;
  if (b > n) r.valid = false;
  b = adjust(b);
  int64_t e = end ? adjust(*end) : n;
  if (e < b) e = b;
  r.begin = offsets[b];
  r.end = offsets[e];
  return r;
}

int64_t py_code_point_index(std::string_view s, size_t byte) {
  return static_cast<int64_t>(code_point_count(s.substr(0, byte)));
}

std::optional<int64_t> py_parse_int(std::string_view text, int base) {
  std::string_view t = strip_ws(text);
  bool negative = false;
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  auto has_prefix = [&](char p) {
    return t.size() >= 2 && t[0] == '0' && std::tolower(static_cast<unsigned char>(t[1])) == p;
  };
  bool prefixed = false;
  if ((base == 16 || base == 0) && has_prefix('x'))
    base = 16, prefixed = true;
  else if ((base == 8 || base == 0) && has_prefix('o'))
    base = 8, prefixed = true;
  else if ((base == 2 || base == 0) && has_prefix('b'))
    base = 2, prefixed = true;
  if (prefixed) {
    t.remove_prefix(2);
    if (!t.empty() && t[0] == '_') t.remove_prefix(1);
  }
  if (base == 0) {
    base = 10;
    // Python rejects "012" with base 0 (only zeros may lead).
    if (t.size() > 1 && t[0] == '0' && t.find_first_not_of("0_") != std::string_view::npos) return std::nullopt;
  }
  if (base < 2 || base > 36) raise("int() base must be >= 2 and <= 36, or 0");
  if (t.empty()) return std::nullopt;
  std::string digits;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '_') {
      if (i == 0 || i + 1 == t.size() || t[i - 1] == '_') return std::nullopt;
      continue;
    }
    int d = std::isdigit(static_cast<unsigned char>(c))   ? c - '0'
            : std::isalpha(static_cast<unsigned char>(c)) ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                                          : 99;
    if (d >= base) return std::nullopt;
    digits += c;
  }
  errno = 0;
  unsigned long long mag = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE || mag > static_cast<unsigned long long>(INT64_MAX) + (negative ? 1 : 0))
    raise("integer {} does not fit in 64 bits", std::string(text));
  return negative ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
}

std::optional<double> py_parse_float(std::string_view text) {
  std::string_view t = strip_ws(text);
  std::string s(t);
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = lower;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  if (body == "nan") return std::nan("");
  // [digits][.digits][e[+-]digits] with single underscores between digits.
  std::string clean;
  bool digits_seen = false, prev_digit = false;
  size_t i = 0;
  auto take_digits = [&]() {
    bool any = false;
    while (i < body.size()) {
      char c = body[i];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        clean += c;
        any = prev_digit = true;
      } else if (c == '_' && prev_digit && i + 1 < body.size() &&
                 std::isdigit(static_cast<unsigned char>(body[i + 1]))) {
        prev_digit = false;
      } else {
        break;
      }
      ++i;
    }
    prev_digit = false;
    return any;
  };
  digits_seen = take_digits();
  if (i < body.size() && body[i] == '.') {
    clean += '.';
    ++i;
    digits_seen = take_digits() || digits_seen;
  }
  if (!digits_seen) return std::nullopt;
  if (i < body.size() && body[i] == 'e') {
    clean += 'e';
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) clean += body[i++];
    if (!take_digits()) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double v = std::strtod(clean.c_str(), nullptr);
  return negative ? -v : v;
}

}  // namespace hearth::jinja
