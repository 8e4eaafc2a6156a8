#pragma once
// How far a model's next-token distributions are from a reference model's over the same tokens (typically
// a quantized model against its f16/f32 original): mean KL(P_ref || P_model) per scored token, top-1
// agreement, and both perplexities with their ratio. Chunked and scored as eval_text.h describes; the two
// models run chunk by chunk, alternately, so only one chunk's logits of each are held at a time.
#include <cstdint>
#include <functional>
#include <span>

#include "eval/eval_text.h"
#include "eval/token_scoring.h"

namespace hearth::eval {

using KldOptions = ScoringOptions;

struct KldResult {
  std::int64_t text_tokens = 0;
  ChunkPlan plan;
  std::int64_t tokens_scored = 0;
  double kld_mean = 0;
  double kld_error = 0;  // standard error of kld_mean
  double kld_median = 0;
  double kld_p99 = 0;
  double kld_max = 0;
  double top1_agreement = 0;        // fraction in [0, 1]
  double top1_agreement_error = 0;  // sqrt(p (1 - p) / (n - 1))
  Perplexity ppl_reference;
  Perplexity ppl_model;
  // PPL(model) / PPL(reference) = exp(mean(nll_model - nll_ref)); error from the paired differences.
  double ppl_ratio = 0;
  double ppl_ratio_error = 0;
};

using KldProgress = std::function<void(std::int64_t chunk, const KldResult& running, double seconds)>;

// Both models must have the same vocabulary size (hearth::Error otherwise); `tokens` are ids of the shared
// vocabulary and `bos` as in compute_perplexity.
KldResult compute_kld(Model& model, Model& reference, std::span<const TokenId> tokens, TokenId bos,
                      const KldOptions& options, const KldProgress& progress = {});

}  // namespace hearth::eval
