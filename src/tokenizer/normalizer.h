#pragma once
// Unicode normalization of input text before pre-tokenization (tokenizer.json "normalizer").
#include <string>
#include <string_view>

namespace hearth {

enum class Normalization { kNone, kNfc, kNfd, kNfkc, kNfkd };

// Parses "NFC", "NFD", "NFKC", "NFKD" (tokenizer.json normalizer types); throws hearth::Error otherwise.
Normalization normalization_from_name(std::string_view name);
const char* normalization_name(Normalization form);

// `text` in the given normalization form. REQUIRES: `text` is well-formed UTF-8 (the tokenizer
// only normalizes validated runs). ASCII text is returned unchanged without calling utf8proc.
std::string normalize(std::string_view text, Normalization form);

}  // namespace hearth
