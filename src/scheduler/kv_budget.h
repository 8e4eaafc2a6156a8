#pragma once
// How many KV cache blocks to allocate: from a memory budget (engine.gpu_memory x the free memory; on the
// CPU that is MemAvailable), never more than max_sequences full contexts need. When the budget cannot hold
// one full context the context length shrinks to what it can hold, so a request that fits the advertised
// context always fits the cache.
#include <cstdint>
#include <optional>
#include <string>

namespace hearth::scheduler {

struct KvBudgetInput {
  std::int64_t bytes_per_token = 0;  // K and V of every layer for one token
  std::int32_t block_size = 16;
  int max_sequences = 64;
  int context_length = 0;                    // tokens per sequence wanted
  double memory_share = 0.8;                 // engine.gpu_memory
  std::int64_t available_bytes = 0;          // free memory the share applies to
  std::optional<std::int64_t> exact_tokens;  // tests: this many tokens, context length untouched
};

struct KvBudget {
  std::int64_t n_blocks = 0;
  int context_length = 0;   // possibly reduced (see above)
  std::int64_t bytes = 0;   // n_blocks * block_size * bytes_per_token
  std::string explanation;  // one line for the log
};

// Throws hearth::Error when the budget cannot hold even one block per sequence slot.
KvBudget plan_kv_budget(const KvBudgetInput& in);

// MemAvailable from /proc/meminfo in bytes (0 when unknown).
std::int64_t available_memory_bytes();

}  // namespace hearth::scheduler
