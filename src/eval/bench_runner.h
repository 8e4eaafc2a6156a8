#pragma once
// Throughput measurement in the manner of llama-bench:
// - pp<N> (prompt processing): one forward pass of N random tokens into an empty KV cache, logits of
//   the last token only; tokens/s = N / seconds.
// - tg<M> (token generation): M one-token forward passes from an empty cache, each producing logits;
//   tokens/s = M / seconds.
// Token ids are uniform random (seeded) ids of the model's vocabulary: speed does not depend on them.
// Each test runs `warmup` untimed repetitions, then `repetitions` timed ones.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/sample_stats.h"
#include "tensor/dtype.h"

namespace hearth {
class Model;
}

namespace hearth::eval {

struct BenchOptions {
  std::int64_t prompt_tokens = 512;  // 0 skips pp
  std::int64_t gen_tokens = 128;     // 0 skips tg
  int repetitions = 3;
  int warmup = 1;
  std::uint64_t seed = 42;
  DType kv_cache_type = DType::F16;  // llama-bench's default cache type too
};

struct BenchTest {
  std::string name;  // "pp512", "tg128"
  std::int64_t n_prompt = 0;
  std::int64_t n_gen = 0;
  std::vector<double> seconds;  // one per timed repetition
  std::vector<double> tokens_per_second;
  SampleStats stats;  // of tokens_per_second
};

// Called after every repetition (warm-up ones too), e.g. for progress lines on stderr.
using BenchProgress = std::function<void(const BenchTest& test, int repetition, bool warmup, double seconds)>;

// Throws hearth::Error when the options are invalid for this model (nothing to run, non-positive
// repetitions, more tokens than the model's context length).
void validate_bench_options(const BenchOptions& options, std::int64_t context_length);

// Runs pp (if prompt_tokens > 0) then tg (if gen_tokens > 0); returns the tests in that order.
std::vector<BenchTest> run_bench(Model& model, const BenchOptions& options, const BenchProgress& progress = {});

}  // namespace hearth::eval
