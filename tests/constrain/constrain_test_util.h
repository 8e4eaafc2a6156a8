#pragma once
// Helpers for the constrained-decoding tests: a byte-per-token vocabulary so documents can be fed byte by byte.
#include <memory>
#include <string>
#include <string_view>

#include "constrain/constraint_vocabulary.h"
#include "constrain/json_grammar.h"

namespace hearth::constrain::test {

// Tokens 0..255 are the single bytes; token 256 ends generation.
inline constexpr std::int32_t kByteEos = 256;
const ConstraintVocabulary& byte_vocabulary();

// Whether the grammar generates `text` as a complete document: every byte is allowed in turn, mask() agrees
// with allows() at every step, and the end-of-generation token is allowed at the end.
bool generates(const std::shared_ptr<const JsonGrammar>& grammar, std::string_view text);
// Whether the bytes of `text` are all allowed (a prefix of some document), complete or not.
bool generates_prefix(const std::shared_ptr<const JsonGrammar>& grammar, std::string_view text);

std::shared_ptr<const JsonGrammar> schema(std::string_view text);

}  // namespace hearth::constrain::test
