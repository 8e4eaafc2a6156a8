#pragma once
// --kv-cache-type, shared by the commands that run a model: f16 (half the memory) or f32.
#include <CLI/CLI.hpp>

#include <string>

#include "tensor/dtype.h"

namespace hearth::cli {

inline void add_kv_cache_type_flag(CLI::App* cmd, std::string* value) {
  cmd->add_option("--kv-cache-type", *value, "Element type of the KV cache: f16 (half the memory) or f32")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
}

inline DType kv_cache_dtype(const std::string& value) { return value == "f32" ? DType::F32 : DType::F16; }

}  // namespace hearth::cli
