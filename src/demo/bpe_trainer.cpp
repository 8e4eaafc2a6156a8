#include "demo/bpe_trainer.h"

#include <map>

#include "tokenizer/byte_level.h"

namespace hearth::demo {

TrainedBpe train_bpe(const std::vector<std::string_view>& words, int n_merges) {
  TrainedBpe out;
  for (int b = 0; b < 256; ++b) out.vocab.push_back(byte_level::byte_to_text(static_cast<std::uint8_t>(b)));

  // Each distinct word as a symbol sequence, with its frequency.
  std::map<std::string, int> counts;
  for (auto w : words) counts[std::string(w)]++;
  std::vector<std::pair<std::vector<std::string>, int>> seqs;
  for (const auto& [word, n] : counts) {
    std::vector<std::string> symbols;
    for (unsigned char c : word) symbols.push_back(byte_level::byte_to_text(c));
    seqs.emplace_back(std::move(symbols), n);
  }

  for (int m = 0; m < n_merges; ++m) {
    std::map<std::pair<std::string, std::string>, int> pairs;
    for (const auto& [symbols, n] : seqs)
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i) pairs[{symbols[i], symbols[i + 1]}] += n;
    if (pairs.empty()) break;
    auto best = pairs.begin();
    for (auto it = pairs.begin(); it != pairs.end(); ++it)
      if (it->second > best->second) best = it;  // map order breaks ties deterministically
    if (best->second < 2) break;
    const auto [left, right] = best->first;
    std::string joined = left + right;
    out.merges.emplace_back(left, right);
    out.vocab.push_back(joined);
    for (auto& [symbols, n] : seqs) {
      std::vector<std::string> merged;
      for (std::size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          merged.push_back(joined);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      symbols = std::move(merged);
    }
  }
  return out;
}

}  // namespace hearth::demo
