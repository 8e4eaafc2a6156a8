#pragma once
// Everything that one model reference (a Hugging Face folder or a GGUF file) provides, in a
// format-neutral shape: hyper-parameters, weights, generation defaults and what the tokenizer
// and chat template are built from.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "format/gguf_reader.h"
#include "format/model_config.h"
#include "format/weight_store.h"

namespace hearth {

struct ModelFiles {
  enum class Kind { HfFolder, Gguf };
  Kind kind = Kind::HfFolder;
  std::string path;
  ModelConfig config;
  GenerationConfig generation;
  std::unique_ptr<WeightStore> weights;

  // Chat template (Jinja source) and the special-token strings templates use as variables
  // (bos_token, eos_token, pad_token, unk_token); empty when the model has none.
  std::string chat_template;
  nlohmann::json special_token_strings = nlohmann::json::object();

  // Tokenizer sources: tokenizer.json (+ tokenizer_config.json) for a folder, or the GGUF itself.
  std::string tokenizer_json_path;
  std::string tokenizer_config_path;
  std::shared_ptr<const GgufFile> gguf;  // set for Kind::Gguf
};

// Opens a folder or a .gguf file. With load_weights=false only metadata is read (tokenize,
// render). Throws hearth::Error naming the path and the problem; validates that every tensor
// the architecture needs is present with the right shape (see model/ for the binding).
ModelFiles open_model_files(const std::string& path, bool load_weights = true);

}  // namespace hearth
