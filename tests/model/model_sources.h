#pragma once
// Where the model tests get their models: the shared Hugging Face folders, or GGUF files converted from
// them (format/hf_to_gguf.h, what `hearth convert` runs) once per ctest run, or once per process outside ctest.
#include <filesystem>
#include <string>

#include "tensor/dtype.h"

namespace hearth::test {

// shared/models/NAME
std::filesystem::path hf_model_dir(const std::string& name);
// NAME converted to a GGUF file with matrices in `type` (F32, F16 or BF16); see model_sources.cpp for the cache.
std::filesystem::path converted_gguf(const std::string& name, DType type);

}  // namespace hearth::test
