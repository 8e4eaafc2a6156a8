#include "chat/jinja_unicode.h"

#include <utf8proc.h>

namespace hearth::jinja {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

utf8proc_category_t category(char32_t cp) { return utf8proc_category(static_cast<utf8proc_int32_t>(cp)); }

// Maps every code point with `map`, copying unchanged (and invalid) bytes through untouched.
template <typename Map>
std::string map_code_points(std::string_view s, Map map) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = next_code_point(s, pos);
    map(out, cp, s.substr(start, pos - start));
  }
  return out;
}

void append_mapped(std::string& out, char32_t cp, char32_t mapped, std::string_view original) {
  if (mapped == cp)
    out.append(original);
  else
    append_utf8(out, mapped);
}

// Full upper-case mappings that expand to several characters (Unicode SpecialCasing, the Latin ones).
bool append_special_upper(std::string& out, char32_t cp) {
  const char* s = nullptr;
  switch (cp) {
    case 0xDF:
      s = "SS";
      break;
    case 0x149:
      s = "\u02BCN";
      break;
    case 0xFB00:
      s = "FF";
      break;
    case 0xFB01:
      s = "FI";
      break;
    case 0xFB02:
      s = "FL";
      break;
    case 0xFB03:
      s = "FFI";
      break;
    case 0xFB04:
      s = "FFL";
      break;
    case 0xFB05:
    case 0xFB06:
      s = "ST";
      break;
    default:
      return false;
  }
  out += s;
  return true;
}

char32_t to_upper(char32_t cp) { return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp))); }
char32_t to_lower(char32_t cp) { return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))); }
char32_t to_title(char32_t cp) { return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp))); }

}  // namespace

char32_t next_code_point(std::string_view s, size_t& pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int extra = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    extra = 1;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3;
    cp = b0 & 0x07;
  } else {
    ++pos;
    return kReplacement;
  }
  if (pos + static_cast<size_t>(extra) >= s.size()) {  // truncated sequence
    ++pos;
    return kReplacement;
  }
  for (int i = 1; i <= extra; ++i) {
    unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kReplacement;
  }
  pos += extra + 1;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<size_t> code_point_offsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    offsets.push_back(pos);
    next_code_point(s, pos);
  }
  offsets.push_back(s.size());
  return offsets;
}

size_t code_point_count(std::string_view s) {
  size_t n = 0, pos = 0;
  while (pos < s.size()) {
    next_code_point(s, pos);
    ++n;
  }
  return n;
}

bool py_isspace(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool py_isprintable(char32_t cp) {
  if (cp == ' ') return true;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

bool py_isalpha(char32_t cp) {
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return true;
    default:
      return false;
  }
}

bool py_isdigit(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_ND; }

bool py_isalnum(char32_t cp) {
  auto c = category(cp);
  return py_isalpha(cp) || c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool py_is_cased_upper(char32_t cp) {
  auto c = category(cp);
  return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}
bool py_is_cased_lower(char32_t cp) { return category(cp) == UTF8PROC_CATEGORY_LL; }
bool py_is_cased(char32_t cp) { return py_is_cased_upper(cp) || py_is_cased_lower(cp); }
bool py_isword(char32_t cp) { return cp == '_' || py_isalnum(cp); }

std::string py_upper(std::string_view s) {
  return map_code_points(s, [](std::string& out, char32_t cp, std::string_view orig) {
    if (!append_special_upper(out, cp)) append_mapped(out, cp, to_upper(cp), orig);
  });
}

std::string py_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  bool previous_cased = false;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = next_code_point(s, pos);
    if (cp == 0x130) {  // capital I with dot: i + combining dot above
      out += "i\u0307";
    } else if (cp == 0x3A3) {  // capital sigma: final form at the end of a word
      size_t after = pos;
      bool next_cased = after < s.size() && py_is_cased(next_code_point(s, after));
      append_utf8(out, previous_cased && !next_cased ? 0x3C2 : 0x3C3);
    } else {
      append_mapped(out, cp, to_lower(cp), s.substr(start, pos - start));
    }
    previous_cased = py_is_cased(cp);
  }
  return out;
}

std::string py_swapcase(std::string_view s) {
  return map_code_points(s, [](std::string& out, char32_t cp, std::string_view orig) {
    if (py_is_cased_upper(cp))
      append_mapped(out, cp, to_lower(cp), orig);
    else if (py_is_cased_lower(cp) && !append_special_upper(out, cp))
      append_mapped(out, cp, to_upper(cp), orig);
    else if (!py_is_cased_lower(cp))
      out.append(orig);
  });
}

std::string py_capitalize(std::string_view s) {
  bool first = true;
  return map_code_points(s, [&](std::string& out, char32_t cp, std::string_view orig) {
    append_mapped(out, cp, first ? to_title(cp) : to_lower(cp), orig);
    first = false;
  });
}

std::string py_title(std::string_view s) {
  bool previous_cased = false;
  return map_code_points(s, [&](std::string& out, char32_t cp, std::string_view orig) {
    append_mapped(out, cp, previous_cased ? to_lower(cp) : to_title(cp), orig);
    previous_cased = py_is_cased(cp);
  });
}

std::string_view py_strip(std::string_view s, const std::string* chars, bool left, bool right) {
  auto strippable = [&](char32_t cp) {
    if (!chars) return py_isspace(cp);
    size_t p = 0;
    while (p < chars->size())
      if (next_code_point(*chars, p) == cp) return true;
    return false;
  };
  std::vector<size_t> offsets = code_point_offsets(s);
  size_t n = offsets.size() - 1;
  size_t begin = 0, end = n;
  auto cp_at = [&](size_t i) {
    size_t p = offsets[i];
    return next_code_point(s, p);
  };
  if (left)
    while (begin < end && strippable(cp_at(begin))) ++begin;
  if (right)
    while (end > begin && strippable(cp_at(end - 1))) --end;
  return s.substr(offsets[begin], offsets[end] - offsets[begin]);
}

}  // namespace hearth::jinja
