#include "tokenizer/added_tokens.h"

#include <utf8proc.h>

#include <algorithm>

#include "tokenizer/utf8.h"

namespace hearth {
namespace {

// Unicode White_Space (what Rust's char::is_whitespace tests for lstrip/rstrip).
bool is_whitespace(std::uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_word_char(std::uint32_t cp) {
  if (cp == '_') return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

// The code point that starts at `pos`, or -1 where the bytes there are not a whole character.
std::int64_t codepoint_at(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return -1;
  const utf8::Step st = utf8::step(s, pos);
  if (st.kind != utf8::StepKind::kValid) return -1;
  return utf8::decode_valid(s.substr(pos), st.length);
}

// The start of the character that ends at `end` (end > 0).
std::size_t previous_char_start(std::string_view s, std::size_t end) {
  std::size_t p = end - 1;
  while (p > 0 && end - p < 4 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
  return p;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  std::erase_if(tokens_, [](const AddedToken& t) { return t.content.empty() || t.id < 0; });
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  for (std::uint32_t i = 0; i < tokens_.size(); ++i) {
    by_first_byte_[static_cast<std::uint8_t>(tokens_[i].content[0])].push_back(i);
    has_tokens_[tokens_[i].normalized ? 1 : 0] = true;
  }
}

void AddedTokenMatcher::split(std::string_view text, bool include_special, bool normalized,
                              std::vector<Piece>& out) const {
  std::size_t plain_begin = 0;  // start of the plain text not yet emitted
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto& candidates = by_first_byte_[static_cast<std::uint8_t>(text[pos])];
    const AddedToken* found = nullptr;
    for (std::uint32_t index : candidates) {
      const AddedToken& t = tokens_[index];
      if (t.normalized != normalized || (t.special && !include_special)) continue;
      if (text.compare(pos, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        const std::size_t end = pos + t.content.size();
        const std::int64_t before = pos > 0 ? codepoint_at(text, previous_char_start(text, pos)) : -1;
        const std::int64_t after = codepoint_at(text, end);
        if ((before >= 0 && is_word_char(static_cast<std::uint32_t>(before))) ||
            (after >= 0 && is_word_char(static_cast<std::uint32_t>(after))))
          continue;
      }
      found = &t;
      break;
    }
    if (!found) {
      ++pos;
      continue;
    }
    std::size_t begin = pos, end = pos + found->content.size();
    if (found->lstrip) {
      while (begin > plain_begin) {
        const std::size_t prev = previous_char_start(text, begin);
        const std::int64_t cp = codepoint_at(text, prev);
        if (cp < 0 || !is_whitespace(static_cast<std::uint32_t>(cp))) break;
        begin = prev;
      }
    }
    if (found->rstrip) {
      while (end < text.size()) {
        const std::int64_t cp = codepoint_at(text, end);
        if (cp < 0 || !is_whitespace(static_cast<std::uint32_t>(cp))) break;
        end += utf8::step(text, end).length;
      }
    }
    if (begin > plain_begin) out.push_back({text.substr(plain_begin, begin - plain_begin), -1});
    out.push_back({text.substr(begin, end - begin), found->id});
    plain_begin = pos = end;
  }
  if (plain_begin < text.size()) out.push_back({text.substr(plain_begin), -1});
}

}  // namespace hearth
