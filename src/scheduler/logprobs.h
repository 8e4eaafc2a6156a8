#pragma once
// Log-probabilities for the API's `logprobs` / `top_logprobs`: log-softmax of the model's raw logits row
// (before penalties, temperature and filters, as OpenAI and vLLM report them).
#include <cstdint>
#include <span>

#include "server/engine_interface.h"
#include "tokenizer/tokenizer.h"

namespace hearth::scheduler {

// The chosen token's log-probability and the `top_n` most likely tokens (most likely first; ties: lower id
// first), each with its raw bytes as text.
server::TokenLogprob token_logprob(std::span<const float> logits, std::int32_t chosen, int top_n,
                                   const Tokenizer& tokenizer);

}  // namespace hearth::scheduler
