#pragma once
// A minimal byte-level BPE trainer: counts adjacent symbol pairs over pre-tokenized words and
// merges the most frequent pair until `n_merges` merges exist (ties broken by the pair's text so
// the result is deterministic). Enough to give the demo model a real tokenizer; not meant for
// production vocabularies.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::demo {

struct TrainedBpe {
  std::vector<std::string> vocab;  // byte-level text: the 256 byte symbols, then one per merge
  std::vector<std::pair<std::string, std::string>> merges;
};

// `words` are pre-tokenized pieces of raw text (as PreTokenizer produces them).
TrainedBpe train_bpe(const std::vector<std::string_view>& words, int n_merges);

}  // namespace hearth::demo
