#pragma once
// Quantization mixtures by the names llama.cpp users know (q4_k_m, q8_0, ...): which type each tensor of a
// model gets. The rule (docs/quantization.md has the table):
//   - 1-D tensors (norms, biases) and the MoE router (ffn_gate_inp) stay F32.
//   - The output projection (output.weight, or token_embd.weight when the embeddings are tied) is Q6_K in every
//     quantized mixture except q8_0 (Q8_0): it is read once per token and its errors reach every logit.
//   - q4_k_m / q5_k_m: attn_v and ffn_down (ffn_down_exps too) become Q6_K in the layers that matter most:
//     the first and last eighth of the layers and every third layer in between (llama.cpp's "use_more_bits").
//   - q4_k_s: attn_v of the first 4 layers and ffn_down of the first eighth become Q5_K.
//   - Everything else, token_embd included, takes the mixture's base type.
//   - A tensor whose row length is not a multiple of the chosen type's block (256 for K-quants, 32 for
//     Q8_0/Q4_0) falls back to Q8_0 when the row is a multiple of 32, else to F16.
// general.file_type is llama.cpp's LLAMA_FTYPE number of the mixture.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/dtype.h"

namespace hearth {

enum class QuantMixKind { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K_S, kQ4_K_M, kQ5_K_M, kQ6_K };

struct QuantMix {
  QuantMixKind kind = QuantMixKind::kF16;
  std::string_view name;        // "q4_k_m"
  DType base = DType::F16;      // the type most matrices get
  std::uint32_t file_type = 1;  // general.file_type (LLAMA_FTYPE_*)

  bool quantized() const { return base != DType::F32 && base != DType::F16 && base != DType::BF16; }
};

// Case-insensitive lookup ("Q4_K_M" works); nullopt when unknown.
std::optional<QuantMix> find_quant_mix(std::string_view name);
// "f32, f16, bf16, q8_0, q4_0, q4_k_s, q4_k_m, q5_k_m, q6_k" (for messages and --help).
std::string quant_mix_names();

// The type a tensor gets when stored as `wanted` with rows of `row_length`: `wanted` when the row holds whole
// blocks, else Q8_0 (rows of a multiple of 32), else F16. Float types are returned unchanged.
DType storable_type(DType wanted, std::int64_t row_length);

// Applies a mixture to the tensors of one model.
class TensorTypePlan {
 public:
  // n_layers: the model's block count; has_output: whether the file has an output.weight (untied embeddings).
  TensorTypePlan(const QuantMix& mix, std::int64_t n_layers, bool has_output);

  // The type of tensor `name` with `shape` (outermost first), fallback included.
  DType type_for(const std::string& name, const std::vector<std::int64_t>& shape) const;

 private:
  QuantMix mix_;
  std::int64_t n_layers_;
  bool has_output_;
};

// The layer index of a "blk.N.*" tensor name, or -1.
std::int64_t layer_of(std::string_view name);

}  // namespace hearth
