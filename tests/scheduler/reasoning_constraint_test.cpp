// ReasoningFirstConstraint: the open tag first, free reasoning that cannot end the output, the close tag forced
// at the budget, then the wrapped constraint.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "scheduler/reasoning_constraint.h"

namespace hearth::scheduler {
namespace {

constexpr std::int32_t kOpen = 7, kClose = 8, kEos = 9, kVocab = 12;

// The "answer" constraint: only token 3 is allowed; records what it was told.
struct OnlyThree final : LogitsConstraint {
  std::vector<std::int32_t>* accepted;
  explicit OnlyThree(std::vector<std::int32_t>* a) : accepted(a) {}
  void mask(std::span<float> logits) override {
    for (std::size_t i = 0; i < logits.size(); ++i)
      if (i != 3) logits[i] = -INFINITY;
  }
  void accept(std::int32_t token) override { accepted->push_back(token); }
  bool complete() const override { return !accepted->empty(); }
};

std::vector<std::int32_t> allowed(LogitsConstraint& c) {
  std::vector<float> logits(kVocab, 0.5f);
  c.mask(logits);
  std::vector<std::int32_t> ids;
  for (std::int32_t i = 0; i < kVocab; ++i)
    if (std::isfinite(logits[static_cast<std::size_t>(i)])) ids.push_back(i);
  return ids;
}

server::OutputConstraint::Reasoning reasoning(std::optional<std::int32_t> open, int budget) {
  server::OutputConstraint::Reasoning r;
  r.open = open;
  r.close = kClose;
  r.max_tokens = budget;
  return r;
}

TEST(ReasoningFirstConstraint, OpenTagThenFreeReasoningThenTheAnswerConstraint) {
  std::vector<std::int32_t> answer_tokens;
  ReasoningFirstConstraint c(reasoning(kOpen, 100), {kEos}, std::make_unique<OnlyThree>(&answer_tokens));
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kOpen});
  c.accept(kOpen);
  // Inside the block anything goes except ending the output.
  std::vector<std::int32_t> all_but_eos;
  for (std::int32_t i = 0; i < kVocab; ++i)
    if (i != kEos) all_but_eos.push_back(i);
  EXPECT_EQ(allowed(c), all_but_eos);
  c.accept(1);
  c.accept(2);
  EXPECT_FALSE(c.in_answer());
  c.accept(kClose);
  EXPECT_TRUE(c.in_answer());
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{3});
  c.accept(3);
  EXPECT_EQ(answer_tokens, std::vector<std::int32_t>{3});  // the tags and the reasoning never reach it
}

TEST(ReasoningFirstConstraint, TheBudgetForcesTheCloseTag) {
  std::vector<std::int32_t> answer_tokens;
  // The prompt opened the block: no open tag; 4 tokens in all, the close tag included.
  ReasoningFirstConstraint c(reasoning(std::nullopt, 4), {kEos}, std::make_unique<OnlyThree>(&answer_tokens));
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(allowed(c).size(), 1u);
    c.accept(1);
  }
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kClose});
  c.accept(kClose);
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{3});
}

TEST(ReasoningFirstConstraint, ATagTheModelRulesOutIsStillForced) {
  std::vector<std::int32_t> answer_tokens;
  ReasoningFirstConstraint c(reasoning(kOpen, 2), {}, std::make_unique<OnlyThree>(&answer_tokens));
  std::vector<float> logits(kVocab, 0.0f);
  logits[kOpen] = -INFINITY;
  c.mask(logits);
  EXPECT_TRUE(std::isfinite(logits[kOpen]));
  c.accept(kOpen);
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kClose});  // budget 2: just the tags
}

TEST(ReasoningFirstConstraint, DefaultBudgetIsHalfOfMaxTokens) {
  EXPECT_EQ(default_reasoning_budget(100), 50);
  EXPECT_EQ(default_reasoning_budget(3), 2);
  EXPECT_EQ(default_reasoning_budget(1), 2);
}

}  // namespace
}  // namespace hearth::scheduler
