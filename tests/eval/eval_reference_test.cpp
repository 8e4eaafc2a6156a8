// Chunk evaluation, perplexity and KL divergence on the shared tiny models: the rows the evaluator keeps
// against transformers' logits (shared/reference), and the aggregate numbers against the test's own
// log-softmax over a plain forward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "format/model_files.h"
#include "independent_scoring.h"
#include "model/model.h"
#include "model_sources.h"
#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

constexpr std::size_t kLongPrompt = 3;  // "long-zh": 498 ids

eval::KldOptions kld_options(std::int64_t ctx, std::int64_t chunks) {
  eval::KldOptions o;
  o.ctx = ctx;
  o.max_chunks = chunks;
  return o;
}

struct Loaded {
  ModelFiles files;
  std::unique_ptr<Model> model;
};

Loaded load(const std::filesystem::path& path, Backend& backend) {
  Loaded l;
  l.files = open_model_files(path.string());
  l.model = load_model(l.files, backend);
  return l;
}

TEST(ChunkEvaluator, KeepsTheScoredPositionsLogits) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-tiny");
  const ReferencePrompt& prompt = ref.prompts[kLongPrompt];
  ASSERT_EQ(prompt.name, "long-zh");
  cpu::CpuBackend backend(2);
  Loaded m = load(hf_model_dir("qwen3moe-tiny"), backend);

  // One chunk: the prompt plus the reference's first greedy token, whose NLL the last row gives.
  std::vector<std::int32_t> tokens = prompt.ids;
  tokens.push_back(prompt.greedy[0]);
  const auto n = static_cast<std::int64_t>(tokens.size());
  const eval::ChunkPlan plan = eval::plan_chunks(n, n, 0, m.model->config().context_length);
  ASSERT_EQ(plan.n_chunks, 1);
  eval::ChunkEvaluator evaluator(*m.model, plan, /*batch_size=*/100);  // several passes per chunk
  Logits logits;
  evaluator.evaluate(tokens, 0, /*bos=*/-1, logits);
  ASSERT_EQ(logits.n_rows, plan.scored_per_chunk());
  for (std::int64_t r = 0; r < logits.n_rows; ++r) {
    const auto pos = static_cast<std::size_t>(plan.first_scored + r);
    EXPECT_EQ(check_topk(logits.row(r), prompt.topk_ids[pos], prompt.topk_logits[pos], kF32Tolerance), "")
        << "position " << pos;
  }
  const auto last = logits.row(logits.n_rows - 1);
  EXPECT_LT(relative_error(last, ref.last(kLongPrompt)), kF32Tolerance);

  const auto ref_row = ref.last(kLongPrompt);
  const auto ref_log_probs = log_softmax(std::vector<float>(ref_row.begin(), ref_row.end()));
  const double ref_nll = -static_cast<double>(ref_log_probs[static_cast<std::size_t>(prompt.greedy[0])]);
  EXPECT_NEAR(eval::token_nll(last, prompt.greedy[0]), ref_nll, 1e-3);
}

TEST(Perplexity, MatchesAnIndependentComputation) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3-tiny");
  const std::vector<std::int32_t>& tokens = ref.prompts[kLongPrompt].ids;  // 498 ids: 3 chunks of 160
  cpu::CpuBackend backend(2);
  Loaded m = load(converted_gguf("qwen3-tiny", DType::F32), backend);

  eval::PerplexityOptions options;
  options.ctx = 160;
  options.batch_size = 64;
  std::vector<double> running;
  const eval::PerplexityResult r = eval::compute_perplexity(
      *m.model, tokens, -1, options,
      [&](std::int64_t, const eval::PerplexityResult& p, double) { running.push_back(p.ppl.value); });
  ASSERT_EQ(r.plan.n_chunks, 3);
  EXPECT_EQ(r.tokens_scored, 3 * 79);
  EXPECT_EQ(running.size(), 3u);

  long double sum = 0, sum_sq = 0;
  int count = 0;
  for (std::int64_t c = 0; c < 3; ++c) {
    const auto rows = chunk_logits(*m.model, tokens, c, 160);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::int32_t target = tokens[static_cast<std::size_t>(c * 160 + 80 + static_cast<std::int64_t>(r) + 1)];
      const long double nll = -log_softmax(rows[r])[static_cast<std::size_t>(target)];
      sum += nll;
      sum_sq += nll * nll;
      ++count;
    }
    if (c == 0) {
      EXPECT_NEAR(running[0], std::exp(static_cast<double>(sum / count)), 1e-9 * running[0]);
    }
  }
  const double mean = static_cast<double>(sum / count);
  const double sample_var = static_cast<double>((sum_sq - sum * sum / count) / (count - 1));
  EXPECT_NEAR(r.mean_nll, mean, 1e-9);
  EXPECT_NEAR(r.ppl.value, std::exp(mean), 1e-9 * std::exp(mean));
  EXPECT_NEAR(r.ppl.error, std::exp(mean) * std::sqrt(sample_var / count), 1e-6 * r.ppl.error);
}

TEST(KlDivergence, OfAModelWithItselfIsZero) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-tiny");
  cpu::CpuBackend backend(2);
  Loaded a = load(converted_gguf("qwen3moe-tiny", DType::F32), backend);
  Loaded b = load(converted_gguf("qwen3moe-tiny", DType::F32), backend);
  const eval::KldResult r =
      eval::compute_kld(*a.model, *b.model, ref.prompts[kLongPrompt].ids, -1, kld_options(128, 2));
  EXPECT_EQ(r.tokens_scored, 2 * 63);
  EXPECT_EQ(r.kld_mean, 0.0);
  EXPECT_EQ(r.kld_max, 0.0);
  EXPECT_EQ(r.top1_agreement, 1.0);
  EXPECT_EQ(r.ppl_ratio, 1.0);
  EXPECT_EQ(r.ppl_model.value, r.ppl_reference.value);
}

TEST(KlDivergence, F16AgainstF32IsSmallButPositiveAndMatchesAnIndependentComputation) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-tiny");
  const std::vector<std::int32_t>& tokens = ref.prompts[kLongPrompt].ids;
  cpu::CpuBackend backend(2);
  Loaded f32 = load(converted_gguf("qwen3moe-tiny", DType::F32), backend);
  Loaded f16 = load(converted_gguf("qwen3moe-tiny", DType::F16), backend);
  const eval::KldResult r = eval::compute_kld(*f16.model, *f32.model, tokens, -1, kld_options(128, 2));

  long double kld_sum = 0, diff_sum = 0;
  int same = 0, count = 0;
  for (std::int64_t c = 0; c < 2; ++c) {
    const auto p_rows = chunk_logits(*f32.model, tokens, c, 128);
    const auto q_rows = chunk_logits(*f16.model, tokens, c, 128);
    for (std::size_t r = 0; r < p_rows.size(); ++r) {
      const auto lp = log_softmax(p_rows[r]);
      const auto lq = log_softmax(q_rows[r]);
      long double kld = 0;
      std::size_t best_p = 0, best_q = 0;
      for (std::size_t i = 0; i < lp.size(); ++i) {
        kld += std::exp(lp[i]) * (lp[i] - lq[i]);
        if (lp[i] > lp[best_p]) best_p = i;
        if (lq[i] > lq[best_q]) best_q = i;
      }
      const auto target = static_cast<std::size_t>(tokens[static_cast<std::size_t>(c * 128 + 64) + r + 1]);
      kld_sum += kld;
      diff_sum += lp[target] - lq[target];  // nll_model - nll_ref
      same += best_p == best_q;
      ++count;
    }
  }
  ASSERT_EQ(r.tokens_scored, count);
  const double kld_mean = static_cast<double>(kld_sum / count);
  EXPECT_NEAR(r.kld_mean, kld_mean, 1e-6 * kld_mean + 1e-12);
  EXPECT_DOUBLE_EQ(r.top1_agreement, static_cast<double>(same) / count);
  EXPECT_NEAR(r.ppl_ratio, std::exp(static_cast<double>(diff_sum / count)), 1e-9);
  // f16 rounds the bf16 weights only slightly: measurable, but far below any quantization's divergence.
  EXPECT_GT(r.kld_mean, 0.0);
  EXPECT_LT(r.kld_mean, 1e-3);
  EXPECT_GE(r.top1_agreement, 0.95);
  EXPECT_LE(r.kld_median, r.kld_p99);
  EXPECT_LE(r.kld_p99, r.kld_max);
}

}  // namespace
}  // namespace hearth::test
