#include "tokenizer/detokenizer.h"

#include "tokenizer/utf8.h"

namespace hearth {

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special) {}

std::string StreamingDetokenizer::push(TokenId id) {
  tokenizer_.require_valid_id(id);
  if (skip_special_ && tokenizer_.is_special(id)) return {};
  pending_ += tokenizer_.token_bytes(id);

  std::string out;
  std::size_t pos = 0;
  while (pos < pending_.size()) {
    const utf8::Step st = utf8::step(pending_, pos);
    if (st.kind == utf8::StepKind::kTruncated) break;  // wait for the rest of the character
    if (st.kind == utf8::StepKind::kValid)
      out.append(pending_, pos, st.length);
    else
      out.append(utf8::kReplacement);
    pos += st.length;
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamingDetokenizer::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace hearth
