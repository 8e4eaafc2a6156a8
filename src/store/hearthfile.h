#pragma once
// Hearthfile: how `hearth create NAME -f Hearthfile` describes a model (the shape of Ollama's
// Modelfile). One instruction per line, case-insensitive; a line starting with '#' is a comment:
//
//   # FROM: a GGUF file, a Hugging Face folder, or a model name in the store
//   FROM ./qwen3-30b-a3b-q4_k_m.gguf
//   # TEMPLATE: a Jinja chat template replacing the model's own
//   TEMPLATE """{% for m in messages %}…"""
//   SYSTEM """You are a helpful assistant."""
//   PARAMETER temperature 0.6
//   PARAMETER stop "<|im_end|>"
//   LICENSE """Apache-2.0 …"""
//
// PARAMETER stop and LICENSE may be repeated.
// Values are the rest of the line, a "double-quoted string" (with \" \\ \n escapes), or a
// """triple-quoted""" block that may span lines. Relative FROM paths are relative to the
// Hearthfile's folder.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::store {

struct Hearthfile {
  std::string from;                 // as written
  std::filesystem::path from_path;  // FROM resolved against the Hearthfile's folder when that exists
  std::optional<std::string> chat_template;
  std::optional<std::string> system;
  nlohmann::json parameters = nlohmann::json::object();  // typed values; "stop" is an array
  std::vector<std::string> licenses;
};

// Throws hearth::Error "Hearthfile line N: …".
Hearthfile parse_hearthfile(std::string_view text, const std::filesystem::path& base_dir);

// Known PARAMETER names and their types, for validation and `hearth show`.
bool is_known_parameter(std::string_view name);

}  // namespace hearth::store
