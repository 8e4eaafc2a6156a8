#include "eval/bench_runner.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "model/model.h"
#include "util/error.h"

namespace hearth::eval {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

class RandomTokens {
 public:
  RandomTokens(std::uint64_t seed, std::int64_t vocab) : rng_(seed), dist_(0, static_cast<std::int32_t>(vocab - 1)) {}
  std::int32_t next() { return dist_(rng_); }

 private:
  std::mt19937_64 rng_;
  std::uniform_int_distribution<std::int32_t> dist_;
};

void reset(KvCache& cache) {
  if (cache.has_sequence(0)) cache.free_sequence(0);
  cache.add_sequence(0);
}

// One prompt-processing repetition: the whole prompt as one batch.
double time_prompt(Model& model, KvCache& cache, RandomTokens& tokens, std::int64_t n, Batch& batch, Logits& logits) {
  reset(cache);
  batch.clear();
  for (std::int64_t i = 0; i < n; ++i) batch.add(tokens.next(), 0, static_cast<std::int32_t>(i), i + 1 == n);
  const auto start = Clock::now();
  model.forward(batch, cache, logits);
  return seconds_since(start);
}

// One generation repetition: n single-token passes, each with logits, as a decode loop does.
double time_generation(Model& model, KvCache& cache, RandomTokens& tokens, std::int64_t n, Batch& batch,
                       Logits& logits) {
  reset(cache);
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < n; ++i) {
    batch.clear();
    batch.add(tokens.next(), 0, static_cast<std::int32_t>(i), true);
    model.forward(batch, cache, logits);
  }
  return seconds_since(start);
}

}  // namespace

void validate_bench_options(const BenchOptions& o, std::int64_t context_length) {
  require(o.prompt_tokens >= 0, "-p must be >= 0 (0 skips the prompt-processing test), got {}", o.prompt_tokens);
  require(o.gen_tokens >= 0, "-n must be >= 0 (0 skips the generation test), got {}", o.gen_tokens);
  require(o.prompt_tokens > 0 || o.gen_tokens > 0, "nothing to measure: -p and -n are both 0");
  require(o.repetitions >= 1, "-r must be >= 1, got {}", o.repetitions);
  require(o.warmup >= 0, "--warmup must be >= 0, got {}", o.warmup);
  if (context_length > 0) {
    require(o.prompt_tokens <= context_length, "-p {} exceeds the model's context length of {}", o.prompt_tokens,
            context_length);
    require(o.gen_tokens <= context_length, "-n {} exceeds the model's context length of {}", o.gen_tokens,
            context_length);
  }
}

std::vector<BenchTest> run_bench(Model& model, const BenchOptions& options, const BenchProgress& progress) {
  validate_bench_options(options, model.config().context_length);
  auto cache = model.create_kv_cache(std::max(options.prompt_tokens, options.gen_tokens), 16, options.kv_cache_type);
  RandomTokens tokens(options.seed, model.config().vocab_size);
  Batch batch;
  Logits logits;

  std::vector<BenchTest> tests;
  auto measure = [&](BenchTest test, auto&& once) {
    const std::int64_t n = test.n_prompt + test.n_gen;
    for (int rep = 0; rep < options.warmup + options.repetitions; ++rep) {
      const bool warmup = rep < options.warmup;
      const double s = once();
      if (!warmup) {
        test.seconds.push_back(s);
        test.tokens_per_second.push_back(s > 0 ? static_cast<double>(n) / s : 0.0);
      }
      if (progress) progress(test, warmup ? rep : rep - options.warmup, warmup, s);
    }
    test.stats = summarize(test.tokens_per_second);
    tests.push_back(std::move(test));
  };
  if (options.prompt_tokens > 0) {
    BenchTest pp;
    pp.name = "pp" + std::to_string(options.prompt_tokens);
    pp.n_prompt = options.prompt_tokens;
    measure(std::move(pp), [&] { return time_prompt(model, *cache, tokens, options.prompt_tokens, batch, logits); });
  }
  if (options.gen_tokens > 0) {
    BenchTest tg;
    tg.name = "tg" + std::to_string(options.gen_tokens);
    tg.n_gen = options.gen_tokens;
    measure(std::move(tg), [&] { return time_generation(model, *cache, tokens, options.gen_tokens, batch, logits); });
  }
  return tests;
}

}  // namespace hearth::eval
