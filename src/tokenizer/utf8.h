#pragma once
// UTF-8 helpers for the tokenizer: walking possibly-invalid bytes the way Python's and Rust's
// lossy decoders do (each "maximal subpart" of an ill-formed sequence becomes one U+FFFD), so that
// Hearth's decode() produces exactly the text transformers' decode() produces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::utf8 {

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

enum class StepKind {
  kValid,      // a complete, well-formed character of `length` bytes
  kInvalid,    // an ill-formed maximal subpart of `length` (>= 1) bytes: replace it by one U+FFFD
  kTruncated,  // the `length` bytes up to the end of the input are a well-formed prefix of a character
};

struct Step {
  StepKind kind;
  std::size_t length;
};

// Classifies the bytes at `pos` (REQUIRES: pos < s.size()).
Step step(std::string_view s, std::size_t pos);

// True when `s` is entirely well-formed UTF-8.
bool is_valid(std::string_view s);

// `s` with every ill-formed subpart (a truncated character at the end included) replaced by U+FFFD.
std::string sanitize(std::string_view s);

// Appends the UTF-8 encoding of `cp` (REQUIRES: a Unicode scalar value).
void append_codepoint(std::string& out, std::uint32_t cp);

// Decodes the well-formed character at the start of `s` (REQUIRES: step(s, 0) is kValid).
std::uint32_t decode_valid(std::string_view s, std::size_t length);

}  // namespace hearth::utf8
