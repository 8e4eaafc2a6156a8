#pragma once
// ConstraintVocabulary: what constrained decoding needs to know about a model's tokens, built once per model
// and shared (read-only, thread-safe) by every request's TokenConstraint.
//
// Holds the bytes of every plain token (special and added tokens such as <|im_start|> or <think> are never
// offered inside constrained output; end-of-generation tokens are allowed only once the document is
// complete), a byte trie over them laid out in depth-first order so a mask is one linear scan with subtree
// skips, and, built lazily per JSON-string lexer state, a table of what each token does inside a string
// (rejected / stays inside having added N characters / reaches the closing quote), which makes the mask of
// the most common state, the middle of a string, a single pass over a table.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "constrain/json_lexer.h"

namespace hearth {
class Tokenizer;
}

namespace hearth::constrain {

class ConstraintVocabulary {
 public:
  // From a model's tokenizer; covers ids [0, tokenizer.id_limit()).
  static std::shared_ptr<const ConstraintVocabulary> from(const Tokenizer& tokenizer);
  // From raw token bytes (index = id; "" = a token never allowed in constrained output) and the ids that end
  // generation. For tests and tools without a tokenizer.
  static std::shared_ptr<const ConstraintVocabulary> from_tokens(const std::vector<std::string>& token_bytes,
                                                                 std::vector<std::int32_t> eog_ids);

  // Token ids are in [0, id_limit()).
  std::int32_t id_limit() const { return id_limit_; }
  const std::vector<std::int32_t>& eog_ids() const { return eog_ids_; }
  bool is_eog(std::int32_t id) const;

  // ---- Plain tokens, in byte order ("plain index") ----
  std::size_t plain_count() const { return plain_ids_.size(); }
  std::int32_t plain_id(std::size_t plain) const { return plain_ids_[plain]; }
  std::string_view plain_bytes(std::size_t plain) const {
    return std::string_view(bytes_).substr(offsets_[plain], offsets_[plain + 1] - offsets_[plain]);
  }
  bool plain_has_backslash(std::size_t plain) const { return has_backslash_[plain] != 0; }
  // The plain index of token `id`, or -1 for special, added, empty and out-of-range ids.
  std::int64_t plain_index(std::int32_t id) const {
    return id >= 0 && id < id_limit_ ? plain_index_[static_cast<std::size_t>(id)] : -1;
  }

  // ---- The token trie: nodes in depth-first pre-order (the root itself is not stored) ----
  struct TrieNode {
    std::uint32_t skip;         // index of the first node after this node's subtree
    std::uint32_t first_token;  // plain indices [first_token, first_token + token_count) end here
    std::uint16_t token_count;
    std::uint16_t depth;  // 1 for the first byte of a token
    std::uint8_t byte;
  };
  std::span<const TrieNode> trie() const { return trie_; }
  std::size_t max_token_length() const { return max_length_; }

  // ---- String tables ----
  // For each plain token, what it does when it starts inside a JSON string in lexer state `state`.
  enum StringOutcome : std::uint32_t { kStrDead = 0, kStrInside = 1, kStrExits = 2 };
  static StringOutcome outcome(std::uint32_t entry) { return static_cast<StringOutcome>(entry & 3); }
  static std::uint8_t end_state(std::uint32_t entry) { return static_cast<std::uint8_t>((entry >> 2) & 31); }
  static std::uint32_t chars(std::uint32_t entry) { return entry >> 7; }  // characters begun in the string
  std::span<const std::uint32_t> string_table(std::uint8_t state) const;

 private:
  ConstraintVocabulary() = default;
  void build(const std::vector<std::string>& token_bytes, std::vector<std::int32_t> eog_ids);

  std::int32_t id_limit_ = 0;
  std::vector<std::int32_t> eog_ids_;  // sorted
  std::vector<std::int32_t> plain_ids_;
  std::vector<std::int64_t> plain_index_;
  std::string bytes_;
  std::vector<std::uint32_t> offsets_;
  std::vector<std::uint8_t> has_backslash_;
  std::vector<TrieNode> trie_;
  std::size_t max_length_ = 0;

  mutable std::array<std::once_flag, kStrStateCount> table_once_;
  mutable std::array<std::vector<std::uint32_t>, kStrStateCount> tables_;
};

}  // namespace hearth::constrain
