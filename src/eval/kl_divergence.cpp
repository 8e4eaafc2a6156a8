#include "eval/kl_divergence.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "model/model.h"
#include "util/error.h"

namespace hearth::eval {

KldResult compute_kld(Model& model, Model& reference, std::span<const TokenId> tokens, TokenId bos,
                      const KldOptions& options, const KldProgress& progress) {
  require(model.config().vocab_size == reference.config().vocab_size,
          "the models have different vocabularies ({} and {} tokens); KL divergence needs the same one",
          model.config().vocab_size, reference.config().vocab_size);
  KldResult result;
  result.text_tokens = static_cast<std::int64_t>(tokens.size());
  const std::int64_t context_length = std::min(model.config().context_length, reference.config().context_length);
  result.plan = plan_chunks(result.text_tokens, options.ctx, options.max_chunks, context_length);
  const ChunkPlan& plan = result.plan;

  ChunkEvaluator eval_ref(reference, plan, options.batch_size);
  ChunkEvaluator eval_model(model, plan, options.batch_size);
  MeanAccumulator kld, top1, nll_ref, nll_model, nll_diff;
  std::vector<double> klds;
  Logits ref_logits, model_logits;
  for (std::int64_t c = 0; c < plan.n_chunks; ++c) {
    const auto start = std::chrono::steady_clock::now();
    eval_ref.evaluate(tokens, c, bos, ref_logits);
    eval_model.evaluate(tokens, c, bos, model_logits);
    const TokenId* chunk = tokens.data() + c * plan.ctx;
    for (std::int64_t r = 0; r < ref_logits.n_rows; ++r) {
      const PositionComparison p =
          compare_position(ref_logits.row(r), model_logits.row(r), chunk[plan.first_scored + r + 1]);
      kld.add(p.kld);
      klds.push_back(p.kld);
      top1.add(p.same_top1 ? 1.0 : 0.0);
      nll_ref.add(p.nll_ref);
      nll_model.add(p.nll_model);
      nll_diff.add(p.nll_model - p.nll_ref);
    }
    result.tokens_scored = kld.count();
    result.kld_mean = kld.mean();
    result.kld_error = kld.standard_error();
    std::vector<double> sorted = klds;
    result.kld_median = quantile(sorted, 0.5);
    result.kld_p99 = quantile(sorted, 0.99);
    result.kld_max = sorted.back();
    result.top1_agreement = top1.mean();
    result.top1_agreement_error = top1.standard_error();
    result.ppl_reference = perplexity_of(nll_ref);
    result.ppl_model = perplexity_of(nll_model);
    result.ppl_ratio = std::exp(nll_diff.mean());
    result.ppl_ratio_error = result.ppl_ratio * nll_diff.standard_error();
    if (progress) progress(c, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return result;
}

}  // namespace hearth::eval
