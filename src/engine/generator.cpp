#include "engine/generator.h"

#include <algorithm>
#include <chrono>

#include "util/error.h"

namespace hearth {
namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop:
      return "stop";
    case FinishReason::Length:
      return "length";
    case FinishReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

GenerationResult Generator::generate(std::span<const std::int32_t> prompt, const GenerationOptions& options,
                                     const TokenCallback& on_token) {
  const ModelConfig& config = model_.config();
  const std::int64_t n_prompt = static_cast<std::int64_t>(prompt.size());
  require(n_prompt > 0, "the prompt is empty");
  require(config.context_length <= 0 || n_prompt < config.context_length,
          "the prompt has {} tokens, which does not fit the model's context length of {} tokens", n_prompt,
          config.context_length);
  for (std::int32_t t : prompt)
    require(t >= 0 && t < config.vocab_size, "prompt token id {} is outside the vocabulary (0..{})", t,
            config.vocab_size - 1);
  Sampler sampler(options.sampling, config.vocab_size);

  GenerationResult result;
  result.prompt_tokens = n_prompt;
  const std::int64_t room = config.context_length > 0 ? config.context_length - n_prompt : INT32_MAX;
  const std::int64_t n_max = options.max_tokens < 0 ? room : std::min(options.max_tokens, room);
  if (n_max == 0) return result;

  // The last generated token is never fed back, so the cache holds n_prompt + n_max - 1 tokens.
  auto cache = model_.create_kv_cache(n_prompt + n_max, 16, options.kv_cache_type);
  const SeqId seq = 0;
  cache->add_sequence(seq);
  sampler.accept_prompt(prompt);

  auto t0 = std::chrono::steady_clock::now();
  const std::int64_t chunk = options.prefill_chunk > 0 ? options.prefill_chunk : n_prompt;
  Batch batch;
  Logits logits;
  for (std::int64_t begin = 0; begin < n_prompt; begin += chunk) {
    const std::int64_t end = std::min(n_prompt, begin + chunk);
    batch.clear();
    for (std::int64_t t = begin; t < end; ++t)
      batch.add(prompt[t], seq, static_cast<std::int32_t>(t), t + 1 == n_prompt);
    model_.forward(batch, *cache, logits);
  }
  result.prefill_seconds = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  for (;;) {
    const std::int32_t token = sampler.sample(logits.row(0));
    if (std::find(options.stop_tokens.begin(), options.stop_tokens.end(), token) != options.stop_tokens.end()) {
      result.finish_reason = FinishReason::Stop;
      result.stop_token = token;
      break;
    }
    result.tokens.push_back(token);
    sampler.accept(token);
    if (on_token && !on_token(token)) {
      result.finish_reason = FinishReason::Cancelled;
      break;
    }
    if (static_cast<std::int64_t>(result.tokens.size()) >= n_max) {
      result.finish_reason = FinishReason::Length;
      break;
    }
    batch.clear();
    batch.add(token, seq, static_cast<std::int32_t>(n_prompt + static_cast<std::int64_t>(result.tokens.size()) - 1),
              true);
    model_.forward(batch, *cache, logits);
  }
  result.decode_seconds = seconds_since(t0);
  return result;
}

std::vector<std::int32_t> stop_token_ids(const GenerationConfig& generation, std::span<const std::int32_t> extra) {
  std::vector<std::int32_t> out;
  auto add = [&](std::int64_t id) {
    if (id < 0 || id > INT32_MAX) return;
    if (std::find(out.begin(), out.end(), static_cast<std::int32_t>(id)) == out.end())
      out.push_back(static_cast<std::int32_t>(id));
  };
  for (std::int64_t id : generation.eos_token_ids) add(id);
  for (std::int32_t id : extra) add(id);
  return out;
}

}  // namespace hearth
