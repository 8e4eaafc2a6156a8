#pragma once
// The one list of configuration keys. Each entry knows its YAML path, flag, environment variable, help text,
// how to type-check a raw value and where the value goes in Config. Adding a key means adding one entry.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/value_parse.h"

namespace hearth::config {

enum class ValueKind { kInteger, kNumber, kBool, kString, kStringList, kDuration, kSize, kChoice };

struct OptionSpec {
  std::string path;  // "engine.max_batch_tokens"
  std::string flag;  // "--max-batch-tokens"
  std::string env;   // "HEARTH_ENGINE_MAX_BATCH_TOKENS"
  ValueKind kind;
  std::string help;
  // Stores a value into the config; throws ValueError (message without the key) when the value does not fit.
  std::function<void(Config&, const RawValue&)> apply;
  // Renders the current value for dump_config_yaml (already YAML-safe scalars or flow lists).
  std::function<std::string(const Config&)> show;
  bool secret = false;  // redacted when dumped
};

const std::vector<OptionSpec>& option_table();
const OptionSpec* find_option(std::string_view path);
// The closest key path to an unknown one, for "did you mean" hints; empty when nothing is close.
std::string closest_option_path(std::string_view unknown);
// "engine.max_batch_tokens" -> "HEARTH_ENGINE_MAX_BATCH_TOKENS".
std::string env_name_for(std::string_view path);

}  // namespace hearth::config
