#pragma once
// Hearth's runtime configuration: config.yaml, HEARTH_* environment variables and command-line flags.
//
// Every key has one spelling in each source, derived from its path in config.yaml:
//   file:  engine: {max_batch_tokens: 4096}
//   env:   HEARTH_ENGINE_MAX_BATCH_TOKENS=4096     (list values: comma-separated)
//   flag:  --max-batch-tokens 4096                   (see option_table() for the flag names)
// Precedence: flag > environment > file > built-in default. Unknown keys and values of the wrong type are
// errors that name the key path ("engine.max_batch_tokens: expected an integer, got \"lots\"").
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hearth::config {

using Duration = std::chrono::milliseconds;

// What admission control does with a new request while more than `max_queue` requests wait.
enum class OverloadPolicy {
  kReject,        // 503 + Retry-After
  kCapMaxTokens,  // admit, but cap max_tokens at overload_max_tokens (503 once the queue reaches 2 x max_queue)
  kShedLongest,   // keep the queue at max_queue by rejecting whichever request has the longest prompt
};

struct EngineConfig {
  int max_batch_tokens = 4096;     // tokens per forward step across all requests
  std::string precision = "auto";  // auto (the file's own types) | fp32 | fp16 | bf16
  double gpu_memory = 0.8;         // share of device memory (CPU: share of free RAM) for weights + KV cache
  int max_queue = 100;             // waiting requests before admission control degrades service
  int context = 0;                 // tokens per sequence; 0 = the model's own maximum
  bool warmup = true;              // run a real forward pass through every path before reporting ready
  int threads = 0;                 // CPU compute threads; 0 = every online core
  int max_sequences = 64;          // sequences that run concurrently in one batch
  int block_size = 16;             // tokens per paged KV cache block
  std::string kv_cache_type = "f16";  // f16 (half the memory, llama.cpp's default) | f32
  bool prefix_cache = true;        // reuse KV blocks of prompts that share a prefix
  std::string device = "auto";     // auto | cpu | cuda
  Duration keep_alive{-1};         // unload the model after this long idle; negative = never, 0 = right away
  OverloadPolicy overload_policy = OverloadPolicy::kReject;
  int overload_max_tokens = 256;  // the cap used by OverloadPolicy::kCapMaxTokens
  Duration retry_after{1000};     // sent (in whole seconds) as Retry-After with 503 responses
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                         // 0 picks a free port (printed at start)
  std::vector<std::string> api_keys;       // empty: no authentication
  std::vector<std::string> cors_origins;   // empty: no CORS headers; "*" allows every origin
  int io_threads = 4;                      // threads that parse, template and tokenize requests
  std::int64_t max_body_bytes = 16 << 20;  // larger request bodies get 413
  Duration read_timeout{30'000};           // a request's header and body must arrive within this
  Duration idle_timeout{65'000};           // keep-alive connections with no request are closed after this
  Duration write_timeout{60'000};          // a client that reads nothing for this long is dropped
  Duration shutdown_timeout{25'000};       // SIGTERM: in-flight requests may finish within this, then are cancelled
  int max_connections = 1024;
  bool access_log = true;  // one info line per request
};

struct Config {
  std::string model;              // GGUF file, Hugging Face folder or store name
  std::string served_model_name;  // the name clients use; default: derived from `model`
  std::string prompt_template;    // replaces the model's chat template; {{input}} is the user's message
  std::string chat_template;      // a Jinja file that replaces the model's chat template
  std::string log_level = "info";
  EngineConfig engine;
  ServerConfig server;
};

// Where configuration comes from. Flag values are keyed by key path ("engine.max_batch_tokens"); a list key
// may receive several values. `env` maps variable names to values (tests pass their own; the CLI passes
// the process environment).
struct ConfigSources {
  std::optional<std::string> file;
  std::map<std::string, std::string> env;
  std::map<std::string, std::vector<std::string>> flags;
};

// Builds the effective configuration. Throws hearth::Error listing every problem found (joined by "; "),
// each naming its source and key path.
Config load_config(const ConfigSources& sources);

// Parses config.yaml text on top of `base` (file_name is used in messages). Throws like load_config.
Config parse_config_yaml(const std::string& text, const std::string& file_name, Config base = {});

// The process environment as a map (HEARTH_* variables only).
std::map<std::string, std::string> hearth_environment();

// The effective configuration as config.yaml text; API keys are redacted.
std::string dump_config_yaml(const Config& config);

std::string_view overload_policy_name(OverloadPolicy policy);

}  // namespace hearth::config
