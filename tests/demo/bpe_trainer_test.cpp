#include "demo/bpe_trainer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "demo/bigram_weights.h"

namespace hearth::demo {
namespace {

TEST(BpeTrainer, MergesMostFrequentPairsFirst) {
  // "ab" occurs 3 times, then "abc" twice: the first merge is a+b, the second ab+c.
  std::vector<std::string_view> words = {"abc", "abc", "ab", "xy"};
  TrainedBpe bpe = train_bpe(words, 10);
  ASSERT_GE(bpe.merges.size(), 2u);
  EXPECT_EQ(bpe.merges[0], std::make_pair(std::string("a"), std::string("b")));
  EXPECT_EQ(bpe.merges[1], std::make_pair(std::string("ab"), std::string("c")));
  EXPECT_EQ(bpe.vocab.size(), 256 + bpe.merges.size());
  EXPECT_EQ(bpe.vocab[256], "ab");
  // "xy" occurs once: never merged (pairs seen once are not worth a token).
  for (const auto& m : bpe.merges) EXPECT_NE(m.first + m.second, "xy");
}

TEST(BpeTrainer, SpacesUseTheByteLevelAlphabet) {
  std::vector<std::string_view> words = {" a", " a", " a"};
  TrainedBpe bpe = train_bpe(words, 1);
  ASSERT_EQ(bpe.merges.size(), 1u);
  EXPECT_EQ(bpe.merges[0].first, "\xC4\xA0");  // U+0120 stands for the space byte
  EXPECT_EQ(bpe.merges[0].second, "a");
}

TEST(BigramWeights, RowsAreLogProbabilities) {
  // Sequence 0 1 0 1 2: after 0 always 1; after 1: 0 once, 2 once.
  std::vector<std::int32_t> tokens = {0, 1, 0, 1, 2};
  auto logits = bigram_logits(tokens, 3, 0.0f, {});
  auto at = [&](int next, int cur) { return logits[next * 3 + cur]; };
  EXPECT_FLOAT_EQ(at(1, 0), 0.0f);  // log 1
  EXPECT_FLOAT_EQ(at(0, 1), std::log(0.5f));
  EXPECT_FLOAT_EQ(at(2, 1), std::log(0.5f));
  EXPECT_TRUE(std::isinf(at(0, 0)));  // never seen, no smoothing
}

}  // namespace
}  // namespace hearth::demo
