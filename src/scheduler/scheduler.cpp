#include "scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "scheduler/logprobs.h"
#include "scheduler/framed_constraint.h"
#include "scheduler/reasoning_constraint.h"
#include "util/error.h"

namespace hearth::scheduler {

using server::Clock;
using server::FinishReason;
using server::GenerationEvent;

Scheduler::Scheduler(Model& model, KvCache& cache, PrefixBlockPool& pool, const Tokenizer& tokenizer,
                     SchedulerOptions options, SamplingParams defaults, std::vector<std::int32_t> end_of_generation,
                     ConstraintFactory constraints, SchedulerCounters& counters)
    : model_(model),
      cache_(cache),
      pool_(pool),
      tokenizer_(tokenizer),
      options_(options),
      defaults_(std::move(defaults)),
      end_of_generation_(std::move(end_of_generation)),
      constraints_(std::move(constraints)),
      counters_(counters) {
  require(options_.max_batch_tokens > 0, "engine.max_batch_tokens must be positive");
  require(options_.max_sequences > 0, "engine.max_sequences must be positive");
  std::sort(end_of_generation_.begin(), end_of_generation_.end());
  if (options_.context_length <= 0) options_.context_length = static_cast<int>(model_.config().context_length);
}

Scheduler::~Scheduler() {
  for (auto& s : running_) release_blocks(*s);
}

double Scheduler::kv_usage() const {
  return static_cast<double>(pool_.n_in_use()) / static_cast<double>(pool_.n_total());
}

hearth::SamplingParams Scheduler::sampling_for(const server::SamplingParams& p) const {
  hearth::SamplingParams s = defaults_;
  if (p.temperature) s.temperature = *p.temperature;
  if (p.top_p) s.top_p = *p.top_p;
  if (p.top_k) s.top_k = *p.top_k;
  if (p.min_p) s.min_p = *p.min_p;
  if (p.seed) s.seed = *p.seed;
  if (p.repetition_penalty) s.repetition_penalty = *p.repetition_penalty;
  if (p.repeat_last_n) s.repeat_last_n = *p.repeat_last_n;
  if (p.presence_penalty) s.presence_penalty = *p.presence_penalty;
  if (p.frequency_penalty) s.frequency_penalty = *p.frequency_penalty;
  s.logit_bias = p.logit_bias;
  return s;
}

std::string Scheduler::check_request(const server::GenerationRequest& r) const {
  const std::int64_t n_prompt = static_cast<std::int64_t>(r.prompt.size());
  if (n_prompt == 0) return "the prompt is empty";
  const std::int64_t vocab = model_.config().vocab_size;
  for (std::int32_t t : r.prompt) {
    if (t < 0 || t >= vocab) return fmt::format("prompt token id {} is outside the vocabulary (0..{})", t, vocab - 1);
  }
  if (n_prompt >= options_.context_length) {
    return fmt::format("the prompt has {} tokens, which leaves no room in the context length of {} tokens", n_prompt,
                       options_.context_length);
  }
  if (n_prompt + r.max_tokens > options_.context_length) {
    return fmt::format("the prompt ({} tokens) plus max_tokens ({}) exceeds the context length of {} tokens", n_prompt,
                       r.max_tokens, options_.context_length);
  }
  // The last generated token is never fed back, so the cache holds prompt + max_tokens - 1 tokens at most.
  const std::int64_t tokens = n_prompt + std::max(r.max_tokens, 1) - 1;
  const std::int64_t bs = cache_.block_size();
  const std::int64_t blocks = (tokens + bs - 1) / bs;
  if (blocks > cache_.n_blocks()) {
    return fmt::format(
        "the request needs {} KV cache blocks ({} prompt tokens + {} max_tokens), but the whole cache holds {} "
        "blocks of {} tokens; lower max_tokens or give the KV cache more memory (engine.gpu_memory)",
        blocks, n_prompt, r.max_tokens, cache_.n_blocks(), bs);
  }
  return {};
}

void Scheduler::add(server::RequestId id, server::GenerationRequest request, SharedSink sink, Events& out) {
  auto s = std::make_unique<Sequence>();
  s->id = id;
  s->sink = std::move(sink);
  s->request = std::move(request);
  s->n_prompt = static_cast<int>(s->request.prompt.size());
  const auto now = Clock::now();
  if (!s->request.ignore_eos) s->stop_tokens = end_of_generation_;
  s->stop_tokens.insert(s->stop_tokens.end(), s->request.stop_token_ids.begin(), s->request.stop_token_ids.end());
  std::sort(s->stop_tokens.begin(), s->stop_tokens.end());
  try {
    if (std::string problem = check_request(s->request); !problem.empty()) fail("{}", problem);
    s->sampler = std::make_unique<Sampler>(sampling_for(s->request.sampling), model_.config().vocab_size);
    const server::OutputConstraint& c = s->request.constraint;
    if (c.kind != server::OutputConstraint::Kind::kNone) {
      require(static_cast<bool>(constraints_), "this engine does not support constrained decoding (response_format)");
      s->constraint = constraints_(c);
      if (c.frame && s->constraint) {
        FramedConstraint::BodyFactory next_body;  // each further call's document (parallel tool calls)
        if (c.frame->repeat) next_body = [factory = constraints_, c] { return factory(c); };
        s->constraint =
            std::make_unique<FramedConstraint>(*c.frame, s->stop_tokens, std::move(s->constraint), std::move(next_body));
      }
      if (c.reasoning && s->constraint) {
        server::OutputConstraint::Reasoning reasoning = *c.reasoning;
        if (reasoning.max_tokens <= 0) reasoning.max_tokens = default_reasoning_budget(s->request.max_tokens);
        s->constraint = std::make_unique<ReasoningFirstConstraint>(reasoning, s->stop_tokens, std::move(s->constraint));
      }
    }
  } catch (const std::exception& e) {
    s->fail(e.what(), now, out);
    return;
  }
  s->tokens = s->request.prompt;
  s->sampler->accept_prompt(s->tokens);
  s->detokenizer = std::make_unique<StreamingDetokenizer>(tokenizer_, /*skip_special=*/true);
  s->stop_matcher = std::make_unique<server::StopMatcher>(s->request.stop);
  if (s->request.max_tokens <= 0) {
    s->finish(FinishReason::kLength, now, out);
    return;
  }
  waiting_.push_back(std::move(s));
}

bool Scheduler::cancel(server::RequestId id, Events& out) {
  const auto now = Clock::now();
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if ((*it)->id != id) continue;
    SeqPtr s = std::move(*it);
    waiting_.erase(it);
    release_blocks(*s);
    s->finish(FinishReason::kCancelled, now, out);
    return true;
  }
  for (auto& p : running_) {
    if (p->id != id) continue;
    SeqPtr s = take_running(*p);
    s->finish(FinishReason::kCancelled, now, out);
    return true;
  }
  return false;
}

void Scheduler::terminate_all(const std::string& error, Events& out) {
  const auto now = Clock::now();
  auto end = [&](Sequence& s) {
    release_blocks(s);
    if (error.empty()) {
      s.finish(FinishReason::kCancelled, now, out);
    } else {
      s.fail(error, now, out);
    }
  };
  for (auto& s : running_) end(*s);
  for (auto& s : waiting_) end(*s);
  running_.clear();
  waiting_.clear();
}

// --- blocks ------------------------------------------------------------------------------------------------

void Scheduler::release_blocks(Sequence& s) {
  if (!s.in_cache) return;
  // Released last block first, so the least recently used end of the prefix cache holds the tails of
  // prefixes and a shared head outlives them.
  cache_.truncate(s.seq, 0);
  cache_.free_sequence(s.seq);
  s.in_cache = false;
  s.n_computed = 0;
  s.n_registered_blocks = 0;
}

Scheduler::SeqPtr Scheduler::take_running(Sequence& s) {
  auto it = std::find_if(running_.begin(), running_.end(), [&](const SeqPtr& p) { return p.get() == &s; });
  SeqPtr owned = std::move(*it);
  running_.erase(it);
  release_blocks(*owned);
  return owned;
}

void Scheduler::preempt(Sequence& s) {
  ++s.preemptions;
  ++counters_.preemptions;
  spdlog::debug("preempting {} ({} tokens computed) to free KV cache blocks", s.request.id, s.n_computed);
  SeqPtr owned = take_running(s);
  waiting_.push_front(std::move(owned));
}

std::int64_t Scheduler::tokens_that_fit(const Sequence& s) const {
  const std::int64_t held = static_cast<std::int64_t>(cache_.block_table(s.seq).size());
  return (held + pool_.n_free()) * cache_.block_size() - s.n_computed;
}

std::int64_t Scheduler::fit_running(Sequence& s, std::int64_t want) {
  for (;;) {
    const std::int64_t fit = tokens_that_fit(s);
    // A prefill chunk shrinks to what fits rather than preempting anyone.
    const std::int64_t n = std::min(want, fit);
    if (n == want || (n >= 1 && s.remaining() > 1)) {
      cache_.reserve(s.seq, s.n_computed + n);
      return n;
    }
    // Preempt the youngest running sequence not in this batch, unless it is older than `s`.
    Sequence* victim = nullptr;
    for (auto it = running_.rbegin(); it != running_.rend(); ++it) {
      if ((*it)->step_tokens == 0) {
        victim = it->get();
        break;
      }
    }
    if (victim == nullptr || victim->admit_order < s.admit_order) return 0;
    preempt(*victim);
    if (victim == &s) return 0;
  }
}

void Scheduler::ensure_hashes(Sequence& s, std::size_t n_blocks) {
  const std::size_t bs = static_cast<std::size_t>(cache_.block_size());
  while (s.block_hashes.size() < n_blocks) {
    const std::size_t i = s.block_hashes.size();
    const BlockHash parent = i == 0 ? kRootHash : s.block_hashes[i - 1];
    s.block_hashes.push_back(hash_block(parent, std::span<const std::int32_t>(s.tokens.data() + i * bs, bs)));
  }
}

void Scheduler::attach_cached_prefix(Sequence& s) {
  if (!options_.prefix_cache) return;
  const std::size_t bs = static_cast<std::size_t>(cache_.block_size());
  // At least the last token is always computed (its logits give the next token), and a block being
  // written is never shared: only whole blocks before the last token are reused.
  const std::size_t usable = (s.tokens.size() - 1) / bs;
  ensure_hashes(s, usable);
  std::vector<std::int32_t> hit;
  for (std::size_t i = 0; i < usable; ++i) {
    const BlockHash parent = i == 0 ? kRootHash : s.block_hashes[i - 1];
    auto b =
        pool_.acquire_cached(s.block_hashes[i], parent, std::span<const std::int32_t>(s.tokens.data() + i * bs, bs));
    if (!b) break;
    hit.push_back(*b);
  }
  if (hit.empty()) return;
  cache_.attach_blocks(s.seq, hit);
  s.n_computed = static_cast<std::int64_t>(hit.size() * bs);
  s.n_registered_blocks = hit.size();
}

void Scheduler::register_full_blocks(Sequence& s) {
  if (!options_.prefix_cache) return;
  const std::size_t bs = static_cast<std::size_t>(cache_.block_size());
  const std::size_t full = static_cast<std::size_t>(s.n_computed) / bs;
  if (full <= s.n_registered_blocks) return;
  ensure_hashes(s, full);
  const auto table = cache_.block_table(s.seq);
  for (std::size_t i = s.n_registered_blocks; i < full; ++i) {
    const BlockHash parent = i == 0 ? kRootHash : s.block_hashes[i - 1];
    pool_.register_full(table[i], s.block_hashes[i], parent,
                        std::span<const std::int32_t>(s.tokens.data() + i * bs, bs));
  }
  s.n_registered_blocks = full;
}

// --- scheduling --------------------------------------------------------------------------------------------

void Scheduler::admit_waiting(std::int64_t& budget, Events& out) {
  while (budget > 0 && !waiting_.empty() && static_cast<int>(running_.size()) < options_.max_sequences) {
    Sequence& s = *waiting_.front();
    s.seq = next_seq_id_;
    next_seq_id_ = next_seq_id_ == INT32_MAX ? 0 : next_seq_id_ + 1;
    cache_.add_sequence(s.seq);
    s.in_cache = true;
    attach_cached_prefix(s);
    // The whole remaining prompt must fit (so a new sequence does not start only to be preempted), unless
    // nothing else runs: then chunks go as blocks allow.
    const std::int64_t fit = tokens_that_fit(s);
    const std::int64_t n = std::min({s.remaining(), budget, fit});
    if (n < 1 || (fit < s.remaining() && !running_.empty())) {
      release_blocks(s);
      break;
    }
    cache_.reserve(s.seq, s.n_computed + n);
    if (!s.scheduled) {
      s.scheduled = true;
      s.cached_prompt_tokens = static_cast<int>(std::min<std::int64_t>(s.n_computed, s.n_prompt));
      if (options_.prefix_cache) {
        counters_.prefix_queries += s.n_prompt;
        counters_.prefix_hits += s.cached_prompt_tokens;
      }
      GenerationEvent e;
      e.kind = GenerationEvent::Kind::kScheduled;
      out.push_back({s.sink, std::move(e)});
    }
    s.admit_order = next_admit_order_++;
    s.step_tokens = n;
    planned_.push_back({&s, n});
    budget -= n;
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
}

bool Scheduler::step(Events& out) {
  if (idle()) return false;
  planned_.clear();
  for (auto& s : running_) s->step_tokens = 0;
  std::int64_t budget = options_.max_batch_tokens;

  // Decode tokens first, then chunks of prompts being prefilled. Preemption removes sequences younger than
  // the one being planned (or that one), so indices below i stay valid.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      Sequence& s = *running_[i];
      const bool decode = s.remaining() == 1;
      if (s.step_tokens > 0 || decode != (pass == 0)) continue;
      const std::int64_t n = fit_running(s, std::min(s.remaining(), budget));
      if (n == 0) {
        if (i >= running_.size() || running_[i].get() != &s) --i;  // `s` itself was preempted
        continue;
      }
      s.step_tokens = n;
      planned_.push_back({&s, n});
      budget -= n;
    }
  }
  admit_waiting(budget, out);
  if (planned_.empty()) return false;

  batch_.clear();
  output_rows_.clear();
  for (const Planned& p : planned_) {
    Sequence& s = *p.seq;
    for (std::int64_t t = s.n_computed; t < s.n_computed + p.n_tokens; ++t) {
      const bool last = t + 1 == static_cast<std::int64_t>(s.tokens.size());
      batch_.add(s.tokens[static_cast<std::size_t>(t)], s.seq, static_cast<std::int32_t>(t), last);
      if (last) output_rows_.push_back(&s);
    }
  }
  ++counters_.steps;
  try {
    model_.forward(batch_, cache_, logits_);
  } catch (const std::exception& e) {
    // Should not happen (the batch was checked while it was built); the sequences involved cannot go on.
    spdlog::error("forward pass failed: {}", e.what());
    const auto now = Clock::now();
    for (const Planned& p : planned_) {
      SeqPtr s = take_running(*p.seq);
      s->fail(fmt::format("the engine failed: {}", e.what()), now, out);
    }
    return true;
  }
  for (const Planned& p : planned_) {
    p.seq->n_computed += p.n_tokens;
    register_full_blocks(*p.seq);
  }
  sample_outputs(out);
  return true;
}

void Scheduler::sample_outputs(Events& out) {
  const auto now = Clock::now();
  for (std::size_t r = 0; r < output_rows_.size(); ++r) {
    Sequence& s = *output_rows_[r];
    const std::span<const float> row = logits_.row(static_cast<std::int64_t>(r));
    bool finished = false;
    try {
      std::span<const float> to_sample = row;
      if (s.constraint) {
        masked_.assign(row.begin(), row.end());
        s.constraint->mask(masked_);
        to_sample = masked_;
      }
      const std::int32_t token = s.sampler->sample(to_sample);
      std::optional<server::TokenLogprob> lp;
      if (s.request.logprobs) lp = token_logprob(row, token, s.request.top_logprobs, tokenizer_);
      finished = s.on_token(token, std::move(lp), now, out);
    } catch (const std::exception& e) {
      SeqPtr owned = take_running(s);
      owned->fail(fmt::format("sampling failed: {}", e.what()), now, out);
      continue;
    }
    if (finished) take_running(s);
  }
}

}  // namespace hearth::scheduler
