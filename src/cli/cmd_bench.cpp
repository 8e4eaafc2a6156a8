// hearth bench MODEL [-p 512] [-n 128] [-r 3] [--warmup 1] [-t N] [--seed 42] [--json]
// Throughput like llama-bench (eval/bench_runner.h): pp<P> = tokens/s of one P-token prompt pass, tg<N> =
// tokens/s of N one-token decode passes, mean ± std over -r repetitions after --warmup ones; plus peak RSS,
// model size, parameters, weight bytes read per generated token and the CPU kernels used. A markdown table
// on stdout (progress on stderr), or with --json one object:
// {"model","arch","file_bytes","n_params","weight_bytes","bytes_per_token","backend","quant_kernels",
//  "cpu_features","threads","repetitions","warmup","seed","load_seconds",
//  "tests":[{"name","n_prompt","n_gen","avg_ts","stddev_ts","min_ts","max_ts","samples_ts","samples_s"}],
//  "peak_rss_bytes","rss_file_bytes","rss_anon_bytes"}
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/kv_cache_flag.h"
#include "eval/bench_runner.h"
#include "eval/model_footprint.h"
#include "eval/process_memory.h"
#include "format/model_files.h"
#include "model/model.h"
#include "quant/cpu_features.h"
#include "quant/quant.h"
#include "store/resolve.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct BenchArgs {
  std::string model;
  eval::BenchOptions options;
  int threads = 0;
  bool json = false;
  std::string kv_cache_type = "f16";
};

std::string gib(std::int64_t bytes) { return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1 << 30)); }

std::string params_text(std::int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", static_cast<double>(n) / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f} M", static_cast<double>(n) / 1e6);
  return fmt::format("{:.1f} K", static_cast<double>(n) / 1e3);
}

void print_table(const std::string& model_name, const std::string& backend, int threads,
                 const eval::ModelFootprint& footprint, const std::vector<eval::BenchTest>& tests,
                 const eval::ProcessMemory& memory) {
  std::string out;
  out += "| model | size | params | backend | threads | test | t/s |\n";
  out += "| --- | ---: | ---: | --- | ---: | ---: | ---: |\n";
  for (const eval::BenchTest& t : tests) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {:.2f} ± {:.2f} |\n", model_name, gib(footprint.file_bytes),
                       params_text(footprint.n_params), backend, threads, t.name, t.stats.mean, t.stats.stddev);
  }
  out += fmt::format("\nweights read per generated token: {}\n", gib(footprint.bytes_per_token));
  if (memory.peak_rss_bytes >= 0) {
    out += fmt::format("peak RSS: {} (now: {} mapped file, {} anonymous)\n", gib(memory.peak_rss_bytes),
                       gib(memory.rss_file_bytes), gib(memory.rss_anon_bytes));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

nlohmann::ordered_json test_json(const eval::BenchTest& t) {
  return {{"name", t.name},
          {"n_prompt", t.n_prompt},
          {"n_gen", t.n_gen},
          {"avg_ts", t.stats.mean},
          {"stddev_ts", t.stats.stddev},
          {"min_ts", t.stats.min},
          {"max_ts", t.stats.max},
          {"samples_ts", t.tokens_per_second},
          {"samples_s", t.seconds}};
}

void run_bench(const BenchArgs& a) {
  require(a.threads >= 0, "-t must be >= 0 (0: one per core), got {}", a.threads);
  // Cheap checks first, so a bad flag fails before a multi-gigabyte model is mapped.
  eval::validate_bench_options(a.options, /*context_length=*/0);
  const auto load_start = std::chrono::steady_clock::now();
  ModelFiles files = open_model_files(store::resolve_model_path(a.model));
  eval::validate_bench_options(a.options, files.config.context_length);

  BackendOptions backend_options;
  backend_options.threads = a.threads;
  auto backend = create_backend(backend_options);
  auto model = load_model(files, *backend);
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const eval::ModelFootprint footprint = eval::model_footprint(files);
  const std::string quant_kernels(quant::variant_name(quant::active_variant()));

  std::fprintf(stderr, "bench: %s on %s\n", files.path.c_str(), backend->name().c_str());
  auto progress = [](const eval::BenchTest& t, int rep, bool warmup, double seconds) {
    const double n = static_cast<double>(t.n_prompt + t.n_gen);
    std::fprintf(stderr, "  %s%s #%d: %.2f tok/s (%.3f s)\n", warmup ? "warm-up " : "", t.name.c_str(), rep + 1,
                 seconds > 0 ? n / seconds : 0.0, seconds);
  };
  eval::BenchOptions options = a.options;
  options.kv_cache_type = kv_cache_dtype(a.kv_cache_type);
  const std::vector<eval::BenchTest> tests = eval::run_bench(*model, options, progress);
  const eval::ProcessMemory memory = eval::read_process_memory();

  if (!a.json) {
    const std::string name = std::filesystem::path(files.path).filename().string();
    print_table(name.empty() ? files.path : name, fmt::format("cpu {}", quant_kernels), threads, footprint, tests,
                memory);
    return;
  }
  nlohmann::ordered_json out;
  out["model"] = files.path;
  out["arch"] = files.config.arch;
  out["file_bytes"] = footprint.file_bytes;
  out["n_params"] = footprint.n_params;
  out["weight_bytes"] = footprint.weight_bytes;
  out["bytes_per_token"] = footprint.bytes_per_token;
  out["backend"] = backend->name();
  out["quant_kernels"] = quant_kernels;
  out["cpu_features"] = quant::cpu_features().describe();
  out["threads"] = threads;
  out["repetitions"] = a.options.repetitions;
  out["warmup"] = a.options.warmup;
  out["seed"] = a.options.seed;
  out["load_seconds"] = load_seconds;
  out["tests"] = nlohmann::ordered_json::array();
  for (const eval::BenchTest& t : tests) out["tests"].push_back(test_json(t));
  out["peak_rss_bytes"] = memory.peak_rss_bytes;
  out["rss_file_bytes"] = memory.rss_file_bytes;
  out["rss_anon_bytes"] = memory.rss_anon_bytes;
  const std::string text = out.dump();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed (like llama-bench)");
  cmd->add_option("MODEL", a->model, "GGUF file, Hugging Face model folder, or a model name in the local store")
      ->required();
  cmd->add_option("-p,--n-prompt", a->options.prompt_tokens, "Prompt tokens of the pp test (0 skips it)")
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", a->options.gen_tokens, "Tokens generated in the tg test (0 skips it)")
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", a->options.repetitions, "Timed repetitions of each test")->capture_default_str();
  cmd->add_option("--warmup", a->options.warmup, "Untimed repetitions before them")->capture_default_str();
  cmd->add_option("--seed", a->options.seed, "Seed of the random token ids")->capture_default_str();
  cmd->add_option("-t,--threads", a->threads, "CPU threads (default: one per core)");
  add_kv_cache_type_flag(cmd, &a->kv_cache_type);
  cmd->add_flag("--json", a->json, "Print one JSON object instead of the table");
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace hearth::cli
