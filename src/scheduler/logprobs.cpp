#include "scheduler/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace hearth::scheduler {

namespace {
std::string token_text(const Tokenizer& tokenizer, std::int32_t id) {
  return tokenizer.is_valid_id(id) ? std::string(tokenizer.token_bytes(id)) : std::string();
}
}  // namespace

server::TokenLogprob token_logprob(std::span<const float> logits, std::int32_t chosen, int top_n,
                                   const Tokenizer& tokenizer) {
  const std::size_t n = logits.size();
  float max_logit = -std::numeric_limits<float>::infinity();
  for (float v : logits) max_logit = std::max(max_logit, v);
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max_logit);
  const double log_z = static_cast<double>(max_logit) + std::log(sum);
  auto logprob = [&](std::size_t id) { return static_cast<float>(static_cast<double>(logits[id]) - log_z); };

  server::TokenLogprob out;
  out.token = chosen;
  out.text = token_text(tokenizer, chosen);
  out.logprob = chosen >= 0 && static_cast<std::size_t>(chosen) < n ? logprob(static_cast<std::size_t>(chosen))
                                                                    : -std::numeric_limits<float>::infinity();
  const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(std::max(top_n, 0)), n);
  if (k == 0) return out;
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int32_t>(i);
  auto more_likely = [&](std::int32_t a, std::int32_t b) {
    return logits[static_cast<std::size_t>(a)] > logits[static_cast<std::size_t>(b)] ||
           (logits[static_cast<std::size_t>(a)] == logits[static_cast<std::size_t>(b)] && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), more_likely);
  out.top.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    out.top.push_back(
        server::TopLogprob{ids[i], token_text(tokenizer, ids[i]), logprob(static_cast<std::size_t>(ids[i]))});
  }
  return out;
}

}  // namespace hearth::scheduler
