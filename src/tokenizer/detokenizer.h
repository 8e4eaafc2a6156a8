#pragma once
// Streaming detokenization: feed ids one at a time as they are generated and get text that never
// ends inside a UTF-8 character (a character split across tokens, an emoji built from several
// byte tokens, is held back until it is complete). Ill-formed bytes become U+FFFD exactly as in
// Tokenizer::decode, so the concatenation of every push() and the final flush() equals
// decode(all ids).
//
// One detokenizer per sequence; not thread-safe (the Tokenizer it reads is).
#include <string>

#include "tokenizer/tokenizer.h"

namespace hearth {

class StreamingDetokenizer {
 public:
  // `tokenizer` must outlive this object.
  explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_special = false);

  // The text completed by `id` (often "", e.g. for the first byte of a Chinese character).
  // Throws hearth::Error when `id` is outside [0, tokenizer.id_limit()).
  std::string push(TokenId id);
  // Whatever is held back (an unfinished character, as U+FFFD), then starts afresh.
  std::string flush();
  // Bytes held back waiting for the rest of a character (at most 3).
  std::size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace hearth
