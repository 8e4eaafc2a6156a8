#include "config/option_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace hearth::config {

namespace {

template <typename T>
using Ref = T& (*)(Config&);

// YAML double-quoted scalars accept JSON-style escapes.
std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string yaml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + yaml_quote(items[i]);
  return out + "]";
}

std::string format_number(double d) {
  std::string s = fmt::format("{}", d);
  return s;
}

void check_range(std::int64_t v, std::int64_t lo, std::int64_t hi) {
  if (v >= lo && v <= hi) return;
  if (hi == std::numeric_limits<int>::max()) throw ValueError(fmt::format("must be at least {}, got {}", lo, v));
  throw ValueError(fmt::format("must be between {} and {}, got {}", lo, hi, v));
}

struct Builder {
  std::vector<OptionSpec> options;

  void add(std::string path, std::string flag, ValueKind kind, std::string help,
           std::function<void(Config&, const RawValue&)> apply, std::function<std::string(const Config&)> show,
           bool secret = false) {
    options.push_back(OptionSpec{path, std::move(flag), env_name_for(path), kind, std::move(help), std::move(apply),
                                 std::move(show), secret});
  }

  void integer(std::string path, std::string flag, std::string help, Ref<int> ref, std::int64_t lo,
               std::int64_t hi = std::numeric_limits<int>::max()) {
    add(
        std::move(path), std::move(flag), ValueKind::kInteger, std::move(help),
        [ref, lo, hi](Config& c, const RawValue& v) {
          std::int64_t n = parse_integer(v);
          check_range(n, lo, hi);
          ref(c) = static_cast<int>(n);
        },
        [ref](const Config& c) { return std::to_string(ref(const_cast<Config&>(c))); });
  }

  void boolean(std::string path, std::string flag, std::string help, Ref<bool> ref) {
    add(
        std::move(path), std::move(flag), ValueKind::kBool, std::move(help),
        [ref](Config& c, const RawValue& v) { ref(c) = parse_bool(v); },
        [ref](const Config& c) { return std::string(ref(const_cast<Config&>(c)) ? "true" : "false"); });
  }

  void string(std::string path, std::string flag, std::string help, Ref<std::string> ref) {
    add(
        std::move(path), std::move(flag), ValueKind::kString, std::move(help),
        [ref](Config& c, const RawValue& v) { ref(c) = parse_string(v); },
        [ref](const Config& c) { return yaml_quote(ref(const_cast<Config&>(c))); });
  }

  void choice(std::string path, std::string flag, std::string help, Ref<std::string> ref,
              std::vector<std::string> allowed) {
    add(
        std::move(path), std::move(flag), ValueKind::kChoice, std::move(help),
        [ref, allowed](Config& c, const RawValue& v) {
          std::string s = v.shape == RawValue::Shape::kScalar ? v.scalar : std::string();
          std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
          if (v.shape != RawValue::Shape::kScalar || std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
            throw ValueError(fmt::format("expected one of {}, got {}", fmt::join(allowed, ", "), describe(v)));
          }
          ref(c) = s;
        },
        [ref](const Config& c) { return ref(const_cast<Config&>(c)); });
  }

  void list(std::string path, std::string flag, std::string help, Ref<std::vector<std::string>> ref,
            bool secret = false) {
    add(
        std::move(path), std::move(flag), ValueKind::kStringList, std::move(help),
        [ref](Config& c, const RawValue& v) {
          auto items = parse_string_list(v);
          for (const auto& item : items) {
            if (item.empty()) throw ValueError("list items must not be empty");
          }
          ref(c) = std::move(items);
        },
        [ref, secret](const Config& c) {
          auto items = ref(const_cast<Config&>(c));
          if (secret) {
            for (auto& item : items) item = "<redacted>";
          }
          return yaml_list(items);
        },
        secret);
  }

  // A duration; `allow_never` accepts negative values (meaning "never"); `min_ms` bounds the rest.
  void duration(std::string path, std::string flag, std::string help, Ref<Duration> ref, bool allow_never,
                std::int64_t min_ms) {
    add(
        std::move(path), std::move(flag), ValueKind::kDuration, std::move(help),
        [ref, allow_never, min_ms](Config& c, const RawValue& v) {
          Duration d = parse_duration(v);
          if (d.count() < 0 && !allow_never) throw ValueError(fmt::format("must not be negative, got {}", describe(v)));
          if (d.count() >= 0 && d.count() < min_ms) {
            throw ValueError(
                fmt::format("must be at least {}, got {}", format_duration(Duration{min_ms}), describe(v)));
          }
          ref(c) = d;
        },
        [ref](const Config& c) { return yaml_quote(format_duration(ref(const_cast<Config&>(c)))); });
  }
};

std::vector<OptionSpec> build_table() {
  Builder b;
  // Top level.
  b.string(
      "model", "--model", "GGUF file, Hugging Face folder or store name to serve",
      [](Config & c) -> auto& { return c.model; });
  b.string(
      "served_model_name", "--served-model-name", "model name clients use (default: from the model path)",
      [](Config & c) -> auto& { return c.served_model_name; });
  b.string(
      "prompt_template", "--prompt-template",
      "prompt template replacing the model's chat template ({{input}} is the user's message)",
      [](Config & c) -> auto& { return c.prompt_template; });
  b.string(
      "chat_template", "--chat-template", "Jinja file replacing the model's chat template",
      [](Config & c) -> auto& { return c.chat_template; });
  b.choice("log_level", "--log-level", "trace | debug | info | warn | error | off",
           [](Config & c) -> auto& { return c.log_level; }, {"trace", "debug", "info", "warn", "error", "off"});

  // engine.*
  b.integer(
      "engine.max_batch_tokens", "--max-batch-tokens", "tokens per forward step across all requests",
      [](Config & c) -> auto& { return c.engine.max_batch_tokens; }, 1, 1 << 24);
  b.choice("engine.precision", "--precision", "auto (the file's own types) | fp32 | fp16 | bf16",
           [](Config & c) -> auto& { return c.engine.precision; }, {"auto", "fp32", "fp16", "bf16"});
  b.add(
      "engine.gpu_memory", "--gpu-memory", ValueKind::kNumber,
      "share of device memory (CPU: of free RAM) Hearth may take, in (0, 1]",
      [](Config& c, const RawValue& v) {
        double d = parse_number(v);
        if (!(d > 0 && d <= 1)) throw ValueError(fmt::format("must be in (0, 1], got {}", describe(v)));
        c.engine.gpu_memory = d;
      },
      [](const Config& c) { return format_number(c.engine.gpu_memory); });
  b.integer(
      "engine.max_queue", "--max-queue", "waiting requests before admission control degrades service",
      [](Config & c) -> auto& { return c.engine.max_queue; }, 0, 1'000'000);
  b.integer(
      "engine.context", "--context", "tokens per sequence (0: the model's own maximum)",
      [](Config & c) -> auto& { return c.engine.context; }, 0, 1 << 24);
  b.boolean(
      "engine.warmup", "--warmup", "run a forward pass through every path before reporting ready",
      [](Config & c) -> auto& { return c.engine.warmup; });
  b.integer(
      "engine.threads", "--threads", "CPU compute threads (0: every online core)",
      [](Config & c) -> auto& { return c.engine.threads; }, 0, 4096);
  b.integer(
      "engine.max_sequences", "--max-sequences", "sequences that run concurrently",
      [](Config & c) -> auto& { return c.engine.max_sequences; }, 1, 65536);
  b.integer(
      "engine.block_size", "--block-size", "tokens per KV cache block",
      [](Config & c) -> auto& { return c.engine.block_size; }, 1, 4096);
  b.choice("engine.kv_cache_type", "--kv-cache-type", "element type of the KV cache: f16 (half the memory) | f32",
           [](Config & c) -> auto& { return c.engine.kv_cache_type; }, {"f16", "f32"});
  b.boolean(
      "engine.prefix_cache", "--prefix-cache", "reuse the KV cache of shared prompt prefixes",
      [](Config & c) -> auto& { return c.engine.prefix_cache; });
  b.choice("engine.device", "--device", "auto | cpu | cuda", [](Config & c) -> auto& { return c.engine.device; },
           {"auto", "cpu", "cuda"});
  b.duration(
      "engine.keep_alive", "--keep-alive", "unload the model after this long idle (-1: never, 0: at once)",
      [](Config & c) -> auto& { return c.engine.keep_alive; }, true, 0);
  b.add(
      "engine.overload_policy", "--overload-policy", ValueKind::kChoice,
      "when more than max_queue wait: reject | cap_max_tokens | shed_longest",
      [](Config& c, const RawValue& v) {
        std::string s = v.shape == RawValue::Shape::kScalar ? v.scalar : "";
        if (s == "reject") {
          c.engine.overload_policy = OverloadPolicy::kReject;
        } else if (s == "cap_max_tokens") {
          c.engine.overload_policy = OverloadPolicy::kCapMaxTokens;
        } else if (s == "shed_longest") {
          c.engine.overload_policy = OverloadPolicy::kShedLongest;
        } else {
          throw ValueError("expected one of reject, cap_max_tokens, shed_longest, got " + describe(v));
        }
      },
      [](const Config& c) { return std::string(overload_policy_name(c.engine.overload_policy)); });
  b.integer(
      "engine.overload_max_tokens", "--overload-max-tokens",
      "max_tokens cap under overload_policy "
      "cap_max_tokens",
      [](Config & c) -> auto& { return c.engine.overload_max_tokens; }, 1);
  b.duration(
      "engine.retry_after", "--retry-after", "Retry-After sent with 503 responses",
      [](Config & c) -> auto& { return c.engine.retry_after; }, false, 0);

  // server.*
  b.string(
      "server.host", "--host", "address to listen on", [](Config & c) -> auto& { return c.server.host; });
  b.integer(
      "server.port", "--port", "port to listen on (0: any free port)",
      [](Config & c) -> auto& { return c.server.port; }, 0, 65535);
  b.list(
      "server.api_keys", "--api-key", "accepted Bearer API keys (repeatable; empty: no authentication)",
      [](Config & c) -> auto& { return c.server.api_keys; }, /*secret=*/true);
  b.list(
      "server.cors_origins", "--cors-origin", "origins allowed by CORS (repeatable; \"*\": any)",
      [](Config & c) -> auto& { return c.server.cors_origins; });
  b.integer(
      "server.io_threads", "--io-threads", "threads that parse, template and tokenize requests",
      [](Config & c) -> auto& { return c.server.io_threads; }, 1, 256);
  b.add(
      "server.max_body_bytes", "--max-body-bytes", ValueKind::kSize, "largest accepted request body (e.g. 16MiB)",
      [](Config& c, const RawValue& v) {
        std::int64_t n = parse_size(v);
        if (n < 1024) throw ValueError(fmt::format("must be at least 1KiB, got {}", describe(v)));
        c.server.max_body_bytes = n;
      },
      [](const Config& c) { return yaml_quote(format_size(c.server.max_body_bytes)); });
  b.duration(
      "server.read_timeout", "--read-timeout", "time allowed to send a request's header and body",
      [](Config & c) -> auto& { return c.server.read_timeout; }, false, 1);
  b.duration(
      "server.idle_timeout", "--idle-timeout", "keep-alive connections idle this long are closed",
      [](Config & c) -> auto& { return c.server.idle_timeout; }, false, 1);
  b.duration(
      "server.write_timeout", "--write-timeout", "a client that reads nothing this long is dropped",
      [](Config & c) -> auto& { return c.server.write_timeout; }, false, 1);
  b.duration(
      "server.shutdown_timeout", "--shutdown-timeout", "on SIGTERM, in-flight requests get this long",
      [](Config & c) -> auto& { return c.server.shutdown_timeout; }, false, 0);
  b.integer(
      "server.max_connections", "--max-connections", "open connections at most",
      [](Config & c) -> auto& { return c.server.max_connections; }, 1, 1'000'000);
  b.boolean(
      "server.access_log", "--access-log", "log one line per request",
      [](Config & c) -> auto& { return c.server.access_log; });
  return std::move(b.options);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string env_name_for(std::string_view path) {
  std::string out = "HEARTH_";
  for (char c : path) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const std::vector<OptionSpec>& option_table() {
  static const std::vector<OptionSpec> table = build_table();
  return table;
}

const OptionSpec* find_option(std::string_view path) {
  for (const auto& o : option_table()) {
    if (o.path == path) return &o;
  }
  return nullptr;
}

std::string closest_option_path(std::string_view unknown) {
  std::string best;
  std::size_t best_distance = 4;  // farther than this is not a typo
  for (const auto& o : option_table()) {
    std::size_t d = edit_distance(unknown, o.path);
    // A key in the wrong section ("max_queue" at top level) is a likely mistake too.
    std::string_view leaf = std::string_view(o.path).substr(o.path.rfind('.') + 1);
    std::string_view unknown_leaf = unknown.substr(unknown.rfind('.') + 1);
    if (leaf == unknown_leaf && o.path != unknown) d = std::min<std::size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = o.path;
    }
  }
  return best;
}

}  // namespace hearth::config
