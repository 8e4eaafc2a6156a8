#pragma once
// Turns what a user typed as MODEL into something the loaders open: a path that exists is used as
// is; otherwise the text is a model name in the local store ("qwen3:30b-a3b",
// "127.0.0.1:5000/library/tiny:q8_0"), which resolves to its GGUF blob, or, for models stored as
// Hugging Face files, to a folder of symlinks to its blobs (materialised once per manifest under
// <store>/folders/). Every command that accepts MODEL calls this first.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/model_store.h"
#include "store/reference.h"

namespace hearth::store {

struct ResolvedModel {
  std::string path;                   // GGUF file or model folder for open_model_files()
  std::optional<ModelReference> ref;  // set when the model came from the store
  std::string manifest_digest;        // idem
  // Extra layers from the store (hearth create): they override what the model files say.
  std::string chat_template;  // Jinja; empty when none
  std::string system_prompt;
  nlohmann::json params = nlohmann::json::object();  // default sampling parameters (Ollama names)
  std::string license;
};

// Throws hearth::Error with one line: "'x' is neither a file nor a model in the store …".
ResolvedModel resolve_model(const std::string& model, const ModelStore& store);
ResolvedModel resolve_model(const std::string& model);  // the default store (HEARTH_MODELS)
std::string resolve_model_path(const std::string& model);

// The folder of symlinks for a stored multi-file model (created when missing). Exposed for tests.
std::string materialise_folder(const ModelStore& store, const StoredModel& model);

}  // namespace hearth::store
