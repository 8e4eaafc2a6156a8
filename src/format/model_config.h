#pragma once
// Architecture hyper-parameters, independent of the file format they came from. Architecture
// names are llama.cpp's GGUF names: "qwen2", "qwen3", "qwen3moe".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hearth {

struct ModelConfig {
  std::string arch;               // "qwen2" | "qwen3" | "qwen3moe"
  std::int64_t vocab_size = 0;    // rows of the embedding (may exceed the tokenizer's vocabulary)
  std::int64_t hidden_size = 0;
  std::int64_t n_layers = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t head_dim = 0;      // may differ from hidden_size / n_heads (Qwen3)
  std::int64_t ffn_size = 0;      // dense FFN width (intermediate_size)
  std::int64_t expert_ffn_size = 0;  // per-expert FFN width (moe_intermediate_size)
  std::int64_t n_experts = 0;        // 0 for dense models
  std::int64_t n_experts_used = 0;   // top-k
  bool norm_topk_prob = true;        // renormalise the top-k routing weights
  std::int64_t decoder_sparse_step = 1;
  std::vector<std::int64_t> mlp_only_layers;  // MoE models: layers that use a dense FFN instead
  float rms_norm_eps = 1e-6f;
  float rope_theta = 10000.0f;
  std::int64_t context_length = 0;   // max_position_embeddings
  bool tie_word_embeddings = false;
  bool attention_bias = false;       // q/k/v projections have biases (always for qwen2)
  bool qk_norm = false;              // per-head RMSNorm on q and k before RoPE (qwen3, qwen3moe)

  bool is_moe() const { return n_experts > 0; }
  // True when layer `layer` uses the MoE block (Qwen3-MoE's decoder_sparse_step / mlp_only_layers).
  bool layer_is_moe(std::int64_t layer) const;
  // Throws hearth::Error when values are missing or inconsistent (heads % kv_heads, etc.).
  void validate() const;
};

// Parses a Hugging Face config.json. Throws hearth::Error for unknown architectures or missing keys.
ModelConfig model_config_from_hf(const nlohmann::json& config);

// Default sampling parameters and stop tokens (Hugging Face generation_config.json).
struct GenerationConfig {
  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;
  std::optional<std::int64_t> pad_token_id;
  bool do_sample = false;
  std::optional<float> temperature;
  std::optional<std::int64_t> top_k;
  std::optional<float> top_p;
  std::optional<float> min_p;
  std::optional<float> repetition_penalty;
};

GenerationConfig generation_config_from_hf(const nlohmann::json& config);

}  // namespace hearth
