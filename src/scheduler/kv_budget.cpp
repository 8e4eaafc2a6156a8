#include "scheduler/kv_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace hearth::scheduler {

namespace {
double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }
}  // namespace

KvBudget plan_kv_budget(const KvBudgetInput& in) {
  require(in.bytes_per_token > 0 && in.block_size > 0 && in.max_sequences > 0 && in.context_length > 0,
          "KV cache sizing: invalid model geometry");
  const std::int64_t bs = in.block_size;
  const std::int64_t blocks_per_context = (static_cast<std::int64_t>(in.context_length) + bs - 1) / bs;
  KvBudget out;
  out.context_length = in.context_length;
  if (in.exact_tokens) {
    require(*in.exact_tokens > 0, "KV cache size must be positive");
    out.n_blocks = (*in.exact_tokens + bs - 1) / bs;
    out.bytes = out.n_blocks * bs * in.bytes_per_token;
    out.explanation =
        fmt::format("{} blocks of {} tokens ({:.1f} MiB), as configured", out.n_blocks, bs, mib(out.bytes));
    return out;
  }
  require(in.memory_share > 0 && in.memory_share <= 1, "engine.gpu_memory must be in (0, 1], got {}", in.memory_share);
  const std::int64_t budget = static_cast<std::int64_t>(in.memory_share * static_cast<double>(in.available_bytes));
  const std::int64_t budget_blocks = budget / (bs * in.bytes_per_token);
  const std::int64_t needed_blocks = blocks_per_context * in.max_sequences;
  out.n_blocks = std::min(budget_blocks, needed_blocks);
  require(out.n_blocks >= 1,
          "the KV cache budget ({:.0f}% of {:.1f} MiB free memory) cannot hold one block of {} tokens ({:.2f} MiB); "
          "raise engine.gpu_memory or free memory",
          in.memory_share * 100, mib(in.available_bytes), bs, mib(bs * in.bytes_per_token));
  if (out.n_blocks < blocks_per_context) {
    out.context_length = static_cast<int>(out.n_blocks * bs);
  }
  out.bytes = out.n_blocks * bs * in.bytes_per_token;
  out.explanation =
      out.n_blocks == needed_blocks
          ? fmt::format(
                "{} blocks of {} tokens ({:.1f} MiB): {} sequences x {} tokens, within {:.0f}% of {:.0f} MiB "
                "free",
                out.n_blocks, bs, mib(out.bytes), in.max_sequences, in.context_length, in.memory_share * 100,
                mib(in.available_bytes))
          : fmt::format("{} blocks of {} tokens ({:.1f} MiB): {:.0f}% of {:.0f} MiB free memory", out.n_blocks, bs,
                        mib(out.bytes), in.memory_share * 100, mib(in.available_bytes));
  if (out.context_length < in.context_length) {
    out.explanation += fmt::format("; the context length is reduced from {} to {} tokens to fit", in.context_length,
                                   out.context_length);
  }
  return out;
}

std::int64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      std::int64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

}  // namespace hearth::scheduler
