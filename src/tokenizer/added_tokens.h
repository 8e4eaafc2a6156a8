#pragma once
// Finding added tokens (<|im_start|>, <think>, ...) in text before it is pre-tokenized: at each
// position the longest token that matches wins, scanning left to right (leftmost-longest, as
// Hugging Face's added-vocabulary matcher).
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer_spec.h"

namespace hearth {

class AddedTokenMatcher {
 public:
  struct Piece {
    std::string_view text;  // the text of this piece (for a token: what it matched, stripping included)
    std::int32_t id = -1;   // >= 0: this piece is that added token; -1: plain text to encode
  };

  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  // Splits `text` into plain-text pieces and added tokens, in order; empty plain pieces are
  // omitted. Only tokens whose `normalized` flag equals `normalized` take part; special tokens
  // only when `include_special`.
  void split(std::string_view text, bool include_special, bool normalized, std::vector<Piece>& out) const;

  // True when some token takes part in the pass for `normalized`.
  bool has_tokens(bool normalized) const { return has_tokens_[normalized ? 1 : 0]; }

 private:
  std::vector<AddedToken> tokens_;                             // longest content first
  std::array<std::vector<std::uint32_t>, 256> by_first_byte_;  // indices into tokens_
  bool has_tokens_[2] = {false, false};
};

}  // namespace hearth
