// The generation loop on a real tiny model: greedy output equals transformers' generate(), and stop
// tokens, max_tokens, cancellation, the context limit and seeds behave as documented.
#include "engine/generator.h"

#include <gtest/gtest.h>

#include <memory>

#include "backend/cpu/cpu_backend.h"
#include "format/model_files.h"
#include "format/weight_store.h"
#include "model/model.h"
#include "reference_data.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::test {
namespace {

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(shared_dir() / "models")) GTEST_SKIP() << "shared reference data not found";
    ref_ = std::make_unique<Reference>(load_reference(shared_dir() / "reference", "qwen3-tiny"));
    files_ = std::make_unique<ModelFiles>(open_model_files((shared_dir() / "models" / "qwen3-tiny").string()));
    backend_ = std::make_unique<cpu::CpuBackend>();
    model_ = load_model(*files_, *backend_);
  }

  GenerationOptions greedy(std::int64_t max_tokens) const {
    GenerationOptions o;
    o.max_tokens = max_tokens;
    o.sampling.temperature = 0.0f;
    o.stop_tokens = stop_token_ids(files_->generation, {});
    return o;
  }

  std::unique_ptr<Reference> ref_;
  std::unique_ptr<ModelFiles> files_;
  std::unique_ptr<cpu::CpuBackend> backend_;
  std::unique_ptr<Model> model_;
};

TEST_F(GeneratorTest, GreedyMatchesTransformersGenerate) {
  Generator gen(*model_);
  for (const auto& p : ref_->prompts) {
    SCOPED_TRACE(p.name);
    std::vector<std::int32_t> streamed;
    GenerationResult r = gen.generate(p.ids, greedy(static_cast<std::int64_t>(p.greedy.size())), [&](std::int32_t t) {
      streamed.push_back(t);
      return true;
    });
    EXPECT_EQ(r.tokens, p.greedy);
    EXPECT_EQ(streamed, r.tokens);
    EXPECT_EQ(r.finish_reason, FinishReason::Length);
    EXPECT_EQ(r.prompt_tokens, static_cast<std::int64_t>(p.ids.size()));
  }
}

TEST_F(GeneratorTest, StopsAtAStopTokenWithoutEmittingIt) {
  const auto& p = ref_->prompts.front();
  GenerationOptions o = greedy(24);
  o.stop_tokens.push_back(p.greedy[5]);
  GenerationResult r = Generator(*model_).generate(p.ids, o);
  EXPECT_EQ(r.finish_reason, FinishReason::Stop);
  ASSERT_TRUE(r.stop_token.has_value());
  EXPECT_EQ(*r.stop_token, p.greedy[5]);
  // The stop token may already occur earlier in the continuation.
  std::size_t first = std::find(p.greedy.begin(), p.greedy.end(), p.greedy[5]) - p.greedy.begin();
  EXPECT_EQ(r.tokens, std::vector<std::int32_t>(p.greedy.begin(), p.greedy.begin() + first));
}

TEST_F(GeneratorTest, MaxTokensAndCancellation) {
  const auto& p = ref_->prompts.front();
  Generator gen(*model_);
  EXPECT_TRUE(gen.generate(p.ids, greedy(0)).tokens.empty());
  GenerationResult r = gen.generate(p.ids, greedy(-1), [n = 0](std::int32_t) mutable { return ++n < 3; });
  EXPECT_EQ(r.finish_reason, FinishReason::Cancelled);
  EXPECT_EQ(r.tokens, std::vector<std::int32_t>(p.greedy.begin(), p.greedy.begin() + 3));
}

TEST_F(GeneratorTest, StopsAtTheContextLength) {
  ModelConfig short_context = model_->config();
  short_context.context_length = 40;  // the same weights with a shorter context: prompt 37 + 3 tokens
  auto model = load_model(short_context, *files_->weights, *backend_);
  const auto& p = ref_->prompts[6];  // chat-multi-turn, 37 tokens
  ASSERT_EQ(p.ids.size(), 37u);
  GenerationResult r = Generator(*model).generate(p.ids, greedy(100));
  EXPECT_EQ(r.finish_reason, FinishReason::Length);
  EXPECT_EQ(r.tokens, std::vector<std::int32_t>(p.greedy.begin(), p.greedy.begin() + 3));
  EXPECT_THROW(Generator(*model).generate(std::vector<std::int32_t>(40, 1), greedy(1)), Error);
}

TEST_F(GeneratorTest, RejectsEmptyAndOverlongPrompts) {
  Generator gen(*model_);
  try {
    gen.generate(std::vector<std::int32_t>{}, greedy(4));
    FAIL() << "empty prompt accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  std::vector<std::int32_t> long_prompt(static_cast<std::size_t>(model_->config().context_length + 1), 1);
  try {
    gen.generate(long_prompt, greedy(4));
    FAIL() << "overlong prompt accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("context length"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gen.generate(std::vector<std::int32_t>{1, -5}, greedy(4)), Error);
}

TEST_F(GeneratorTest, SeededSamplingIsReproducible) {
  const auto& p = ref_->prompts.front();
  GenerationOptions o = greedy(16);
  o.sampling = SamplingParams::from_generation_config(files_->generation);  // temperature 0.6, top-k 20, top-p 0.95
  o.sampling.seed = 42;
  Generator gen(*model_);
  auto a = gen.generate(p.ids, o).tokens;
  auto b = gen.generate(p.ids, o).tokens;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 16u);
  o.sampling.seed = 43;
  EXPECT_NE(gen.generate(p.ids, o).tokens, a);
}

TEST(StopTokenIds, MergesGenerationConfigAndTokenizerIds) {
  GenerationConfig g;
  g.eos_token_ids = {151645, 151643};
  std::vector<std::int32_t> extra = {151643, 151644};
  EXPECT_EQ(stop_token_ids(g, extra), (std::vector<std::int32_t>{151645, 151643, 151644}));
}

}  // namespace
}  // namespace hearth::test
