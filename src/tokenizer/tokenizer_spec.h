#pragma once
// Everything a byte-level BPE tokenizer is built from, in a source-neutral shape. The loaders
// (tokenizer.json, GGUF metadata) fill it; Tokenizer compiles it. Token kinds follow GGUF's
// tokenizer.ggml.token_type.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"

namespace hearth {

using TokenId = std::int32_t;

enum class TokenKind : std::uint8_t {
  kNormal,       // a BPE vocabulary entry, stored in byte-level form ("Ġhello")
  kUnknown,      // the unknown token (GGUF type 2); treated as a control token
  kControl,      // a special added token (<|im_start|>): GGUF type 3, tokenizer.json "special": true
  kUserDefined,  // a non-special added token (<think>): GGUF type 4, "special": false
  kUnused,       // no token: padding rows, gaps in the ids (GGUF type 5); decodes to nothing
};

// GGUF's tokenizer.ggml.token_type numbering (1 normal, 2 unknown, 3 control, 4 user-defined,
// 5 unused, 6 byte); 0 and 6 read as normal.
TokenKind token_kind_from_gguf(std::int64_t type);
std::int32_t token_kind_to_gguf(TokenKind kind);

// A token matched in the input text before pre-tokenization (tokenizer.json "added_tokens").
struct AddedToken {
  TokenId id = -1;
  std::string content;
  bool special = false;      // not matched when encoding with parse_special = false
  bool lstrip = false;       // swallows whitespace on its left
  bool rstrip = false;       // swallows whitespace on its right
  bool single_word = false;  // only matches between word boundaries
  bool normalized = false;   // matched in the normalized text rather than the raw text
};

struct TokenizerSpec {
  std::vector<std::string> tokens;                          // text by id ("" where no token has that id)
  std::vector<TokenKind> kinds;                             // same length as `tokens`
  std::vector<std::pair<std::string, std::string>> merges;  // rank order, byte-level text
  std::vector<AddedToken> added_tokens;

  Normalization normalization = Normalization::kNone;
  std::vector<SplitRule> splits;  // pre-tokenizer steps, in order
  bool add_prefix_space = false;  // ByteLevel add_prefix_space: each text segment gets a leading space
  bool ignore_merges = false;     // a pre-token that is itself in the vocabulary is used as is (Llama 3)

  std::optional<TokenId> bos_id, eos_id, eot_id, eom_id, pad_id, unk_id;
  bool add_bos = false;  // callers prepend bos_id to prompts (encode() never adds it)
  bool add_eos = false;
  std::vector<TokenId> extra_eog_ids;  // more end-of-generation ids (generation_config.json)
  // Ids below this are accepted by decode (the model's embedding rows, which may outnumber the
  // tokens); 0 means tokens.size().
  std::int64_t id_limit = 0;
  std::string pre_name;  // llama.cpp's tokenizer.ggml.pre name when known ("qwen2"), else ""
};

}  // namespace hearth
