// hearth logits MODEL --ids 1,2,3 [--top 10] [--greedy N] [-t N] [--dump-last FILE]
// -> {"positions":[{"top":[[id,logit],...]},...],"greedy":[ids...]} on stdout: the `top` largest logits at
// every input position (descending), then N tokens of argmax continuation decoded with the KV cache (no
// early stop). --dump-last writes the last input position's full logits as little-endian f32.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "cli/commands.h"
#include "cli/kv_cache_flag.h"
#include "format/model_files.h"
#include "model/model.h"
#include "store/resolve.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct LogitsArgs {
  std::string model;
  std::string ids;
  int top = 10;
  int greedy = 0;
  int threads = 0;
  std::string dump_last;
  std::string kv_cache_type = "f32";  // exact by default: this command is for comparing engines
};

// Prompt positions per forward pass: bounds the memory of all-position logits (vocab floats each)
// without changing any value (every row is computed independently of the batch).
constexpr std::int64_t kChunkTokens = 256;

std::vector<std::int32_t> parse_prompt_ids(const std::string& text) {
  require(text.find_first_not_of(" \t") != std::string::npos, "--ids: no token ids given");
  std::vector<std::int32_t> ids;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    require(!item.empty(), "--ids: empty item in '{}' (expected comma-separated token ids)", text);
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used == item.size(), "--ids: '{}' is not a token id", item);
    require(v >= 0 && v <= INT32_MAX, "--ids: token id {} is out of range", v);
    ids.push_back(static_cast<std::int32_t>(v));
    start = end + 1;
  }
  return ids;
}

nlohmann::ordered_json top_entries(std::span<const float> logits, int n) {
  std::vector<std::int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  n = std::min<int>(n, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](std::int32_t a, std::int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  nlohmann::ordered_json top = nlohmann::ordered_json::array();
  for (int i = 0; i < n; ++i) top.push_back({order[i], static_cast<double>(logits[order[i]])});
  return top;
}

std::int32_t argmax(std::span<const float> logits) {
  return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void write_f32_le(const std::string& path, std::span<const float> values) {
  std::vector<float> out(values.begin(), values.end());
  if constexpr (std::endian::native == std::endian::big) {
    for (float& f : out) {
      std::uint32_t u;
      std::memcpy(&u, &f, 4);
      u = __builtin_bswap32(u);
      std::memcpy(&f, &u, 4);
    }
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  require(static_cast<bool>(file), "--dump-last: cannot open {} for writing", path);
  file.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(float)));
  require(static_cast<bool>(file), "--dump-last: cannot write {}", path);
}

void run_logits(const LogitsArgs& args) {
  const std::vector<std::int32_t> ids = parse_prompt_ids(args.ids);
  require(args.top >= 0, "--top must be >= 0");
  require(args.greedy >= 0, "--greedy must be >= 0");

  ModelFiles files = open_model_files(store::resolve_model_path(args.model));
  const ModelConfig& config = files.config;
  const std::int64_t n = static_cast<std::int64_t>(ids.size());
  // The last greedy token is never fed back, so n + greedy - 1 positions are computed.
  const std::int64_t positions = n + std::max(args.greedy - 1, 0);
  require(config.context_length <= 0 || positions <= config.context_length,
          "{} input ids plus {} greedy tokens need {} positions, more than the model's context length of {}", n,
          args.greedy, positions, config.context_length);
  for (std::int32_t id : ids)
    require(id < config.vocab_size, "--ids: token id {} is outside the vocabulary (0..{})", id, config.vocab_size - 1);

  BackendOptions backend_options;
  backend_options.threads = args.threads;
  auto backend = create_backend(backend_options);
  auto model = load_model(files, *backend);
  auto cache = model->create_kv_cache(positions, 16, kv_cache_dtype(args.kv_cache_type));
  cache->add_sequence(0);

  nlohmann::ordered_json out;  // keys in the documented order
  out["positions"] = nlohmann::ordered_json::array();
  Batch batch;
  Logits logits;
  std::vector<float> last;
  for (std::int64_t begin = 0; begin < n; begin += kChunkTokens) {
    const std::int64_t end = std::min(n, begin + kChunkTokens);
    batch.clear();
    for (std::int64_t t = begin; t < end; ++t) batch.add(ids[t], 0, static_cast<std::int32_t>(t), true);
    model->forward(batch, *cache, logits);
    for (std::int64_t r = 0; r < logits.n_rows; ++r)
      out["positions"].push_back({{"top", top_entries(logits.row(r), args.top)}});
    if (end == n) {
      auto row = logits.row(logits.n_rows - 1);
      last.assign(row.begin(), row.end());
    }
  }
  if (!args.dump_last.empty()) write_f32_le(args.dump_last, last);

  out["greedy"] = nlohmann::ordered_json::array();
  std::int32_t next = argmax(last);
  for (int i = 0; i < args.greedy; ++i) {
    out["greedy"].push_back(next);
    if (i + 1 == args.greedy) break;
    batch.clear();
    batch.add(next, 0, static_cast<std::int32_t>(n + i), true);
    model->forward(batch, *cache, logits);
    next = argmax(logits.row(0));
  }
  std::string text = out.dump();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace

void add_logits_command(CLI::App& app) {
  auto args = std::make_shared<LogitsArgs>();
  CLI::App* cmd = app.add_subcommand("logits", "Print the top logits at every position of a token sequence (JSON)");
  cmd->add_option("MODEL", args->model, "GGUF file, Hugging Face model folder, or a model name in the local store")
      ->required();
  cmd->add_option("--ids", args->ids, "Input token ids, comma-separated (e.g. 9707,11,1879)")->required();
  cmd->add_option("--top", args->top, "Logits to list per position, largest first")->capture_default_str();
  cmd->add_option("--greedy", args->greedy, "Tokens of argmax continuation to append (no early stop)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "CPU threads (default: one per core)");
  add_kv_cache_type_flag(cmd, &args->kv_cache_type);
  cmd->add_option("--dump-last", args->dump_last, "Write the last position's full logits to FILE as f32 little-endian");
  cmd->callback([args] { run_logits(*args); });
}

}  // namespace hearth::cli
