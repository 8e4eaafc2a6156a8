#pragma once
// ModelConfig / GenerationConfig <-> GGUF metadata ("{arch}.block_count", "{arch}.attention.*",
// "{arch}.expert_*", "tokenizer.ggml.*_token_id", ...), as llama.cpp reads and writes them.
#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/model_config.h"

namespace hearth {

// Throws hearth::Error naming the missing/invalid key or the unsupported general.architecture.
ModelConfig model_config_from_gguf(const GgufFile& file);
GenerationConfig generation_config_from_gguf(const GgufFile& file);
// Writes general.architecture and every {arch}.* key llama.cpp needs for this architecture.
void write_model_config(GgufWriter& writer, const ModelConfig& config);

}  // namespace hearth
