#pragma once
// Output-layer weights that make a model continue text the way a bigram model of a corpus would:
// with a one-hot residual stream (embedding row i = e_i) the final RMSNorm scales e_i by sqrt(d),
// output_norm undoes that, and lm_head[j][i] = log P(next = j | current = i).
#include <cstdint>
#include <vector>

namespace hearth::demo {

// Row-major {vocab, vocab}: logit of next token j (row) given current token i (column), add-alpha
// smoothed. `boosts` adds extra (current, next) counts (e.g. sentence end -> end of turn).
std::vector<float> bigram_logits(const std::vector<std::int32_t>& tokens, std::int64_t vocab, float alpha,
                                 const std::vector<std::pair<std::int32_t, std::int32_t>>& boosts);

}  // namespace hearth::demo
