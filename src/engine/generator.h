#pragma once
// Single-sequence text generation: prefill the prompt, then decode one token per forward pass with the KV
// cache until an end-of-generation token, max_tokens, or the context length. The HTTP server drives
// Model / KvCache / Sampler directly through its continuous-batching scheduler; this is the simple
// loop that `hearth run` (and tests) use.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "engine/sampler.h"
#include "model/model.h"

namespace hearth {

struct GenerationOptions {
  std::int64_t max_tokens = -1;  // < 0: until the context is full
  SamplingParams sampling;
  // Tokens that end generation (not emitted): see stop_token_ids().
  std::vector<std::int32_t> stop_tokens;
  // Prompt tokens per forward pass; a longer prompt is prefilled in chunks (same logits, bounded memory).
  std::int64_t prefill_chunk = 4096;
  // Element type of the KV cache: F16 (half the memory; what hearth serve and llama.cpp use by default) or F32.
  DType kv_cache_type = DType::F16;
};

enum class FinishReason { Stop, Length, Cancelled };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "cancelled"

struct GenerationResult {
  std::vector<std::int32_t> tokens;  // generated tokens, without the stop token
  FinishReason finish_reason = FinishReason::Length;
  std::optional<std::int32_t> stop_token;  // the token that ended generation (FinishReason::Stop)
  std::int64_t prompt_tokens = 0;
  double prefill_seconds = 0;  // prompt forward pass(es) up to the first token's logits
  double decode_seconds = 0;   // the forward passes after the first token
};

// Called with each generated token as soon as it is sampled; return false to stop (Cancelled).
using TokenCallback = std::function<bool(std::int32_t token)>;

class Generator {
 public:
  explicit Generator(Model& model) : model_(model) {}

  // Throws hearth::Error for an empty prompt, a prompt that leaves no room in the model's context
  // (prompt length >= context length), or invalid sampling parameters.
  GenerationResult generate(std::span<const std::int32_t> prompt, const GenerationOptions& options,
                            const TokenCallback& on_token = {});

 private:
  Model& model_;
};

// The ids that end generation: generation_config's eos_token_ids plus `extra` (e.g. the tokenizer's
// end-of-turn tokens such as <|im_end|>), without duplicates, in that order.
std::vector<std::int32_t> stop_token_ids(const GenerationConfig& generation, std::span<const std::int32_t> extra);

}  // namespace hearth
