#include "eval/perplexity.h"

#include <chrono>

#include "model/model.h"

namespace hearth::eval {

PerplexityResult compute_perplexity(Model& model, std::span<const TokenId> tokens, TokenId bos,
                                    const PerplexityOptions& options, const PerplexityProgress& progress) {
  PerplexityResult result;
  result.text_tokens = static_cast<std::int64_t>(tokens.size());
  result.plan = plan_chunks(result.text_tokens, options.ctx, options.max_chunks, model.config().context_length);
  const ChunkPlan& plan = result.plan;

  ChunkEvaluator evaluator(model, plan, options.batch_size);
  MeanAccumulator nll;
  Logits logits;
  for (std::int64_t c = 0; c < plan.n_chunks; ++c) {
    const auto start = std::chrono::steady_clock::now();
    evaluator.evaluate(tokens, c, bos, logits);
    const TokenId* chunk = tokens.data() + c * plan.ctx;
    for (std::int64_t r = 0; r < logits.n_rows; ++r)
      nll.add(token_nll(logits.row(r), chunk[plan.first_scored + r + 1]));
    result.tokens_scored = nll.count();
    result.mean_nll = nll.mean();
    result.ppl = perplexity_of(nll);
    if (progress) progress(c, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return result;
}

}  // namespace hearth::eval
