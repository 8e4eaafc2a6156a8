#pragma once
// Splits a Jinja template into tokens the way Jinja2 3.1's lexer does with the options transformers
// uses: trim_blocks (drop the first newline after a block or comment tag), lstrip_blocks (drop spaces
// and tabs before a block or comment tag that starts a line), the `-`/`+` whitespace markers,
// {% raw %}, comments, newline normalisation, and the removal of one trailing newline
// (keep_trailing_newline=False).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::jinja {

enum class TokenType {
  Text,        // template data between tags (raw blocks included)
  VarBegin,    // {{
  VarEnd,      // }}
  BlockBegin,  // {%
  BlockEnd,    // %}
  Name,
  String,  // value already unescaped
  Integer,
  Float,
  Operator,  // text holds the operator: + - * / // % ** ~ ( ) [ ] { } == != < <= > >= = . : | , ;
  End,
};

struct Token {
  TokenType type = TokenType::End;
  std::string text;  // data, name, unescaped string or operator
  int line = 1;
  int64_t int_value = 0;
  double float_value = 0;
};

// Throws RenderError (with the line) on malformed input: unterminated tags, comments, raw blocks
// or strings, and characters that start no token.
std::vector<Token> tokenize(std::string_view source);

}  // namespace hearth::jinja
