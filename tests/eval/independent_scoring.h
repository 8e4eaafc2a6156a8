#pragma once
// The test's own scoring, written plainly (long double, no shared code with src/eval): runs each chunk
// through the model in one forward pass with logits at every position, and computes log-softmax by hand.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "model/model.h"

namespace hearth::test {

// Logits at positions first..ctx-2 of chunk `c` (tokens [c*ctx, (c+1)*ctx)), one row per position.
inline std::vector<std::vector<float>> chunk_logits(Model& model, std::span<const std::int32_t> tokens, std::int64_t c,
                                                    std::int64_t ctx) {
  auto cache = model.create_kv_cache(ctx);
  cache->add_sequence(0);
  Batch batch;
  for (std::int64_t p = 0; p < ctx; ++p) batch.add(tokens[c * ctx + p], 0, static_cast<std::int32_t>(p), true);
  Logits all = model.forward(batch, *cache);
  std::vector<std::vector<float>> rows;
  for (std::int64_t p = ctx / 2; p <= ctx - 2; ++p) {
    auto row = all.row(p);
    rows.emplace_back(row.begin(), row.end());
  }
  return rows;
}

inline std::vector<long double> log_softmax(const std::vector<float>& logits) {
  long double max = logits[0];
  for (float x : logits) max = std::max<long double>(max, x);
  long double sum = 0;
  for (float x : logits) sum += std::exp(static_cast<long double>(x) - max);
  const long double lse = max + std::log(sum);
  std::vector<long double> out;
  out.reserve(logits.size());
  for (float x : logits) out.push_back(static_cast<long double>(x) - lse);
  return out;
}

}  // namespace hearth::test
