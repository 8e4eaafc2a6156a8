#pragma once
// Perplexity of a model over a token stream, chunked as eval_text.h describes: exp of the mean negative
// log-likelihood of every scored token, with its standard error.
#include <cstdint>
#include <functional>
#include <span>

#include "eval/eval_text.h"
#include "eval/token_scoring.h"

namespace hearth::eval {

using PerplexityOptions = ScoringOptions;

struct PerplexityResult {
  std::int64_t text_tokens = 0;
  ChunkPlan plan;
  std::int64_t tokens_scored = 0;
  double mean_nll = 0;
  Perplexity ppl;
};

// Called after each chunk with the running result (plan.n_chunks chunks in all) and the chunk's seconds.
using PerplexityProgress = std::function<void(std::int64_t chunk, const PerplexityResult& running, double seconds)>;

// `bos` >= 0: the id put at the start of every chunk (the tokenizer's BOS when it adds one), else -1.
// Throws hearth::Error for invalid options or a text too short (see plan_chunks).
PerplexityResult compute_perplexity(Model& model, std::span<const TokenId> tokens, TokenId bos,
                                    const PerplexityOptions& options, const PerplexityProgress& progress = {});

}  // namespace hearth::eval
