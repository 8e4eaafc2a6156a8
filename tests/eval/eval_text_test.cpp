// Chunk planning (llama.cpp's scheme) and reading the text to score, with their error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "eval/eval_text.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"
#include "util/error.h"

namespace hearth::eval {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PlanChunks, WholeChunksAndSecondHalfScored) {
  const ChunkPlan p = plan_chunks(/*n_tokens=*/1100, /*ctx=*/512, /*max_chunks=*/0, /*context_length=*/4096);
  EXPECT_EQ(p.ctx, 512);
  EXPECT_EQ(p.n_chunks, 2);  // the 76-token tail is dropped
  EXPECT_EQ(p.first_scored, 256);
  EXPECT_EQ(p.scored_per_chunk(), 255);  // positions 256..510 predict tokens 257..511
  EXPECT_EQ(plan_chunks(1100, 512, 1, 4096).n_chunks, 1);
  EXPECT_EQ(plan_chunks(1100, 512, 9, 4096).n_chunks, 2);
  EXPECT_EQ(plan_chunks(9, 9, 0, 0).scored_per_chunk(), 4);  // odd ctx: first = 4, positions 4..7
}

TEST(PlanChunks, RejectsTooShortTextAndBadContext) {
  EXPECT_THAT(error_of([] { plan_chunks(300, 512, 0, 4096); }),
              HasSubstr("the text is only 300 tokens long; --ctx 512 needs at least 512"));
  EXPECT_THAT(error_of([] { plan_chunks(300, 4, 0, 4096); }), HasSubstr("--ctx must be at least 8"));
  EXPECT_THAT(error_of([] { plan_chunks(10000, 8192, 0, 4096); }),
              HasSubstr("--ctx 8192 exceeds the model's context length of 4096"));
}

class TextFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HEARTH_REQUIRE_SHARED();
    const auto dir = test::shared_dir() / "models" / "qwen3-tiny";
    tokenizer_ = load_tokenizer_json((dir / "tokenizer.json").string(), (dir / "tokenizer_config.json").string());
  }
  std::string write(const std::string& name, const std::string& content) {
    auto path = (tmp_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  test::TempDir tmp_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(TextFileTest, TokenizesSpecialTokenTextAsPlainText) {
  const auto ids = tokenize_text_file(write("t.txt", "Hello world<|im_end|>"), *tokenizer_);
  EXPECT_EQ(ids, tokenizer_->encode("Hello world<|im_end|>", /*parse_special=*/false));
  EXPECT_NE(ids, tokenizer_->encode("Hello world<|im_end|>", /*parse_special=*/true));
}

TEST_F(TextFileTest, RejectsMissingAndEmptyFiles) {
  EXPECT_THAT(error_of([&] { tokenize_text_file((tmp_ / "missing.txt").string(), *tokenizer_); }),
              HasSubstr("cannot open text file"));
  EXPECT_THAT(error_of([&] { tokenize_text_file(write("empty.txt", ""), *tokenizer_); }), HasSubstr("is empty"));
  EXPECT_THAT(error_of([&] { tokenize_text_file(write("blank.txt", " \n\t\n"), *tokenizer_); }), HasSubstr("is empty"));
}

}  // namespace
}  // namespace hearth::eval
