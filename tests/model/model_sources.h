#pragma once
// Where the model tests get their models: the shared Hugging Face folders, or GGUF files converted from
// them once per test process (format/hf_to_gguf.h, what `hearth convert` runs).
#include <filesystem>
#include <string>

#include "tensor/dtype.h"

namespace hearth::test {

// shared/models/NAME
std::filesystem::path hf_model_dir(const std::string& name);
// NAME converted to a GGUF file with matrices in `type` (F32, F16 or BF16), cached per process.
std::filesystem::path converted_gguf(const std::string& name, DType type);

}  // namespace hearth::test
