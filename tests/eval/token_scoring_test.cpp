// Per-position math against closed forms: log-sum-exp, NLL, KL divergence, top-1, and the accumulators'
// mean / standard error / perplexity.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "eval/sample_stats.h"
#include "eval/token_scoring.h"

namespace hearth::eval {
namespace {

std::vector<float> log_probs(const std::vector<double>& p, double shift = 0) {
  std::vector<float> out;
  for (double x : p) out.push_back(static_cast<float>(std::log(x) + shift));
  return out;
}

TEST(TokenScoring, LogSumExpOfEqualLogitsIsLogN) {
  std::vector<float> logits(1000, 3.0f);
  EXPECT_NEAR(log_sum_exp(logits), 3.0 + std::log(1000.0), 1e-12);
  // Large logits must not overflow (max-subtracted).
  std::vector<float> big(4, 1000.0f);
  EXPECT_NEAR(log_sum_exp(big), 1000.0 + std::log(4.0), 1e-9);
}

TEST(TokenScoring, NllIsMinusLogProbability) {
  const auto logits = log_probs({0.5, 0.25, 0.125, 0.125}, /*shift=*/7.5);
  EXPECT_NEAR(token_nll(logits, 0), std::log(2.0), 1e-6);
  EXPECT_NEAR(token_nll(logits, 1), std::log(4.0), 1e-6);
  EXPECT_NEAR(token_nll(logits, 3), std::log(8.0), 1e-6);
}

TEST(TokenScoring, ArgmaxPrefersLowestIndexOnTies) {
  EXPECT_EQ(argmax(std::vector<float>{1, 5, 5, 2}), 1);
  EXPECT_EQ(argmax(std::vector<float>{-3}), 0);
}

TEST(TokenScoring, KlDivergenceMatchesClosedForm) {
  // KL(P || Q) for P = (0.5, 0.5), Q = (0.9, 0.1).
  const double expected = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  const auto p = log_probs({0.5, 0.5}, 2.0);
  const auto q = log_probs({0.9, 0.1}, -1.0);  // logits are defined up to a constant
  const PositionComparison c = compare_position(p, q, /*target=*/1);
  EXPECT_NEAR(c.kld, expected, 1e-6);
  EXPECT_NEAR(c.nll_ref, std::log(2.0), 1e-6);
  EXPECT_NEAR(c.nll_model, std::log(10.0), 1e-6);
  EXPECT_TRUE(c.same_top1);  // ties in P resolve to index 0, Q's top is 0
}

TEST(TokenScoring, KlDivergenceOfADistributionWithItselfIsZero) {
  std::vector<float> logits;
  for (int i = 0; i < 5000; ++i) logits.push_back(static_cast<float>(std::sin(i * 0.37) * 6));
  const PositionComparison c = compare_position(logits, logits, 17);
  EXPECT_EQ(c.kld, 0.0);
  EXPECT_EQ(c.nll_ref, c.nll_model);
  EXPECT_TRUE(c.same_top1);
}

TEST(TokenScoring, KlDivergenceIsAsymmetricAndDetectsTop1Change) {
  const auto p = log_probs({0.7, 0.2, 0.1});
  const auto q = log_probs({0.3, 0.6, 0.1});
  const double pq = 0.7 * std::log(0.7 / 0.3) + 0.2 * std::log(0.2 / 0.6);
  const double qp = 0.3 * std::log(0.3 / 0.7) + 0.6 * std::log(0.6 / 0.2);
  EXPECT_NEAR(compare_position(p, q, 0).kld, pq, 1e-6);
  EXPECT_NEAR(compare_position(q, p, 0).kld, qp, 1e-6);
  EXPECT_FALSE(compare_position(p, q, 0).same_top1);
}

TEST(MeanAccumulator, MeanAndStandardError) {
  MeanAccumulator acc;
  EXPECT_EQ(acc.standard_error(), 0.0);
  for (double x : {1.0, 2.0, 3.0, 4.0}) acc.add(x);
  EXPECT_EQ(acc.count(), 4);
  EXPECT_DOUBLE_EQ(acc.mean(), 2.5);
  // Sample standard deviation sqrt(5/3) over sqrt(4).
  EXPECT_NEAR(acc.standard_error(), std::sqrt(5.0 / 3.0) / 2.0, 1e-12);
}

TEST(MeanAccumulator, PerplexityIsExpOfMeanNll) {
  MeanAccumulator constant;
  for (int i = 0; i < 10; ++i) constant.add(std::log(10.0));
  const Perplexity p = perplexity_of(constant);
  EXPECT_NEAR(p.value, 10.0, 1e-9);
  EXPECT_NEAR(p.error, 0.0, 1e-6);

  MeanAccumulator varied;
  varied.add(1.0);
  varied.add(3.0);
  const Perplexity q = perplexity_of(varied);
  EXPECT_NEAR(q.value, std::exp(2.0), 1e-9);
  EXPECT_NEAR(q.error, std::exp(2.0) * 1.0, 1e-9);  // sample sd sqrt(2), / sqrt(2)
}

TEST(Quantile, InterpolatesSortedValues) {
  std::vector<double> v{5, 1, 3, 2, 4};
  EXPECT_DOUBLE_EQ(quantile(v, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(quantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile(v, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(quantile(v, 0.875), 4.5);
  std::vector<double> empty;
  EXPECT_EQ(quantile(empty, 0.5), 0.0);
}

TEST(SampleStats, MeanStddevMinMax) {
  const std::vector<double> xs{2, 4, 4, 4, 5, 5, 7, 9};
  const SampleStats s = summarize(xs);
  EXPECT_EQ(s.n, 8);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_NEAR(s.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_EQ(s.min, 2);
  EXPECT_EQ(s.max, 9);
  EXPECT_EQ(summarize(std::vector<double>{3.0}).stddev, 0.0);
  EXPECT_EQ(summarize(std::vector<double>{}).n, 0);
}

}  // namespace
}  // namespace hearth::eval
