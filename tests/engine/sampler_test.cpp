// Sampler semantics on small hand-computed cases (see the pipeline in engine/sampler.h).
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "util/error.h"

namespace hearth {
namespace {

SamplingParams plain(float temperature = 1.0f) {
  SamplingParams p;
  p.temperature = temperature;
  p.seed = 1;
  return p;
}

std::vector<float> softmax(const std::vector<float>& logits) {
  double mx = -1e30, sum = 0;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  std::vector<float> p;
  for (float v : logits) sum += std::exp(v - mx);
  for (float v : logits) p.push_back(static_cast<float>(std::exp(v - mx) / sum));
  return p;
}

std::vector<float> logits_of(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

// The distribution as token -> probability.
std::map<std::int32_t, float> dist(Sampler& s, const std::vector<float>& logits) {
  std::map<std::int32_t, float> out;
  for (const auto& tp : s.distribution(logits)) out[tp.token] = tp.prob;
  return out;
}

TEST(Sampler, GreedyPicksTheLargestLogitAndTheLowestIdOnTies) {
  Sampler s(plain(0.0f), 5);
  EXPECT_EQ(s.sample(std::vector<float>{0.1f, 3.0f, -2.0f, 3.0f, 1.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{5.0f, 3.0f, -2.0f, 3.0f, 1.0f}), 0);
  auto d = s.distribution(std::vector<float>{0.1f, 3.0f, -2.0f, 3.0f, 1.0f});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].token, 1);
  EXPECT_EQ(d[0].prob, 1.0f);
}

TEST(Sampler, RepetitionPresenceAndFrequencyPenalties) {
  SamplingParams p = plain();
  p.repetition_penalty = 2.0f;
  p.repeat_last_n = -1;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  Sampler s(p, 4);
  s.accept_prompt(std::vector<std::int32_t>{0, 3});
  s.accept(1);
  s.accept(1);
  // token 0: prompt, positive -> 1 / 2 = 0.5; token 3: prompt, negative -> -1 * 2 = -2 (prompt tokens get
  // no presence/frequency penalty); token 1: generated twice -> 2 / 2 - 2 * 0.25 - 0.5 = 0; token 2 untouched.
  auto d = dist(s, {1.0f, 2.0f, 0.5f, -1.0f});
  auto want = softmax({0.5f, 0.0f, 0.5f, -2.0f});
  ASSERT_EQ(d.size(), 4u);
  for (int t = 0; t < 4; ++t) EXPECT_NEAR(d[t], want[t], 1e-6) << "token " << t;
}

TEST(Sampler, RepetitionPenaltyWindowCoversOnlyTheLastTokens) {
  SamplingParams p = plain(0.0f);
  p.repetition_penalty = 4.0f;
  p.repeat_last_n = 1;
  Sampler s(p, 3);
  s.accept_prompt(std::vector<std::int32_t>{0, 1});
  // Only token 1 (the last one) is penalised: 2.0 / 4 = 0.5 < 1.0 of token 2; token 0 keeps 3.0.
  EXPECT_EQ(s.sample(std::vector<float>{3.0f, 2.0f, 1.0f}), 0);
  s.accept(0);
  // Now the window is {0}: 3.0 / 4 = 0.75; token 1 is back to 2.0.
  EXPECT_EQ(s.sample(std::vector<float>{3.0f, 2.0f, 1.0f}), 1);
}

TEST(Sampler, RepeatedTokensArePenalisedOnce) {
  SamplingParams p = plain();
  p.repetition_penalty = 2.0f;
  Sampler s(p, 2);
  s.accept_prompt(std::vector<std::int32_t>{0, 0, 0});
  auto d = dist(s, {2.0f, 0.0f});
  auto want = softmax({1.0f, 0.0f});
  EXPECT_NEAR(d[0], want[0], 1e-6);
}

TEST(Sampler, TemperatureScalesLogits) {
  Sampler s(plain(2.0f), 2);
  auto d = dist(s, {0.0f, static_cast<float>(std::log(4.0))});
  EXPECT_NEAR(d[0], 1.0 / 3.0, 1e-6);
  EXPECT_NEAR(d[1], 2.0 / 3.0, 1e-6);
}

TEST(Sampler, TopKKeepsExactlyKAndRenormalises) {
  SamplingParams p = plain();
  p.top_k = 2;
  Sampler s(p, 5);
  auto d = s.distribution(logits_of({0.1, 0.4, 0.2, 0.2, 0.1}));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].token, 1);
  EXPECT_EQ(d[1].token, 2);  // tie with token 3: the lower id wins
  EXPECT_NEAR(d[0].prob, 0.4 / 0.6, 1e-6);
  EXPECT_NEAR(d[1].prob, 0.2 / 0.6, 1e-6);
}

TEST(Sampler, TopPKeepsTheTokenThatReachesTheMass) {
  const auto logits = logits_of({0.5, 0.25, 0.25});
  auto kept = [&](float top_p) {
    SamplingParams p = plain();
    p.top_p = top_p;
    Sampler s(p, 3);
    return s.distribution(logits).size();
  };
  EXPECT_EQ(kept(0.49f), 1u);  // 0.5 alone reaches 0.49
  EXPECT_EQ(kept(0.51f), 2u);
  EXPECT_EQ(kept(0.74f), 2u);
  EXPECT_EQ(kept(0.76f), 3u);
  EXPECT_EQ(kept(1.0f), 3u);
  SamplingParams p = plain();
  p.top_p = 0.7f;
  Sampler s(p, 3);
  auto d = s.distribution(logits);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[0].prob, 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(d[1].prob, 1.0 / 3.0, 1e-6);
}

TEST(Sampler, TopPAppliesAfterTopK) {
  SamplingParams p = plain();
  p.top_k = 2;
  p.top_p = 0.6f;  // over the top-2 renormalised: 0.4/0.6 = 0.667 >= 0.6 -> one token
  Sampler s(p, 4);
  EXPECT_EQ(s.distribution(logits_of({0.4, 0.2, 0.2, 0.2})).size(), 1u);
}

TEST(Sampler, TopPOverALargeVocabulary) {
  // 5000 equally likely tokens: top_p = 0.5 keeps 2500, more than the first sorting window.
  SamplingParams p = plain();
  p.top_p = 0.5f;
  Sampler s(p, 5000);
  std::vector<float> logits(5000, 0.0f);
  auto d = s.distribution(logits);
  EXPECT_NEAR(static_cast<double>(d.size()), 2500.0, 1.0);
  EXPECT_EQ(d.front().token, 0);  // ties in token order
}

TEST(Sampler, MinPIsRelativeToTheTopProbability) {
  const auto logits = logits_of({0.5, 0.25, 0.125, 0.125});
  auto kept = [&](float min_p) {
    SamplingParams p = plain();
    p.min_p = min_p;
    Sampler s(p, 4);
    return s.distribution(logits).size();
  };
  EXPECT_EQ(kept(0.24f), 4u);  // threshold 0.12 keeps the 0.125s
  EXPECT_EQ(kept(0.26f), 2u);  // threshold 0.13 drops them
  EXPECT_EQ(kept(0.51f), 1u);
  EXPECT_EQ(kept(1.0f), 1u);
}

TEST(Sampler, LogitBiasCanBanAToken) {
  SamplingParams p = plain(0.0f);
  p.logit_bias = {{1, -std::numeric_limits<float>::infinity()}};
  Sampler s(p, 3);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 5.0f, 2.0f}), 2);
}

TEST(Sampler, SeededDrawsFollowTheDistributionAndRepeat) {
  const std::vector<double> probs = {0.5, 0.3, 0.2};
  const auto logits = logits_of(probs);
  SamplingParams p = plain();
  p.seed = 1234;
  Sampler a(p, 3), b(p, 3);
  std::vector<int> counts(3, 0);
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    std::int32_t t = a.sample(logits);
    ASSERT_EQ(t, b.sample(logits)) << "same seed, draw " << i;
    ++counts[t];
  }
  for (int t = 0; t < 3; ++t) EXPECT_NEAR(counts[t] / static_cast<double>(n), probs[t], 0.02) << "token " << t;

  // Another seed gives another sequence.
  SamplingParams q = plain();
  q.seed = 1234;
  Sampler again(q, 3);
  q.seed = 1235;
  Sampler other(q, 3);
  int same = 0;
  for (int i = 0; i < 200; ++i) same += again.sample(logits) == other.sample(logits);
  EXPECT_LT(same, 200);
}

TEST(Sampler, RejectsInvalidParameters) {
  auto bad = [](auto mutate) {
    SamplingParams p;
    mutate(p);
    return p;
  };
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.top_p = 0.0f; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.top_p = 1.5f; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.min_p = -0.1f; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.temperature = -1.0f; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.temperature = std::nanf(""); }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.repetition_penalty = 0.0f; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.repeat_last_n = -2; }), 10), Error);
  EXPECT_THROW(Sampler(bad([](SamplingParams& p) { p.logit_bias = {{10, 1.0f}}; }), 10), Error);
  Sampler ok(SamplingParams{}, 10);
  EXPECT_THROW(ok.sample(std::vector<float>(9, 0.0f)), Error);
}

TEST(Sampler, DefaultsFromGenerationConfig) {
  GenerationConfig g;
  g.do_sample = true;
  g.temperature = 0.6f;
  g.top_k = 20;
  g.top_p = 0.95f;
  SamplingParams p = SamplingParams::from_generation_config(g);
  EXPECT_EQ(p.temperature, 0.6f);
  EXPECT_EQ(p.top_k, 20);
  EXPECT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.min_p, 0.0f);
  EXPECT_EQ(p.repetition_penalty, 1.0f);
  g.do_sample = false;
  EXPECT_TRUE(SamplingParams::from_generation_config(g).greedy());
}

}  // namespace
}  // namespace hearth
