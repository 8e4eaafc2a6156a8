#pragma once
// The continuous-batching core: decides what each forward pass computes, runs it, samples, and turns the
// results into events. No threads and no locks: EngineService drives it from its engine thread.
//
// Each step builds one Batch of at most max_batch_tokens tokens:
//   1. one decode token for every running sequence that has one (oldest first);
//   2. the next prompt chunk of running sequences that are still prefilling (oldest first);
//   3. new (or preempted) sequences from the front of the waiting queue while fewer than max_sequences run,
//      each after a prefix cache lookup that attaches the cached blocks of its longest cached prefix.
// A prefill chunk whose logits are not needed yet (the prompt continues) asks for none.
//
// KV blocks: a running sequence that needs a block when none is free preempts the youngest running
// sequence not in this step's batch (possibly itself): its blocks are released (full ones stay in the
// prefix cache) and it goes back to the front of the waiting queue with its prompt and generated tokens,
// to be recomputed later; its sampler, detokenizer and stop-string state are kept, so its output is the
// same as without preemption. A new sequence is admitted only when its whole remaining prompt fits in the
// free blocks (or nothing else runs), so admissions do not thrash. A request whose prompt + max_tokens can
// never fit in the whole cache ends with kError at once.
//
// Output constraints: a request's constraint comes from the ConstraintFactory; when the request says its
// output begins with a reasoning block, it is wrapped in a ReasoningFirstConstraint (reasoning_constraint.h)
// with the sequence's stop tokens and a budget (default: half of max_tokens).
//
// Batch invariance: the backend computes each row independently of the others, so a sequence's tokens do
// not depend on what else is batched, chunked or cached. Nothing here reorders a sequence's own tokens.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "engine/sampler.h"
#include "model/model.h"
#include "scheduler/block_pool.h"
#include "scheduler/logits_constraint.h"
#include "scheduler/sequence.h"
#include "tokenizer/tokenizer.h"

namespace hearth::scheduler {

struct SchedulerOptions {
  int max_batch_tokens = 4096;  // tokens per forward pass
  int max_sequences = 64;       // running sequences
  bool prefix_cache = true;
  int context_length = 0;  // tokens per sequence (prompt + generated)
};

// Totals kept across model reloads (the service owns them).
struct SchedulerCounters {
  std::int64_t prefix_queries = 0;  // prompt tokens looked up
  std::int64_t prefix_hits = 0;     // of which found in the cache
  std::int64_t preemptions = 0;
  std::int64_t steps = 0;
};

class Scheduler {
 public:
  // `cache` must use `pool` as its BlockAllocator. Everything passed by reference must outlive the scheduler.
  Scheduler(Model& model, KvCache& cache, PrefixBlockPool& pool, const Tokenizer& tokenizer, SchedulerOptions options,
            SamplingParams defaults, std::vector<std::int32_t> end_of_generation, ConstraintFactory constraints,
            SchedulerCounters& counters);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request (at the back). Requests that cannot run (invalid sampling parameters, a constraint
  // nobody enforces, too long for the cache) end at once with kError; max_tokens <= 0 ends with kLength.
  void add(server::RequestId id, server::GenerationRequest request, SharedSink sink, Events& out);
  // Ends the request with kFinished{kCancelled} and frees its blocks; false when it is not here.
  bool cancel(server::RequestId id, Events& out);
  // Ends every request: kFinished{kCancelled}, or kError with `error` when it is not empty.
  void terminate_all(const std::string& error, Events& out);

  // One forward pass over the next batch, then sampling. Returns false when there was nothing to run.
  bool step(Events& out);

  bool idle() const { return waiting_.empty() && running_.empty(); }
  int n_waiting() const { return static_cast<int>(waiting_.size()); }
  int n_running() const { return static_cast<int>(running_.size()); }
  // Share of the cache's blocks held by sequences (cached free blocks count as free).
  double kv_usage() const;

 private:
  using SeqPtr = std::unique_ptr<Sequence>;
  struct Planned {
    Sequence* seq;
    std::int64_t n_tokens;
  };

  std::string check_request(const server::GenerationRequest& request) const;  // "" when it can run
  hearth::SamplingParams sampling_for(const server::SamplingParams& p) const;
  // Reserves blocks for up to `want` more tokens of a running sequence, preempting younger ones not in the
  // batch when needed. Returns the tokens reserved (0: none this step; the sequence may have been preempted).
  std::int64_t fit_running(Sequence& s, std::int64_t want);
  void admit_waiting(std::int64_t& budget, Events& out);
  void attach_cached_prefix(Sequence& s);
  void ensure_hashes(Sequence& s, std::size_t n_blocks);
  void register_full_blocks(Sequence& s);
  void release_blocks(Sequence& s);
  void preempt(Sequence& s);
  SeqPtr take_running(Sequence& s);
  void sample_outputs(Events& out);
  std::int64_t tokens_that_fit(const Sequence& s) const;

  Model& model_;
  KvCache& cache_;
  PrefixBlockPool& pool_;
  const Tokenizer& tokenizer_;
  SchedulerOptions options_;
  SamplingParams defaults_;
  std::vector<std::int32_t> end_of_generation_;  // sorted
  ConstraintFactory constraints_;
  SchedulerCounters& counters_;

  std::deque<SeqPtr> waiting_;
  std::vector<SeqPtr> running_;  // admission order: oldest first
  std::uint64_t next_admit_order_ = 1;
  SeqId next_seq_id_ = 0;

  // Per-step scratch, reused.
  std::vector<Planned> planned_;
  std::vector<Sequence*> output_rows_;  // the sequence of each logits row
  Batch batch_;
  Logits logits_;
  std::vector<float> masked_;
};

}  // namespace hearth::scheduler
