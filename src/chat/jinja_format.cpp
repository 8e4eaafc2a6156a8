#include "chat/jinja_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "chat/jinja_error.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

// ---- numbers ------------------------------------------------------------------------------------

// printf into a std::string (for the fixed/exponent/general float forms, which glibc rounds exactly
// like Python's correctly rounded dtoa).
std::string c_format_float(char type, int precision, double x, bool alternate = false) {
  char spec[8];
  int n = 0;
  spec[n++] = '%';
  if (alternate) spec[n++] = '#';
  spec[n++] = '.';
  spec[n++] = '*';
  spec[n++] = type;
  spec[n] = '\0';
  int size = std::snprintf(nullptr, 0, spec, precision, x);
  std::string out(static_cast<size_t>(size), '\0');
  std::snprintf(out.data(), out.size() + 1, spec, precision, x);
  return out;
}

std::string int_digits(int64_t value, int base, bool upper) {
  // Magnitude as unsigned so INT64_MIN works.
  uint64_t mag = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  char buf[72];
  auto res = std::to_chars(buf, buf + sizeof buf, mag, base);
  std::string s(buf, res.ptr);
  if (upper) std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Inserts `sep` every `group` digits from the right of the leading run of digits in `s`.
std::string group_digits(const std::string& s, char sep, int group) {
  size_t digits_end = 0;
  while (digits_end < s.size() && std::isalnum(static_cast<unsigned char>(s[digits_end])) && s[digits_end] != 'e' &&
         s[digits_end] != 'E')
    ++digits_end;
  std::string head = s.substr(0, digits_end), out;
  int count = 0;
  for (size_t i = head.size(); i-- > 0;) {
    out += head[i];
    if (++count % group == 0 && i > 0) out += sep;
  }
  std::reverse(out.begin(), out.end());
  return out + s.substr(digits_end);
}

std::string repeat_fill(char32_t fill, size_t n) {
  std::string one;
  append_utf8(one, fill);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += one;
  return out;
}

// ---- format-spec mini-language -----------------------------------------------------------------

struct Spec {
  char32_t fill = ' ';
  char align = 0;  // < > ^ =
  char sign = '-';
  bool alternate = false;
  int width = -1;
  char grouping = 0;
  int precision = -1;
  char type = 0;
};

int parse_number(std::string_view s, size_t& pos) {
  int v = -1;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
    v = (v < 0 ? 0 : v) * 10 + (s[pos] - '0');
    if (v > 1000000) raise("format width or precision too big");
    ++pos;
  }
  return v;
}

Spec parse_spec(std::string_view s) {
  Spec spec;
  size_t pos = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  // [[fill]align]
  size_t after_first = 0;
  char32_t first = s.empty() ? 0 : next_code_point(s, after_first);
  if (!s.empty() && after_first < s.size() && is_align(s[after_first])) {
    spec.fill = first;
    spec.align = s[after_first];
    pos = after_first + 1;
  } else if (!s.empty() && is_align(s[0])) {
    spec.align = s[0];
    pos = 1;
  }
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-' || s[pos] == ' ')) spec.sign = s[pos++];
  if (pos < s.size() && s[pos] == '#') {
    spec.alternate = true;
    ++pos;
  }
  if (pos < s.size() && s[pos] == '0') {
    if (!spec.align) {
      spec.fill = '0';
      spec.align = '=';
    }
    ++pos;
  }
  spec.width = parse_number(s, pos);
  if (pos < s.size() && (s[pos] == ',' || s[pos] == '_')) spec.grouping = s[pos++];
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    spec.precision = parse_number(s, pos);
    if (spec.precision < 0) raise("Format specifier missing precision");
  }
  if (pos < s.size()) spec.type = s[pos++];
  if (pos != s.size()) raise("Invalid format specifier '{}'", std::string(s));
  return spec;
}

// Pads `sign_prefix + body` to the spec's width.
std::string pad(const std::string& sign_prefix, const std::string& body, const Spec& spec, char default_align) {
  size_t len = code_point_count(sign_prefix) + code_point_count(body);
  if (spec.width < 0 || len >= static_cast<size_t>(spec.width)) return sign_prefix + body;
  size_t fill = static_cast<size_t>(spec.width) - len;
  switch (spec.align ? spec.align : default_align) {
    case '<':
      return sign_prefix + body + repeat_fill(spec.fill, fill);
    case '^':
      return repeat_fill(spec.fill, fill / 2) + sign_prefix + body + repeat_fill(spec.fill, fill - fill / 2);
    case '=':
      return sign_prefix + repeat_fill(spec.fill, fill) + body;
    default:
      return repeat_fill(spec.fill, fill) + sign_prefix + body;
  }
}

std::string sign_of(bool negative, char sign_mode) {
  if (negative) return "-";
  if (sign_mode == '+') return "+";
  if (sign_mode == ' ') return " ";
  return "";
}

std::string format_integer_spec(int64_t v, const Spec& spec) {
  int base = 10;
  std::string prefix;
  switch (spec.type) {
    case 0:
    case 'd':
    case 'n':
      break;
    case 'b':
      base = 2;
      prefix = "0b";
      break;
    case 'o':
      base = 8;
      prefix = "0o";
      break;
    case 'x':
      base = 16;
      prefix = "0x";
      break;
    case 'X':
      base = 16;
      prefix = "0X";
      break;
    case 'c': {
      if (v < 0 || v > 0x10FFFF) raise("%c arg not in range(0x110000)");
      std::string s;
      append_utf8(s, static_cast<char32_t>(v));
      return pad("", s, spec, '<');
    }
    default:
      raise("Unknown format code '{}' for object of type 'int'", spec.type);
  }
  if (spec.precision >= 0) raise("Precision not allowed in integer format specifier");
  std::string digits = int_digits(v, base, spec.type == 'X');
  if (spec.grouping) digits = group_digits(digits, spec.grouping, base == 10 ? 3 : 4);
  return pad(sign_of(v < 0, spec.sign) + (spec.alternate ? prefix : ""), digits, spec, '>');
}

std::string format_float_spec(double x, const Spec& spec) {
  bool negative = std::signbit(x) && !std::isnan(x);
  double mag = std::fabs(x);
  std::string body;
  int precision = spec.precision < 0 ? 6 : spec.precision;
  switch (spec.type) {
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      body = c_format_float(spec.type, precision, mag, spec.alternate);
      break;
    case '%':
      body = c_format_float('f', precision, mag * 100.0, spec.alternate) + "%";
      break;
    case 0:
      if (spec.precision < 0) {
        body = py_float_repr(mag);
      } else {
        body = c_format_float('g', std::max(precision, 1), mag, spec.alternate);
        if (body.find_first_of(".eEn") == std::string::npos) body += ".0";  // "n" covers inf/nan
      }
      break;
    case 'n':
      body = c_format_float('g', precision, mag, spec.alternate);
      break;
    default:
      raise("Unknown format code '{}' for object of type 'float'", spec.type);
  }
  if (spec.grouping) body = group_digits(body, spec.grouping, 3);
  return pad(sign_of(negative, spec.sign), body, spec, '>');
}

// ---- printf-style ------------------------------------------------------------------------------

double number_for_percent(const Value& v, char type) {
  if (v.is_number()) return v.as_float();
  raise("must be real number, not {}", v.type_name());
}

std::string percent_one(const Value& arg, char type, const std::string& flags, int width, int precision) {
  bool left = flags.find('-') != std::string::npos;
  bool zero = flags.find('0') != std::string::npos && !left;
  bool alternate = flags.find('#') != std::string::npos;
  char sign = flags.find('+') != std::string::npos ? '+' : (flags.find(' ') != std::string::npos ? ' ' : '-');
  std::string sign_prefix, body;
  bool numeric = true;
  switch (type) {
    case 's':
    case 'r':
    case 'a': {
      numeric = false;
      body = type == 's' ? arg.str() : arg.repr();
      if (precision >= 0) {
        auto offsets = code_point_offsets(body);
        if (static_cast<size_t>(precision) + 1 < offsets.size()) body.resize(offsets[precision]);
      }
      break;
    }
    case 'd':
    case 'i':
    case 'u': {
      if (!arg.is_number()) raise("%{} format: a real number is required, not {}", type, arg.type_name());
      double f = arg.as_float();
      if (arg.is_float() && !(std::fabs(f) < 9.2e18))
        raise("cannot convert float {} to a 64-bit integer", py_float_repr(f));
      int64_t v = arg.is_float() ? static_cast<int64_t>(std::trunc(f)) : arg.as_int();
      if (arg.is_float() && !std::isfinite(f)) raise("cannot convert float {} to integer", py_float_repr(f));
      sign_prefix = sign_of(v < 0, sign);
      body = int_digits(v, 10, false);
      if (precision > static_cast<int>(body.size())) body.insert(0, precision - body.size(), '0');
      break;
    }
    case 'x':
    case 'X':
    case 'o': {
      if (!arg.is_integral()) raise("%{} format: an integer is required, not {}", type, arg.type_name());
      int64_t v = arg.as_int();
      sign_prefix = sign_of(v < 0, sign);
      if (alternate) sign_prefix += type == 'o' ? "0o" : (type == 'x' ? "0x" : "0X");
      body = int_digits(v, type == 'o' ? 8 : 16, type == 'X');
      if (precision > static_cast<int>(body.size())) body.insert(0, precision - body.size(), '0');
      break;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      double x = number_for_percent(arg, type);
      sign_prefix = sign_of(std::signbit(x) && !std::isnan(x), sign);
      body = c_format_float(type, precision < 0 ? 6 : precision, std::fabs(x), alternate);
      break;
    }
    case 'c': {
      numeric = false;
      if (arg.is_integral()) {
        append_utf8(body, static_cast<char32_t>(arg.as_int()));
      } else if (arg.is_string() && code_point_count(arg.as_string()) == 1) {
        body = arg.as_string();
      } else {
        raise("%c requires an int or a unicode character, not {}", arg.type_name());
      }
      break;
    }
    default:
      raise("unsupported format character '{}'", type);
  }
  size_t len = code_point_count(sign_prefix) + code_point_count(body);
  if (width < 0 || len >= static_cast<size_t>(width)) return sign_prefix + body;
  size_t fill = static_cast<size_t>(width) - len;
  if (left) return sign_prefix + body + std::string(fill, ' ');
  if (zero && numeric) return sign_prefix + std::string(fill, '0') + body;
  return std::string(fill, ' ') + sign_prefix + body;
}

// ---- JSON --------------------------------------------------------------------------------------

void append_hex4(std::string& out, unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u%04x", v);
  out += buf;
}

std::string json_key(const Value& key) {
  switch (key.kind()) {
    case Value::Kind::String:
      return key.as_string();
    case Value::Kind::Int:
      return std::to_string(key.as_int());
    case Value::Kind::Bool:
      return key.as_bool() ? "true" : "false";
    case Value::Kind::None:
      return "null";
    case Value::Kind::Float:
      return py_float_repr(key.as_float());
    default:
      raise("keys must be str, int, float, bool or None, not {}", key.type_name());
  }
}

void dump_json(std::string& out, const Value& v, const JsonDumpOptions& opt, int level) {
  if (level > kMaxValueDepth) raise("value nested too deeply for tojson");
  auto newline_indent = [&](int lvl) {
    out += '\n';
    for (int i = 0; i < lvl; ++i) out += *opt.indent;
  };
  switch (v.kind()) {
    case Value::Kind::None:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::Float: {
      double x = v.as_float();
      if (std::isnan(x))
        out += "NaN";
      else if (std::isinf(x))
        out += x > 0 ? "Infinity" : "-Infinity";
      else
        out += py_float_repr(x);
      return;
    }
    case Value::Kind::String:
      append_json_string(out, v.as_string(), opt.ensure_ascii);
      return;
    case Value::Kind::List:
    case Value::Kind::Tuple: {
      const ValueList& items = v.as_list();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_separator;
        if (opt.indent) newline_indent(level + 1);
        dump_json(out, items[i], opt, level + 1);
      }
      if (opt.indent) newline_indent(level);
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      const Dict& d = v.as_dict();
      if (d.empty()) {
        out += "{}";
        return;
      }
      std::vector<std::pair<std::string, const Value*>> items;
      items.reserve(d.size());
      for (const auto& [k, val] : d.entries()) items.emplace_back(json_key(k), &val);
      if (opt.sort_keys)
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_separator;
        if (opt.indent) newline_indent(level + 1);
        append_json_string(out, items[i].first, opt.ensure_ascii);
        out += opt.key_separator;
        dump_json(out, *items[i].second, opt, level + 1);
      }
      if (opt.indent) newline_indent(level);
      out += '}';
      return;
    }
    case Value::Kind::Undefined:
      raise("Object of type Undefined is not JSON serializable");
    case Value::Kind::Object:
      raise("Object of type {} is not JSON serializable", v.as_object().type_name());
  }
}

}  // namespace

std::string py_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.2345e+20", shortest round-trip digits
  bool negative = sci[0] == '-';
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(negative ? 1 : 0, e - (negative ? 1 : 0));
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {  // Python's repr switches to exponent form outside this
    int point = exponent + 1;             // digits before the decimal point
    if (point <= 0) {
      out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
      out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, point) + "." + digits.substr(point);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp_buf;
}

std::string py_string_repr(std::string_view s) {
  char quote = '\'';
  if (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos) quote = '"';
  std::string out(1, quote);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = next_code_point(s, pos);
    char buf[16];
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x80 ? (cp < 0x20 || cp == 0x7F) : !py_isprintable(cp)) {
      if (cp < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      else if (cp < 0x10000)
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      else
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  out += quote;
  return out;
}

void append_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  size_t pos = 0;
  while (pos < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c < 0x80) {
      ++pos;
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20)
            append_hex4(out, c);
          else
            out += static_cast<char>(c);
      }
      continue;
    }
    size_t start = pos;
    char32_t cp = next_code_point(s, pos);
    if (!ensure_ascii) {
      out.append(s.substr(start, pos - start));
    } else if (cp < 0x10000) {
      append_hex4(out, cp);
    } else {
      char32_t v = cp - 0x10000;
      append_hex4(out, 0xD800 + (v >> 10));
      append_hex4(out, 0xDC00 + (v & 0x3FF));
    }
  }
  out += '"';
}

std::string py_json_dumps(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  dump_json(out, value, options, 0);
  return out;
}

std::string py_percent_format(std::string_view format, const Value& args) {
  // A tuple supplies the positional arguments; anything else is one value. As in Python, leftover
  // arguments are an error unless the value is a mapping-like object (dict, list, Undefined), which
  // also serves %(name)s.
  const ValueList* positional = args.is_tuple() ? &args.as_list() : nullptr;
  ValueList single;
  if (!positional) {
    single.push_back(args);
    positional = &single;
  }
  size_t next_arg = 0;
  bool used_mapping = args.is_dict() || args.is_list() || args.is_undefined();
  auto take = [&]() -> const Value& {
    if (!positional || next_arg >= positional->size()) raise("not enough arguments for format string");
    return (*positional)[next_arg++];
  };
  std::string out;
  size_t pos = 0;
  while (pos < format.size()) {
    size_t pct = format.find('%', pos);
    if (pct == std::string_view::npos) {
      out.append(format.substr(pos));
      break;
    }
    out.append(format.substr(pos, pct - pos));
    pos = pct + 1;
    if (pos >= format.size()) raise("incomplete format");
    const Value* mapped = nullptr;
    if (format[pos] == '(') {
      size_t close = format.find(')', pos);
      if (close == std::string_view::npos) raise("incomplete format key");
      if (!args.is_dict()) raise("format requires a mapping");
      std::string key(format.substr(pos + 1, close - pos - 1));
      mapped = args.as_dict().find(key);
      if (!mapped) raise("KeyError: {}", py_string_repr(key));
      pos = close + 1;
    }
    std::string flags;
    while (pos < format.size() && std::strchr("-+ #0", format[pos])) flags += format[pos++];
    int width = -1, precision = -1;
    if (pos < format.size() && format[pos] == '*') {
      const Value& w = take();
      if (!w.is_integral()) raise("* wants int");
      width = static_cast<int>(w.as_int());
      ++pos;
    } else {
      width = parse_number(format, pos);
    }
    if (pos < format.size() && format[pos] == '.') {
      ++pos;
      if (pos < format.size() && format[pos] == '*') {
        const Value& p = take();
        if (!p.is_integral()) raise("* wants int");
        precision = static_cast<int>(p.as_int());
        ++pos;
      } else {
        precision = std::max(parse_number(format, pos), 0);
      }
    }
    while (pos < format.size() && std::strchr("hlL", format[pos])) ++pos;
    if (pos >= format.size()) raise("incomplete format");
    char type = format[pos++];
    if (type == '%') {
      out += '%';
      continue;
    }
    const Value& arg = mapped ? *mapped : take();
    out += percent_one(arg, type, flags, width, precision);
  }
  if (!used_mapping && next_arg < positional->size()) raise("not all arguments converted during string formatting");
  return out;
}

std::string py_format_spec(const Value& value, std::string_view spec_text) {
  if (spec_text.empty()) return value.str();
  Spec spec = parse_spec(spec_text);
  switch (value.kind()) {
    case Value::Kind::String: {
      if (spec.type && spec.type != 's') raise("Unknown format code '{}' for object of type 'str'", spec.type);
      if (spec.sign != '-') raise("Sign not allowed in string format specifier");
      std::string body = value.as_string();
      if (spec.precision >= 0) {
        auto offsets = code_point_offsets(body);
        if (static_cast<size_t>(spec.precision) + 1 < offsets.size()) body.resize(offsets[spec.precision]);
      }
      return pad("", body, spec, '<');
    }
    case Value::Kind::Bool:
      if (!spec.type) return pad("", value.str(), spec, '<');
      [[fallthrough]];
    case Value::Kind::Int:
      if (std::strchr("eEfFgG%", spec.type) && spec.type) return format_float_spec(value.as_float(), spec);
      return format_integer_spec(value.as_int(), spec);
    case Value::Kind::Float:
      return format_float_spec(value.as_float(), spec);
    default:
      raise("unsupported format string passed to {}.__format__", value.type_name());
  }
}

}  // namespace hearth::jinja
