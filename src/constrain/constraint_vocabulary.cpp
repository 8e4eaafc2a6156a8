#include "constrain/constraint_vocabulary.h"

#include <algorithm>
#include <numeric>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace hearth::constrain {

std::shared_ptr<const ConstraintVocabulary> ConstraintVocabulary::from(const Tokenizer& tokenizer) {
  const auto limit = static_cast<std::int32_t>(tokenizer.id_limit());
  std::vector<std::string> bytes(static_cast<std::size_t>(limit));
  for (std::int32_t id = 0; id < std::min(limit, tokenizer.vocab_size()); ++id) {
    // Added tokens (<|im_start|>, <think>, <tool_call>) are markup, never part of a JSON document.
    if (tokenizer.is_added(id) || tokenizer.is_special(id) || tokenizer.token_kind(id) != TokenKind::kNormal) continue;
    bytes[static_cast<std::size_t>(id)] = std::string(tokenizer.token_bytes(id));
  }
  std::shared_ptr<ConstraintVocabulary> vocab(new ConstraintVocabulary());
  vocab->build(bytes, tokenizer.eog_ids());
  return vocab;
}

std::shared_ptr<const ConstraintVocabulary> ConstraintVocabulary::from_tokens(
    const std::vector<std::string>& token_bytes, std::vector<std::int32_t> eog_ids) {
  std::shared_ptr<ConstraintVocabulary> vocab(new ConstraintVocabulary());
  vocab->build(token_bytes, std::move(eog_ids));
  return vocab;
}

bool ConstraintVocabulary::is_eog(std::int32_t id) const {
  return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id);
}

void ConstraintVocabulary::build(const std::vector<std::string>& token_bytes, std::vector<std::int32_t> eog_ids) {
  id_limit_ = static_cast<std::int32_t>(token_bytes.size());
  std::sort(eog_ids.begin(), eog_ids.end());
  eog_ids.erase(std::unique(eog_ids.begin(), eog_ids.end()), eog_ids.end());
  std::erase_if(eog_ids, [&](std::int32_t id) { return id < 0 || id >= id_limit_; });
  eog_ids_ = std::move(eog_ids);

  std::vector<std::int32_t> ids;
  for (std::int32_t id = 0; id < id_limit_; ++id)
    if (!token_bytes[static_cast<std::size_t>(id)].empty() && !is_eog(id)) ids.push_back(id);
  std::sort(ids.begin(), ids.end(), [&](std::int32_t a, std::int32_t b) {
    const auto& x = token_bytes[static_cast<std::size_t>(a)];
    const auto& y = token_bytes[static_cast<std::size_t>(b)];
    return x != y ? x < y : a < b;
  });
  plain_ids_ = ids;
  plain_index_.assign(static_cast<std::size_t>(id_limit_), -1);
  offsets_.assign(1, 0);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string& b = token_bytes[static_cast<std::size_t>(ids[i])];
    require(b.size() < 0xFFFF, "constrained decoding: token {} is {} bytes long", ids[i], b.size());
    plain_index_[static_cast<std::size_t>(ids[i])] = static_cast<std::int64_t>(i);
    bytes_ += b;
    offsets_.push_back(static_cast<std::uint32_t>(bytes_.size()));
    has_backslash_.push_back(b.find('\\') != std::string::npos);
    max_length_ = std::max(max_length_, b.size());
  }

  // Depth-first trie: consecutive tokens in byte order share their common prefix's nodes.
  std::vector<std::uint32_t> path;  // path[d] = node at depth d + 1
  std::string_view previous;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string_view b = plain_bytes(i);
    std::size_t common = 0;
    while (common < b.size() && common < previous.size() && b[common] == previous[common]) ++common;
    while (path.size() > common) {
      trie_[path.back()].skip = static_cast<std::uint32_t>(trie_.size());
      path.pop_back();
    }
    for (std::size_t d = common; d < b.size(); ++d) {
      path.push_back(static_cast<std::uint32_t>(trie_.size()));
      trie_.push_back(TrieNode{0, 0, 0, static_cast<std::uint16_t>(d + 1), static_cast<std::uint8_t>(b[d])});
    }
    TrieNode& end = trie_[path.back()];
    if (end.token_count == 0) end.first_token = static_cast<std::uint32_t>(i);
    ++end.token_count;
    previous = b;
  }
  while (!path.empty()) {
    trie_[path.back()].skip = static_cast<std::uint32_t>(trie_.size());
    path.pop_back();
  }
}

std::span<const std::uint32_t> ConstraintVocabulary::string_table(std::uint8_t state) const {
  std::call_once(table_once_[state], [&] {
    auto& table = tables_[state];
    table.resize(plain_count());
    for (std::size_t i = 0; i < plain_count(); ++i) {
      std::uint8_t s = state;
      std::uint32_t chars = 0;
      std::uint32_t entry = kStrInside;
      for (unsigned char b : plain_bytes(i)) {
        const StringStep step = string_step(s, b);
        if (step.next == kStrReject) {
          entry = kStrDead;
          break;
        }
        if (step.next == kStrClose) {
          entry = kStrExits;
          break;
        }
        chars += step.starts_char;
        s = step.next;
      }
      table[i] = entry == kStrDead ? kStrDead : (entry | (std::uint32_t{s} << 2) | (chars << 7));
    }
  });
  return tables_[state];
}

}  // namespace hearth::constrain
