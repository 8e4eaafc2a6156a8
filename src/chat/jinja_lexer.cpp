#include "chat/jinja_lexer.h"

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "chat/jinja_error.h"
#include "chat/jinja_unicode.h"

namespace hearth::jinja {
namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

[[noreturn]] void syntax_error(int line, const std::string& message) {
  throw RenderError(message, RenderError::Kind::Template, line);
}

// "\r\n" and "\r" become "\n"; one trailing newline is dropped (Jinja's keep_trailing_newline=False).
std::string normalize_source(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      out += '\n';
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else {
      out += in[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool all_python_space(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size())
    if (!py_isspace(next_code_point(s, pos))) return false;
  return true;
}

int count_newlines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Python's str.encode('ascii', 'backslashreplace').decode('unicode-escape') over a literal's body.
std::string unescape_string(std::string_view body, int line) {
  std::string out;
  out.reserve(body.size());
  auto hex_value = [&](size_t pos, int digits) -> std::optional<uint32_t> {
    if (pos + digits > body.size()) return std::nullopt;
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      char c = body[pos + i];
      int d = is_digit(c)              ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    return v;
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    char e = body[++i];
    switch (e) {
      case '\n':
        break;  // line continuation
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        auto v = hex_value(i + 1, digits);
        if (!v || *v > 0x10FFFF) syntax_error(line, fmt::format("invalid \\{} escape in string literal", e));
        append_utf8(out, *v);
        i += digits;
        break;
      }
      case 'N':
        syntax_error(line, "\\N{...} escapes in string literals are not supported");
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = e - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
            v = v * 8 + (body[++i] - '0');
          append_utf8(out, v);
        } else {
          out += '\\';  // unknown escapes keep their backslash
          out += e;
        }
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_source(source)) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      size_t tag = find_tag_start(pos_);
      if (tag == std::string::npos) {
        emit_text(src_.substr(pos_), line_);
        break;
      }
      char kind = src_[tag + 1];
      size_t after = tag + 2;
      char sign = 0;
      if (after < src_.size() && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];

      std::optional<size_t> raw_end;
      if (kind == '%') raw_end = match_raw_begin(tag + 2);
      std::string text = src_.substr(pos_, tag - pos_);
      int text_line = line_;
      emit_text(strip_before_tag(std::move(text), sign, kind != '{'), text_line);
      line_ += count_newlines(std::string_view(src_).substr(pos_, tag - pos_));
      pos_ = tag;

      if (raw_end) {
        lex_raw(tag, *raw_end);
      } else if (kind == '#') {
        lex_comment(after);
      } else {
        lex_tag(kind, after);
      }
    }
    tokens_.push_back(Token{TokenType::End, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag_start(size_t from) const {
    for (size_t p = src_.find('{', from); p != std::string::npos; p = src_.find('{', p + 1)) {
      if (p + 1 < src_.size() && (src_[p + 1] == '%' || src_[p + 1] == '{' || src_[p + 1] == '#')) return p;
    }
    return std::string::npos;
  }

  // Whitespace control for the text before a tag: `-` strips all trailing whitespace; otherwise
  // lstrip_blocks removes the spaces between the line start and a block or comment tag.
  std::string strip_before_tag(std::string text, char sign, bool lstrip_applies) const {
    if (sign == '-') return std::string(py_strip(text, nullptr, false, true));
    if (sign == '+' || !lstrip_applies) return text;
    size_t nl = text.rfind('\n');
    size_t line_start = nl == std::string::npos ? 0 : nl + 1;
    if ((line_start > 0 || line_starting_) && line_start < text.size() &&
        all_python_space(std::string_view(text).substr(line_start)))
      text.resize(line_start);
    return text;
  }

  void emit_text(std::string text, int line) {
    if (text.empty()) return;
    tokens_.push_back(Token{TokenType::Text, std::move(text), line});
  }

  size_t skip_space(size_t p) const {
    while (p < src_.size() && is_ascii_space(src_[p])) ++p;
    return p;
  }

  // `{%[-+]? raw %}` starting at the block's first inner character; returns the end of the tag.
  std::optional<size_t> match_raw_begin(size_t p) const {
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_space(p);
    if (src_.compare(p, 3, "raw") != 0) return std::nullopt;
    p = skip_space(p + 3);
    if (src_.compare(p, 3, "-%}") == 0) return skip_space(p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2;
    return std::nullopt;
  }

  // `{%[-+]? endraw %}` at p: returns (end of match, sign).
  std::optional<std::pair<size_t, char>> match_endraw(size_t p) const {
    if (src_.compare(p, 2, "{%") != 0) return std::nullopt;
    p += 2;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    p = skip_space(p);
    if (src_.compare(p, 6, "endraw") != 0) return std::nullopt;
    p = skip_space(p + 6);
    if (auto end = match_block_end(p)) return std::make_pair(*end, sign);
    return std::nullopt;
  }

  // `+%}`, `-%}` plus all following whitespace, or `%}` plus one newline (trim_blocks).
  std::optional<size_t> match_block_end(size_t p) const {
    if (src_.compare(p, 3, "+%}") == 0) return p + 3;
    if (src_.compare(p, 3, "-%}") == 0) return skip_space(p + 3);
    if (src_.compare(p, 2, "%}") == 0) return p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n');
    return std::nullopt;
  }

  std::optional<size_t> match_variable_end(size_t p) const {
    if (src_.compare(p, 3, "-}}") == 0) return skip_space(p + 3);
    if (src_.compare(p, 2, "}}") == 0) return p + 2;
    return std::nullopt;
  }

  void advance_to(size_t end) {
    line_ += count_newlines(std::string_view(src_).substr(pos_, end - pos_));
    pos_ = end;
    line_starting_ = end > 0 && src_[end - 1] == '\n';
  }

  void lex_raw(size_t tag, size_t begin_end) {
    int start_line = line_;
    advance_to(begin_end);
    for (size_t p = src_.find("{%", pos_); p != std::string::npos; p = src_.find("{%", p + 1)) {
      auto end = match_endraw(p);
      if (!end) continue;
      int text_line = line_;
      emit_text(strip_before_tag(src_.substr(pos_, p - pos_), end->second, true), text_line);
      advance_to(end->first);
      return;
    }
    syntax_error(start_line, "missing '{% endraw %}' for the raw block");
  }

  void lex_comment(size_t p) {
    int start_line = line_;
    for (; p + 1 < src_.size(); ++p) {
      if ((src_[p] == '+' || src_[p] == '-') && src_.compare(p + 1, 2, "#}") == 0) {
        advance_to(src_[p] == '+' ? p + 3 : skip_space(p + 3));
        return;
      }
      if (src_[p] == '#' && src_[p + 1] == '}') {
        advance_to(p + 2 + (p + 2 < src_.size() && src_[p + 2] == '\n'));
        return;
      }
    }
    syntax_error(start_line, "missing '#}' at the end of a comment");
  }

  void lex_tag(char kind, size_t p) {
    bool block = kind == '%';
    tokens_.push_back(Token{block ? TokenType::BlockBegin : TokenType::VarBegin, "", line_});
    int tag_line = line_;
    advance_to(p);
    std::vector<char> brackets;
    while (true) {
      if (pos_ >= src_.size())
        syntax_error(tag_line, fmt::format("unexpected end of template: missing '{}' to close the tag opened here",
                                           block ? "%}" : "}}"));
      if (brackets.empty()) {
        if (auto end = block ? match_block_end(pos_) : match_variable_end(pos_)) {
          tokens_.push_back(Token{block ? TokenType::BlockEnd : TokenType::VarEnd, "", line_});
          advance_to(*end);
          return;
        }
      }
      char c = src_[pos_];
      if (is_ascii_space(c)) {
        advance_to(skip_space(pos_));
      } else if (is_digit(c)) {
        lex_number();
      } else if (is_name_start(c)) {
        size_t e = pos_;
        while (e < src_.size() && is_name_char(src_[e])) ++e;
        tokens_.push_back(Token{TokenType::Name, src_.substr(pos_, e - pos_), line_});
        advance_to(e);
      } else if (c == '\'' || c == '"') {
        lex_string(c);
      } else {
        lex_operator(brackets);
      }
    }
  }

  // Digits with optional single underscores between them ("1_000"); returns the end or p.
  size_t scan_digits(size_t p) const {
    size_t q = p;
    if (q >= src_.size() || !is_digit(src_[q])) return p;
    while (q < src_.size()) {
      if (is_digit(src_[q])) {
        ++q;
      } else if (src_[q] == '_' && q + 1 < src_.size() && is_digit(src_[q + 1])) {
        q += 2;
      } else {
        break;
      }
    }
    return q;
  }

  void lex_number() {
    size_t start = pos_;
    size_t int_end = scan_digits(start);
    bool preceded_by_dot = start > 0 && src_[start - 1] == '.';
    // Float: digits ( .digits? exponent | .digits ), never right after a '.' (as in `x.0.1`).
    if (!preceded_by_dot) {
      size_t p = int_end;
      size_t frac_end = p;
      if (p < src_.size() && src_[p] == '.' && scan_digits(p + 1) > p + 1) frac_end = scan_digits(p + 1);
      size_t exp_start = frac_end;
      size_t exp_end = exp_start;
      if (exp_start < src_.size() && (src_[exp_start] == 'e' || src_[exp_start] == 'E')) {
        size_t q = exp_start + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        size_t d = scan_digits(q);
        if (d > q) exp_end = d;
      }
      size_t end = exp_end > exp_start ? exp_end : frac_end;
      if (end > int_end) {
        std::string text;
        for (size_t i = start; i < end; ++i)
          if (src_[i] != '_') text += src_[i];
        Token t{TokenType::Float, src_.substr(start, end - start), line_};
        t.float_value = std::strtod(text.c_str(), nullptr);
        tokens_.push_back(std::move(t));
        advance_to(end);
        return;
      }
    }
    // Integer: 0b / 0o / 0x prefixes, decimal, or a run of zeros.
    int base = 10;
    size_t digits_start = start, end = int_end;
    if (src_[start] == '0' && start + 1 < src_.size()) {
      char p = static_cast<char>(std::tolower(static_cast<unsigned char>(src_[start + 1])));
      auto valid = [&](char ch) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (p == 'b') return ch == '0' || ch == '1';
        if (p == 'o') return ch >= '0' && ch <= '7';
        return is_digit(ch) || (ch >= 'a' && ch <= 'f');
      };
      if (p == 'b' || p == 'o' || p == 'x') {
        size_t q = start + 2;
        while (q < src_.size() && (valid(src_[q]) || (src_[q] == '_' && q + 1 < src_.size() && valid(src_[q + 1]))))
          ++q;
        if (q > start + 2) {
          base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
          digits_start = start + 2;
          end = q;
        }
      } else {
        // Decimal literals other than zero cannot start with 0 ("0_0" is fine, "07" is two tokens).
        size_t q = start + 1;
        while (q < src_.size() && (src_[q] == '0' || (src_[q] == '_' && q + 1 < src_.size() && src_[q + 1] == '0')))
          q += src_[q] == '_' ? 2 : 1;
        end = q;
      }
    }
    std::string digits;
    for (size_t i = digits_start; i < end; ++i)
      if (src_[i] != '_') digits += src_[i];
    errno = 0;
    char* parse_end = nullptr;
    long long v = std::strtoll(digits.c_str(), &parse_end, base);
    if (errno == ERANGE)
      syntax_error(line_, fmt::format("integer literal {} is too large", src_.substr(start, end - start)));
    Token t{TokenType::Integer, src_.substr(start, end - start), line_};
    t.int_value = v;
    tokens_.push_back(std::move(t));
    advance_to(end);
  }

  void lex_string(char quote) {
    size_t p = pos_ + 1;
    while (p < src_.size() && src_[p] != quote) p += src_[p] == '\\' ? 2 : 1;
    if (p >= src_.size()) syntax_error(line_, "unterminated string literal");
    Token t{TokenType::String, unescape_string(std::string_view(src_).substr(pos_ + 1, p - pos_ - 1), line_), line_};
    tokens_.push_back(std::move(t));
    advance_to(p + 1);
  }

  void lex_operator(std::vector<char>& brackets) {
    static constexpr std::string_view kTwo[] = {"**", "//", "==", "!=", ">=", "<="};
    static constexpr std::string_view kOne = "+-/*%~[](){}><=.:|,;";
    std::string op;
    for (std::string_view two : kTwo)
      if (src_.compare(pos_, 2, two) == 0) op = two;
    if (op.empty() && kOne.find(src_[pos_]) != std::string_view::npos) op = src_.substr(pos_, 1);
    if (op.empty()) {
      size_t p = pos_;
      std::string ch;
      append_utf8(ch, next_code_point(src_, p));
      syntax_error(line_, fmt::format("unexpected character '{}'", ch));
    }
    if (op == "(" || op == "[" || op == "{") {
      brackets.push_back(op[0] == '(' ? ')' : op[0] == '[' ? ']' : '}');
    } else if (op == ")" || op == "]" || op == "}") {
      if (brackets.empty()) syntax_error(line_, fmt::format("unexpected '{}'", op));
      if (brackets.back() != op[0])
        syntax_error(line_, fmt::format("unexpected '{}', expected '{}'", op, brackets.back()));
      brackets.pop_back();
    }
    tokens_.push_back(Token{TokenType::Operator, op, line_});
    advance_to(pos_ + op.size());
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace hearth::jinja
