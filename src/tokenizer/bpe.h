#pragma once
// Byte-pair encoding of one pre-token: start from one symbol per byte and repeatedly apply the
// lowest-ranked merge present (leftmost first on ties), as Hugging Face's BPE model does. A
// priority queue keeps a word of n bytes at O(n log n); a cache of recent words makes repeated
// words (most of any text) a hash lookup.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/flat_index.h"

namespace hearth {

struct BpeMerge {
  std::int32_t left;
  std::int32_t right;
  std::int32_t result;  // the id of the concatenation
};

class BpeModel {
 public:
  // `byte_tokens[b]`: the id of the single-byte token for b, or -1 (that byte is then dropped, as
  // Hugging Face does for a character missing from a vocabulary without an unknown token).
  // `merges` in rank order (index = rank). `whole_words`, when given, maps a pre-token's raw bytes
  // to an id that is used directly, before merging (tokenizer.json "ignore_merges", Llama 3).
  BpeModel(std::array<std::int32_t, 256> byte_tokens, const std::vector<BpeMerge>& merges,
           std::unordered_map<std::string, std::int32_t> whole_words = {});
  ~BpeModel();

  // Appends the ids of `word` (raw bytes of one pre-token) to `out`. Thread-safe.
  void encode(std::string_view word, std::vector<std::int32_t>& out) const;

  std::size_t merge_count() const { return merges_.size(); }

 private:
  void merge(std::string_view word, std::vector<std::int32_t>& out) const;

  std::array<std::int32_t, 256> byte_tokens_;
  MergeTable merges_;
  std::unordered_map<std::string, std::int32_t> whole_words_;
  class WordCache;
  std::unique_ptr<WordCache> cache_;
};

}  // namespace hearth
