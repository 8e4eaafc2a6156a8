#pragma once
// hearth create: builds a model in the store from a Hearthfile. The weights come from FROM (a GGUF
// file, a Hugging Face folder whose files become one layer each, or a stored model whose layers are
// reused); TEMPLATE, SYSTEM, PARAMETER and LICENSE add layers. The manifest is an OCI manifest with
// the CNCF ModelPack artifact type and config, annotated with the model's architecture, parameter
// counts, quantization and context length (what `hearth search` filters on after a push).
// The FROM model is validated (its metadata is read) before anything is copied.
#include <cstdint>
#include <functional>
#include <string>

#include "store/hearthfile.h"
#include "store/model_info.h"
#include "store/model_store.h"

namespace hearth::store {

struct CreateResult {
  ModelReference ref;
  std::string manifest_digest;
  std::uint64_t size = 0;
  ModelInfo info;
};

// `status` receives one line per step ("copying model.safetensors"); may be empty.
CreateResult create_model(ModelStore& store, const std::string& name, const Hearthfile& hearthfile,
                          const std::function<void(const std::string&)>& status = {});

}  // namespace hearth::store
