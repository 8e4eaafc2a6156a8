#pragma once
// One request inside the engine: its tokens (prompt, then generated), how many of them have K/V in the
// cache, its sampler, and the streaming state that turns sampled tokens into GenerationEvents (UTF-8-safe
// detokenization, stop strings, stop tokens, max_tokens, log-probabilities).
//
// Scheduling works on `tokens` and `n_computed` only ("computed tokens catch up with known tokens"): a
// new request, a partially prefilled one and one re-queued after preemption all need
// tokens[n_computed..] run through the model, and the logits of the last one give the next token. A
// decoding sequence has exactly one token to compute (the one sampled last).
//
// Thread safety: owned by the engine thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/sampler.h"
#include "model/kv_cache.h"
#include "scheduler/block_pool.h"
#include "scheduler/logits_constraint.h"
#include "server/engine_interface.h"
#include "server/stop_matcher.h"
#include "tokenizer/detokenizer.h"

namespace hearth::scheduler {

using SharedSink = std::shared_ptr<server::EventSink>;

// An event on its way to a request's sink (delivered by the service without its lock held).
struct Outgoing {
  SharedSink sink;
  server::GenerationEvent event;
};
using Events = std::vector<Outgoing>;

struct Sequence {
  server::RequestId id = 0;
  SeqId seq = 0;                  // the KV cache's id while the sequence holds blocks
  std::uint64_t admit_order = 0;  // larger = admitted later ("youngest" for preemption)
  server::GenerationRequest request;
  SharedSink sink;

  std::vector<std::int32_t> tokens;  // prompt, then generated tokens
  int n_prompt = 0;
  int n_generated = 0;
  std::int64_t n_computed = 0;   // tokens whose K/V are in the cache
  bool in_cache = false;         // holds a KV cache sequence (blocks)
  bool scheduled = false;        // kScheduled sent
  int cached_prompt_tokens = 0;  // prompt tokens the first admission found in the prefix cache
  int preemptions = 0;
  std::int64_t step_tokens = 0;  // tokens planned in the step being built (0: not in the batch)

  // Prefix cache: hashes of the full blocks of `tokens` computed so far, and how many are registered.
  std::vector<BlockHash> block_hashes;
  std::size_t n_registered_blocks = 0;

  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<StreamingDetokenizer> detokenizer;
  std::unique_ptr<server::StopMatcher> stop_matcher;
  std::unique_ptr<LogitsConstraint> constraint;
  std::vector<std::int32_t> stop_tokens;  // sorted: end-of-generation tokens (unless ignore_eos) + stop_token_ids

  std::int64_t remaining() const { return static_cast<std::int64_t>(tokens.size()) - n_computed; }
  bool is_stop_token(std::int32_t token) const;

  // Handles the token sampled for this sequence: emits a kDelta (and a kFinished when the token ends the
  // generation: stop token, stop string, max_tokens). Returns true when the sequence finished.
  bool on_token(std::int32_t token, std::optional<server::TokenLogprob> logprob, server::Clock::time_point now,
                Events& out);
  // Emits the terminal kFinished (releasing held-back text first unless cancelled or a stop string matched).
  void finish(server::FinishReason reason, server::Clock::time_point now, Events& out,
              std::optional<std::int32_t> stop_token = std::nullopt, std::string stop_string = {});
  void fail(std::string message, server::Clock::time_point now, Events& out);
  server::Usage usage() const;
};

}  // namespace hearth::scheduler
