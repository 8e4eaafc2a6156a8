#include "eval/token_scoring.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace hearth::eval {

double log_sum_exp(std::span<const float> logits) {
  assert(!logits.empty());
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float x : logits) sum += std::exp(static_cast<double>(x) - max);
  return max + std::log(sum);
}

double token_nll(std::span<const float> logits, std::int32_t target) {
  return log_sum_exp(logits) - static_cast<double>(logits[static_cast<std::size_t>(target)]);
}

std::int32_t argmax(std::span<const float> logits) {
  return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

PositionComparison compare_position(std::span<const float> ref, std::span<const float> model, std::int32_t target) {
  assert(ref.size() == model.size());
  const double lse_ref = log_sum_exp(ref);
  const double lse_model = log_sum_exp(model);
  double kld = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double log_p = static_cast<double>(ref[i]) - lse_ref;
    const double log_q = static_cast<double>(model[i]) - lse_model;
    kld += std::exp(log_p) * (log_p - log_q);
  }
  PositionComparison c;
  // Rounding can leave a tiny negative sum for identical distributions; KL is never negative.
  c.kld = std::max(kld, 0.0);
  const auto t = static_cast<std::size_t>(target);
  c.nll_ref = lse_ref - static_cast<double>(ref[t]);
  c.nll_model = lse_model - static_cast<double>(model[t]);
  c.same_top1 = argmax(ref) == argmax(model);
  return c;
}

void MeanAccumulator::add(double x) {
  ++n_;
  sum_ += x;
  sum_sq_ += x * x;
}

double MeanAccumulator::mean() const { return n_ > 0 ? sum_ / static_cast<double>(n_) : 0.0; }

double MeanAccumulator::standard_error() const {
  if (n_ < 2) return 0;
  const double m = mean();
  const double var = std::max(sum_sq_ / static_cast<double>(n_) - m * m, 0.0);
  return std::sqrt(var / static_cast<double>(n_ - 1));
}

Perplexity perplexity_of(const MeanAccumulator& nll) {
  Perplexity p;
  p.value = std::exp(nll.mean());
  p.error = p.value * nll.standard_error();
  return p;
}

double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace hearth::eval
