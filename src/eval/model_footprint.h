#pragma once
// Sizes that explain a model's speed and memory: what is on disk, how many parameters, and how many weight
// bytes one decoded token reads (the numerator of the memory-bandwidth floor for token generation).
#include <cstdint>

namespace hearth {
struct ModelFiles;
}

namespace hearth::eval {

struct ModelFootprint {
  std::int64_t file_bytes = 0;    // the .gguf file, or a folder's *.safetensors files
  std::int64_t n_params = 0;      // elements of every weight tensor
  std::int64_t weight_bytes = 0;  // bytes of every weight tensor as stored
  // Weight bytes one decode step reads: every tensor, except that the token embedding contributes one row
  // (unless it doubles as the output matrix, when no output.weight exists) and MoE expert tensors
  // ("*_exps") contribute n_experts_used / n_experts of their bytes.
  std::int64_t bytes_per_token = 0;
};

// `files` must have been opened with weights.
ModelFootprint model_footprint(const ModelFiles& files);

}  // namespace hearth::eval
