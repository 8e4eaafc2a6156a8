#pragma once
// The descriptive half of server::ModelInfo (names, sizes, quantization, template capabilities) for a
// model opened from disk or the store. Tensor data is never read.
#include <cstdint>
#include <string>

#include "format/model_files.h"
#include "server/engine_interface.h"
#include "store/resolve.h"

namespace hearth::scheduler {

// Fills everything but context_length, vocab_size and the engine capabilities.
server::ModelInfo describe_model(const store::ResolvedModel& resolved, const ModelFiles& meta, const std::string& name);

// "30.5B", "596M", "12K" (Ollama's parameter_size style).
std::string format_parameter_count(std::uint64_t n);

}  // namespace hearth::scheduler
