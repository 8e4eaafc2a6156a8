#pragma once
// Token sampling from one row of logits.
//
// Pipeline (each step sees the previous step's output):
//   1. logit_bias           logit[id] += bias                                         (OpenAI)
//   2. repetition_penalty   for each distinct token among the last `repeat_last_n` tokens of the history
//                           (prompt and generated): logit /= penalty if logit > 0, else logit *= penalty
//                                                                                (llama.cpp / transformers)
//   3. presence/frequency   logit -= frequency_penalty * count + presence_penalty * (count > 0), where count
//                           is how often the token was generated so far (prompt tokens do not count)
//                                                                                          (OpenAI / vLLM)
//   4. temperature <= 0     greedy: the largest logit (ties: the lowest id); steps 5-8 are skipped
//   5. temperature          logit /= temperature; probabilities = softmax
//   6. top_k > 0            keep the k most probable tokens (exactly k; ties: lower id first)
//   7. top_p < 1            keep the most probable tokens, in descending order, until their probability
//                           (renormalised after step 6) reaches top_p; the token that reaches it is kept
//   8. min_p > 0            drop tokens whose probability is below min_p * the largest probability
//   then one draw from the renormalised survivors with the sampler's RNG.
// This is transformers' warper order (temperature, top-k, top-p, min-p), which the default parameters in
// generation_config.json are tuned for.
//
// Determinism: the RNG is std::mt19937_64 seeded with `seed` (random when unset), and every step is
// deterministic, so a seed reproduces the same tokens for the same logits on every platform.
// Thread safety: a Sampler belongs to one sequence; distinct Samplers may run concurrently.
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "format/model_config.h"

namespace hearth {

struct SamplingParams {
  float temperature = 1.0f;         // <= 0: greedy
  std::int32_t top_k = 0;           // <= 0: off
  float top_p = 1.0f;               // (0, 1]; 1: off
  float min_p = 0.0f;               // [0, 1]; 0: off
  float repetition_penalty = 1.0f;  // > 0; 1: off
  std::int32_t repeat_last_n = 64;  // window of the repetition penalty: -1 the whole history, 0 off
  float presence_penalty = 0.0f;    // OpenAI: [-2, 2] typical
  float frequency_penalty = 0.0f;
  std::vector<std::pair<std::int32_t, float>> logit_bias;
  std::optional<std::uint64_t> seed;

  bool greedy() const { return temperature <= 0.0f; }
  // Throws hearth::Error naming the first invalid field (NaN, top_p outside (0, 1], ...).
  void validate() const;

  // The model's defaults: greedy when do_sample is false, else its temperature / top_k / top_p / min_p /
  // repetition_penalty (each falling back to the neutral value above when absent).
  static SamplingParams from_generation_config(const GenerationConfig& config);
};

struct TokenProb {
  std::int32_t token;
  float prob;
};

class Sampler {
 public:
  // Validates params (and logit_bias ids against vocab_size); throws hearth::Error.
  Sampler(const SamplingParams& params, std::int64_t vocab_size);

  const SamplingParams& params() const { return params_; }

  // History the penalties look at: the prompt (repetition penalty only), then each generated token.
  void accept_prompt(std::span<const std::int32_t> tokens);
  void accept(std::int32_t token);
  void reset();

  // Draws the next token for `logits` (vocab_size values). Does not accept it.
  std::int32_t sample(std::span<const float> logits);
  // The distribution sample() draws from: the surviving tokens with renormalised probabilities,
  // most probable first (ties: lower id first). Greedy: the argmax with probability 1.
  std::vector<TokenProb> distribution(std::span<const float> logits);

 private:
  // Steps 1-3 into work_; returns false when no logit is finite.
  bool penalised_logits(std::span<const float> logits);
  std::int32_t argmax_work() const;
  // Steps 5-8 into cand_ (sorted when `sorted` or when a filter needs order); returns the probability sum.
  double filter(bool sorted);
  double next_uniform();

  SamplingParams params_;
  std::int64_t vocab_size_;
  std::mt19937_64 rng_;
  std::vector<std::int32_t> history_;  // prompt then generated tokens
  std::size_t n_prompt_ = 0;
  std::unordered_map<std::int32_t, std::int32_t> generated_counts_;
  std::vector<float> work_;
  std::vector<TokenProb> cand_;
};

}  // namespace hearth
