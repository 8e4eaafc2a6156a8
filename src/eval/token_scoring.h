#pragma once
// The per-position math of perplexity and KL divergence, in double precision over f32 logits, plus the
// accumulators that turn per-token values into a mean with its standard error (llama.cpp's convention:
// the standard error of a mean of n values is the sample standard deviation / sqrt(n)).
#include <cstdint>
#include <span>
#include <vector>

namespace hearth::eval {

// log(sum_i exp(logits[i])), max-subtracted. `logits` must not be empty.
double log_sum_exp(std::span<const float> logits);
// Negative log-likelihood of `target` under softmax(logits): log_sum_exp(logits) - logits[target].
double token_nll(std::span<const float> logits, std::int32_t target);
// Index of the largest logit (the lowest index among equal ones).
std::int32_t argmax(std::span<const float> logits);

// What comparing a model's next-token distribution with a reference's at one position gives.
struct PositionComparison {
  double kld = 0;        // KL(P_ref || P_model) = sum_i p_ref(i) * (log p_ref(i) - log p_model(i)), >= 0
  double nll_ref = 0;    // -log p_ref(target)
  double nll_model = 0;  // -log p_model(target)
  bool same_top1 = false;
};
// The two rows must have the same length.
PositionComparison compare_position(std::span<const float> ref_logits, std::span<const float> model_logits,
                                    std::int32_t target);

// Mean of a stream of values with the standard error of that mean.
class MeanAccumulator {
 public:
  void add(double x);
  std::int64_t count() const { return n_; }
  double mean() const;
  // sqrt(var / (n - 1)) with var the population variance: the standard error of the mean; 0 for n < 2.
  double standard_error() const;

 private:
  std::int64_t n_ = 0;
  double sum_ = 0;
  double sum_sq_ = 0;
};

// Perplexity of a stream of token NLLs: exp(mean NLL), with error exp(mean) * standard_error (first order).
struct Perplexity {
  double value = 0;
  double error = 0;
};
Perplexity perplexity_of(const MeanAccumulator& nll);

// Value at quantile q in [0, 1] of `values` (sorted by this call; linear interpolation); 0 when empty.
double quantile(std::vector<double>& values, double q);

}  // namespace hearth::eval
