#pragma once
// What `hearth show` prints and what Hearth writes as manifest annotations: architecture, parameter
// counts (total and, for mixture-of-experts models, active per token), quantization, context length,
// chat template. Read from the model's metadata (open_model_files with load_weights=false) and its
// tensor shapes (GGUF tensor table / safetensors headers); tensor data is never read.
#include <cstdint>
#include <filesystem>
#include <string>

#include "store/manifest.h"

namespace hearth::store {

struct ModelInfo {
  std::string format;        // "gguf" | "safetensors"
  std::string architecture;  // "qwen3moe", "qwen3", "qwen2"
  bool moe = false;
  std::uint64_t parameters = 0;         // total
  std::uint64_t active_parameters = 0;  // per token (equals parameters for dense models)
  std::int64_t n_experts = 0, n_experts_used = 0;
  std::string quantization;  // lower-case: "q4_k_m", "q8_0", "bf16", "f16", "f32"
  std::int64_t context_length = 0;
  std::string chat_template;  // Jinja source; empty when the model has none
  std::string license;        // GGUF general.license or a LICENSE file in the folder
};

// Inspects a GGUF file or a Hugging Face folder. Throws hearth::Error naming the path and problem.
ModelInfo inspect_model(const std::filesystem::path& path);

// True when the file starts with the GGUF magic.
bool is_gguf_file(const std::filesystem::path& path);

// Lower-case quantization name for llama.cpp's general.file_type ("q4_k_m"); empty when unknown.
std::string gguf_file_type_name(std::int64_t file_type);
// Canonical spelling for comparisons: "FP16"/"float16" -> "f16", "BF16" -> "bf16", "Q4_K_M" -> "q4_k_m".
std::string normalize_quantization(std::string_view name);

// Manifest annotation keys Hearth writes at create/push time and search filters on.
namespace annotation {
inline constexpr std::string_view kArchitecture = "dev.hearth.model.architecture";
inline constexpr std::string_view kKind = "dev.hearth.model.kind";  // "moe" | "dense"
inline constexpr std::string_view kParameters = "dev.hearth.model.parameters";
inline constexpr std::string_view kActiveParameters = "dev.hearth.model.active_parameters";
inline constexpr std::string_view kQuantization = "dev.hearth.model.quantization";
inline constexpr std::string_view kContextLength = "dev.hearth.model.context_length";
inline constexpr std::string_view kFormat = "dev.hearth.model.format";
inline constexpr std::string_view kCreated = "org.opencontainers.image.created";
inline constexpr std::string_view kTitle = "org.opencontainers.image.title";
inline constexpr std::string_view kDescription = "org.opencontainers.image.description";
}  // namespace annotation

// The annotations above for `info`.
Annotations model_annotations(const ModelInfo& info);
// True when `a` carries Hearth's model annotations (architecture and parameters at least).
bool has_model_annotations(const Annotations& a);

}  // namespace hearth::store
