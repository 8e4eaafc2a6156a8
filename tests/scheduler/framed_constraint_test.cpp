// FramedConstraint: forced opening tokens, the body's constraint, the close tag only once the body is
// complete, then only the end of generation.
#include "scheduler/framed_constraint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <list>
#include <vector>

namespace hearth::scheduler::framed_test {  // own namespace: the unity build joins test files
namespace {

constexpr std::int32_t kOpenTag = 7, kNewline = 5, kCloseTag = 8, kEos = 9, kVocab = 12;

// The body: tokens 3 and 4 only; complete after two tokens. Records what it was told.
struct TwoTokens final : LogitsConstraint {
  std::vector<std::int32_t>* accepted;
  explicit TwoTokens(std::vector<std::int32_t>* a) : accepted(a) {}
  void mask(std::span<float> logits) override {
    for (std::size_t i = 0; i < logits.size(); ++i)
      if (i != 3 && i != 4 && !(complete() && static_cast<std::int32_t>(i) == kEos)) logits[i] = -INFINITY;
  }
  void accept(std::int32_t token) override { accepted->push_back(token); }
  bool complete() const override { return accepted->size() >= 2; }
};

std::vector<std::int32_t> allowed(LogitsConstraint& c, std::vector<float> logits = std::vector<float>(kVocab, 0.5f)) {
  c.mask(logits);
  std::vector<std::int32_t> ids;
  for (std::int32_t i = 0; i < kVocab; ++i)
    if (std::isfinite(logits[static_cast<std::size_t>(i)])) ids.push_back(i);
  return ids;
}

server::OutputConstraint::Frame frame(std::vector<std::int32_t> open = {kOpenTag, kNewline}) {
  server::OutputConstraint::Frame f;
  f.open = std::move(open);
  f.close = kCloseTag;
  return f;
}

TEST(FramedConstraint, ForcesTheOpeningThenTheBodyThenTheCloseTagThenTheEnd) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame(), {kEos}, std::make_unique<TwoTokens>(&body));
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kOpenTag});
  c.accept(kOpenTag);
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kNewline});
  c.accept(kNewline);
  // Body incomplete: neither the close tag nor the end of generation.
  EXPECT_EQ(allowed(c), (std::vector<std::int32_t>{3, 4}));
  c.accept(3);
  c.accept(4);
  EXPECT_FALSE(c.complete());
  // Body complete: the close tag joins what the body allows, the end of generation still may not come.
  EXPECT_EQ(allowed(c), (std::vector<std::int32_t>{3, 4, kCloseTag}));
  c.accept(kCloseTag);
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kEos});
  EXPECT_EQ(body, (std::vector<std::int32_t>{3, 4}));  // the frame's tokens never reach the body
}

TEST(FramedConstraint, TheCloseTagKeepsTheModelsLogit) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame({}), {kEos}, std::make_unique<TwoTokens>(&body));
  c.accept(3);
  c.accept(3);
  std::vector<float> logits(kVocab, 0.0f);
  logits[kCloseTag] = 2.5f;
  c.mask(logits);
  EXPECT_EQ(logits[kCloseTag], 2.5f);
  // A tag the model ruled out is still possible (the output must be able to end).
  std::fill(logits.begin(), logits.end(), 0.0f);
  logits[kCloseTag] = -INFINITY;
  c.mask(logits);
  EXPECT_TRUE(std::isfinite(logits[kCloseTag]));
}

TEST(FramedConstraint, AnOpeningTokenOtherThanTheForcedOneIsAnEngineBug) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame(), {kEos}, std::make_unique<TwoTokens>(&body));
  EXPECT_ANY_THROW(c.accept(3));
}

TEST(FramedConstraint, ClosingAnIncompleteBodyIsAnEngineBug) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame({}), {kEos}, std::make_unique<TwoTokens>(&body));
  c.accept(3);
  EXPECT_ANY_THROW(c.accept(kCloseTag));
}

TEST(FramedConstraint, WithoutEndersNothingIsForcedAfterTheCloseTag) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame({}), {}, std::make_unique<TwoTokens>(&body));
  c.accept(3);
  c.accept(4);
  c.accept(kCloseTag);
  EXPECT_EQ(allowed(c).size(), static_cast<std::size_t>(kVocab));
}

// parallel_tool_calls: after the close tag, the end or another call, the model choosing between them.
server::OutputConstraint::Frame repeating_frame() {
  server::OutputConstraint::Frame f = frame();
  f.repeat = true;
  f.between = {kNewline};
  return f;
}

TEST(FramedConstraint, ARepeatingFrameOffersAnotherCallWithAFreshBodyOrTheEnd) {
  std::list<std::vector<std::int32_t>> bodies;  // what each body was told (stable addresses)
  auto make_body = [&] { return std::make_unique<TwoTokens>(&bodies.emplace_back()); };
  FramedConstraint c(repeating_frame(), {kEos}, make_body(), make_body);
  for (std::int32_t t : {kOpenTag, kNewline, 3, 4, kCloseTag}) c.accept(t);
  EXPECT_TRUE(c.complete());
  // The end, or the newline that starts the next call; each keeps the model's logit.
  std::vector<float> logits(kVocab, 0.5f);
  logits[kNewline] = 1.5f;
  logits[kEos] = 2.5f;
  EXPECT_EQ(allowed(c, logits), (std::vector<std::int32_t>{kNewline, kEos}));
  c.mask(logits);
  EXPECT_EQ(logits[kNewline], 1.5f);
  EXPECT_EQ(logits[kEos], 2.5f);

  c.accept(kNewline);
  EXPECT_FALSE(c.complete());  // mid-tag: the output may not end here
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kOpenTag});
  c.accept(kOpenTag);
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kNewline});
  c.accept(kNewline);
  ASSERT_EQ(bodies.size(), 2u);  // a new document, not the finished one
  EXPECT_EQ(allowed(c), (std::vector<std::int32_t>{3, 4}));
  c.accept(4);
  c.accept(4);
  c.accept(kCloseTag);
  EXPECT_TRUE(c.complete());
  EXPECT_EQ(bodies.front(), (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(bodies.back(), (std::vector<std::int32_t>{4, 4}));
}

TEST(FramedConstraint, WithoutRepeatOnlyTheEndFollowsTheCloseTag) {
  std::vector<std::int32_t> body;
  FramedConstraint c(frame(), {kEos}, std::make_unique<TwoTokens>(&body));
  for (std::int32_t t : {kOpenTag, kNewline, 3, 4, kCloseTag}) c.accept(t);
  EXPECT_EQ(allowed(c), std::vector<std::int32_t>{kEos});
}

TEST(FramedConstraint, ARepeatingFrameNeedsABodyFactory) {
  std::vector<std::int32_t> body;
  EXPECT_ANY_THROW(FramedConstraint(repeating_frame(), {kEos}, std::make_unique<TwoTokens>(&body)));
}

TEST(FramedConstraint, ARepeatingFrameWithoutEndersConstrainsNothingAfterTheCloseTag) {
  std::vector<std::int32_t> body;
  int made = 0;
  FramedConstraint c(repeating_frame(), {}, std::make_unique<TwoTokens>(&body), [&] {
    ++made;
    return std::make_unique<TwoTokens>(&body);
  });
  for (std::int32_t t : {kOpenTag, kNewline, 3, 4, kCloseTag, kNewline, kOpenTag}) c.accept(t);
  EXPECT_EQ(allowed(c).size(), static_cast<std::size_t>(kVocab));
  EXPECT_EQ(made, 0);
}

}  // namespace
}  // namespace hearth::scheduler::framed_test
