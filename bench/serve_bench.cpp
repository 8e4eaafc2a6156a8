// serve_bench MODEL [--streams 1,4,16,64] [-n TOKENS] [-p PROMPT_TOKENS] [-t THREADS] [--max-batch-tokens N]
//
// Aggregate generation throughput of the continuous-batching engine (scheduler::EngineService, the service
// behind `hearth serve`) at several numbers of concurrent streams, without HTTP. Each stream is one greedy
// request with its own prompt (distinct, so the prefix cache does not help), ignore_eos, N tokens.
// Prints one table row per concurrency: aggregate generated tokens/s over the whole run (prefill included),
// decode tokens/s once every stream has its first token, time to first token p50/p99, and the speed-up
// over one stream.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "scheduler/engine_service.h"

namespace {

using hearth::server::Clock;
using hearth::server::GenerationEvent;

struct StreamResult {
  Clock::time_point first_token{};
  Clock::time_point done{};
  int tokens = 0;
  bool error = false;
};

struct Run {
  double seconds = 0;
  double decode_tps = 0;
  double ttft_p50 = 0, ttft_p99 = 0;
  std::int64_t tokens = 0;
  int errors = 0;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Run run_streams(hearth::scheduler::EngineService& service, int streams, int n_tokens, int prompt_tokens, int round) {
  const int vocab = std::min(service.model_info().vocab_size, 150000);
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<StreamResult> results(static_cast<std::size_t>(streams));
  int finished = 0;
  const auto start = Clock::now();
  for (int s = 0; s < streams; ++s) {
    hearth::server::GenerationRequest r;
    r.id = "bench-" + std::to_string(s);
    for (int i = 0; i < prompt_tokens; ++i) {
      // Distinct per stream and round from the first token on.
      r.prompt.push_back(static_cast<std::int32_t>((1000 + round * 7919 + s * 104729 + i * 613) % vocab));
    }
    r.max_tokens = n_tokens;
    r.ignore_eos = true;
    r.sampling.temperature = 0;
    StreamResult* out = &results[static_cast<std::size_t>(s)];
    service.submit(std::move(r), [&, out](GenerationEvent&& e) {
      std::lock_guard lock(mutex);
      if (e.kind == GenerationEvent::Kind::kDelta && !e.tokens.empty()) {
        if (out->tokens == 0) out->first_token = e.time;
        out->tokens += static_cast<int>(e.tokens.size());
      } else if (e.kind == GenerationEvent::Kind::kFinished || e.kind == GenerationEvent::Kind::kError) {
        out->error = e.kind == GenerationEvent::Kind::kError;
        out->done = e.time;
        ++finished;
        cv.notify_all();
      }
    });
  }
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return finished == streams; });
  Run run;
  Clock::time_point all_started = start, end = start;
  std::vector<double> ttft;
  std::int64_t after_all_started = 0;
  for (const auto& r : results) {
    run.tokens += r.tokens;
    run.errors += r.error;
    all_started = std::max(all_started, r.first_token);
    end = std::max(end, r.done);
    ttft.push_back(std::chrono::duration<double>(r.first_token - start).count());
  }
  // Tokens generated after the last stream got its first token: the steady decoding phase.
  for (const auto& r : results) after_all_started += std::max(0, r.tokens - 1);
  run.seconds = std::chrono::duration<double>(end - start).count();
  const double decode_seconds = std::chrono::duration<double>(end - all_started).count();
  run.decode_tps = decode_seconds > 0 ? static_cast<double>(after_all_started) / decode_seconds : 0;
  run.ttft_p50 = percentile(ttft, 0.5);
  run.ttft_p99 = percentile(ttft, 0.99);
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Aggregate generation throughput of hearth's continuous-batching engine");
  std::string model;
  std::string streams_list = "1,4,16,64";
  int n_tokens = 64;
  int prompt_tokens = 32;
  int threads = 0;
  int max_batch_tokens = 4096;
  app.add_option("MODEL", model, "GGUF file, Hugging Face folder or store name")->required();
  app.add_option("--streams", streams_list, "comma-separated numbers of concurrent streams")->capture_default_str();
  app.add_option("-n,--tokens", n_tokens, "tokens generated per stream")->capture_default_str();
  app.add_option("-p,--prompt-tokens", prompt_tokens, "prompt tokens per stream")->capture_default_str();
  app.add_option("-t,--threads", threads, "CPU threads (0: all cores)");
  app.add_option("--max-batch-tokens", max_batch_tokens, "engine.max_batch_tokens")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::vector<int> streams;
  std::stringstream ss(streams_list);
  for (std::string item; std::getline(ss, item, ',');) streams.push_back(std::stoi(item));
  const int max_streams = *std::max_element(streams.begin(), streams.end());

  try {
    hearth::scheduler::EngineOptions options;
    options.model = model;
    options.engine.threads = threads;
    options.engine.max_sequences = max_streams;
    options.engine.max_batch_tokens = max_batch_tokens;
    options.engine.prefix_cache = false;
    options.engine.context = prompt_tokens + n_tokens + 16;
    hearth::scheduler::EngineService service(options);
    while (service.stats().state != hearth::server::ServiceState::kReady) {
      if (service.stats().state == hearth::server::ServiceState::kFailed) {
        std::fprintf(stderr, "error: %s\n", service.stats().error.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::printf("model: %s  prompt %d tokens, %d generated per stream, max_batch_tokens %d\n\n", model.c_str(),
                prompt_tokens, n_tokens, max_batch_tokens);
    std::printf(
        "| streams | gen tok/s (aggregate) | decode tok/s | speed-up | TTFT p50 (s) | TTFT p99 (s) | wall (s) |\n");
    std::printf(
        "|--------:|----------------------:|-------------:|---------:|-------------:|-------------:|---------:|\n");
    double single = 0;
    int round = 0;
    for (int s : streams) {
      const Run r = run_streams(service, s, n_tokens, prompt_tokens, round++);
      const double tps = static_cast<double>(r.tokens) / r.seconds;
      if (single == 0) single = tps;
      std::printf("| %7d | %21.1f | %12.1f | %7.2fx | %12.3f | %12.3f | %8.2f |%s\n", s, tps, r.decode_tps,
                  tps / single, r.ttft_p50, r.ttft_p99, r.seconds, r.errors ? "  (errors!)" : "");
      std::fflush(stdout);
    }
    service.shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
