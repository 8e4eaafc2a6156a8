#include "demo/bigram_weights.h"

#include <cmath>

namespace hearth::demo {

std::vector<float> bigram_logits(const std::vector<std::int32_t>& tokens, std::int64_t vocab, float alpha,
                                 const std::vector<std::pair<std::int32_t, std::int32_t>>& boosts) {
  std::vector<double> counts(static_cast<std::size_t>(vocab * vocab), 0.0);  // [current][next]
  auto add = [&](std::int32_t cur, std::int32_t next, double n) {
    if (cur >= 0 && cur < vocab && next >= 0 && next < vocab) counts[cur * vocab + next] += n;
  };
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) add(tokens[i], tokens[i + 1], 1.0);
  for (auto [cur, next] : boosts) add(cur, next, 1.0);

  std::vector<float> logits(static_cast<std::size_t>(vocab * vocab));
  for (std::int64_t cur = 0; cur < vocab; ++cur) {
    double total = alpha * static_cast<double>(vocab);
    for (std::int64_t next = 0; next < vocab; ++next) total += counts[cur * vocab + next];
    for (std::int64_t next = 0; next < vocab; ++next)
      logits[next * vocab + cur] = static_cast<float>(std::log((counts[cur * vocab + next] + alpha) / total));
  }
  return logits;
}

}  // namespace hearth::demo
