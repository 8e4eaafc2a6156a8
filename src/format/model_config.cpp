#include "format/model_config.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace hearth {
namespace {

using nlohmann::json;

std::int64_t get_int(const json& j, const char* key) {
  auto it = j.find(key);
  require(it != j.end() && it->is_number_integer(), "config.json: missing integer '{}'", key);
  return it->get<std::int64_t>();
}

template <typename T>
T get_or(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail("config.json: '{}' has the wrong type", key);
  }
}

std::string arch_from_hf(const json& config) {
  std::string model_type = get_or<std::string>(config, "model_type", "");
  if (model_type == "qwen2") return "qwen2";
  if (model_type == "qwen3") return "qwen3";
  if (model_type == "qwen3_moe") return "qwen3moe";
  std::string archs;
  if (auto it = config.find("architectures"); it != config.end() && it->is_array() && !it->empty())
    archs = it->front().is_string() ? it->front().get<std::string>() : "";
  fail("unsupported architecture '{}'{}: Hearth runs qwen2, qwen3 and qwen3_moe models",
       model_type.empty() ? "(no model_type)" : model_type, archs.empty() ? "" : " (" + archs + ")");
}

}  // namespace

bool ModelConfig::layer_is_moe(std::int64_t layer) const {
  if (!is_moe()) return false;
  if (std::find(mlp_only_layers.begin(), mlp_only_layers.end(), layer) != mlp_only_layers.end()) return false;
  return decoder_sparse_step > 0 && (layer + 1) % decoder_sparse_step == 0;
}

void ModelConfig::validate() const {
  // Upper bounds far above any real model keep a corrupted file from asking for absurd tensor
  // lists or overflowing shape arithmetic (llama.cpp's own limits are 512 layers / 512 experts).
  auto bounded = [](const char* what, std::int64_t v, std::int64_t limit) {
    require(v <= limit, "model config: {} {} is larger than the supported {}", what, v, limit);
  };
  bounded("vocab_size", vocab_size, std::int64_t{1} << 31);
  bounded("hidden_size", hidden_size, std::int64_t{1} << 20);
  bounded("num_hidden_layers", n_layers, 4096);
  bounded("num_attention_heads", n_heads, 4096);
  bounded("num_key_value_heads", n_kv_heads, 4096);
  bounded("head_dim", head_dim, 1 << 16);
  bounded("intermediate_size", ffn_size, std::int64_t{1} << 24);
  bounded("moe_intermediate_size", expert_ffn_size, std::int64_t{1} << 24);
  bounded("num_experts", n_experts, 4096);
  require(ffn_size >= 0 && expert_ffn_size >= 0 && n_experts >= 0 && n_experts_used >= 0,
          "model config: negative FFN or expert sizes");
  require(context_length >= 0, "model config: negative context length {}", context_length);
  require(vocab_size > 0, "model config: vocab_size must be positive");
  require(hidden_size > 0, "model config: hidden_size must be positive");
  require(n_layers > 0, "model config: num_hidden_layers must be positive");
  require(n_heads > 0 && n_kv_heads > 0, "model config: attention head counts must be positive");
  require(n_heads % n_kv_heads == 0, "model config: {} attention heads is not a multiple of {} KV heads", n_heads,
          n_kv_heads);
  require(head_dim > 0 && head_dim % 2 == 0, "model config: head_dim {} must be positive and even", head_dim);
  require(rms_norm_eps > 0 && std::isfinite(rms_norm_eps), "model config: rms_norm_eps must be positive");
  require(rope_theta > 0 && std::isfinite(rope_theta), "model config: rope_theta must be positive");
  if (is_moe()) {
    require(n_experts_used > 0 && n_experts_used <= n_experts, "model config: {} experts per token is outside 1..{}",
            n_experts_used, n_experts);
    require(expert_ffn_size > 0, "model config: moe_intermediate_size must be positive");
  }
  bool needs_dense = !is_moe();
  for (std::int64_t l = 0; l < n_layers && !needs_dense; ++l) needs_dense = !layer_is_moe(l);
  if (needs_dense) require(ffn_size > 0, "model config: intermediate_size must be positive");
}

ModelConfig model_config_from_hf(const json& config) {
  require(config.is_object(), "config.json: expected a JSON object");
  ModelConfig c;
  c.arch = arch_from_hf(config);
  c.vocab_size = get_int(config, "vocab_size");
  c.hidden_size = get_int(config, "hidden_size");
  c.n_layers = get_int(config, "num_hidden_layers");
  c.n_heads = get_int(config, "num_attention_heads");
  c.n_kv_heads = get_or<std::int64_t>(config, "num_key_value_heads", c.n_heads);
  c.head_dim = get_or<std::int64_t>(config, "head_dim", c.n_heads > 0 ? c.hidden_size / c.n_heads : 0);
  c.ffn_size = get_or<std::int64_t>(config, "intermediate_size", 0);
  c.rms_norm_eps = get_or<float>(config, "rms_norm_eps", 1e-6f);
  c.rope_theta = get_or<float>(config, "rope_theta", 10000.0f);
  c.context_length = get_or<std::int64_t>(config, "max_position_embeddings", 4096);
  c.tie_word_embeddings = get_or<bool>(config, "tie_word_embeddings", false);
  if (c.arch == "qwen2") {
    c.attention_bias = true;
  } else {
    c.attention_bias = get_or<bool>(config, "attention_bias", false);
    c.qk_norm = true;
  }
  if (c.arch == "qwen3moe") {
    c.n_experts = get_int(config, "num_experts");
    c.n_experts_used = get_int(config, "num_experts_per_tok");
    c.expert_ffn_size = get_int(config, "moe_intermediate_size");
    c.norm_topk_prob = get_or<bool>(config, "norm_topk_prob", true);
    c.decoder_sparse_step = get_or<std::int64_t>(config, "decoder_sparse_step", 1);
    c.mlp_only_layers = get_or<std::vector<std::int64_t>>(config, "mlp_only_layers", {});
  }
  if (auto it = config.find("rope_scaling"); it != config.end() && !it->is_null())
    fail("config.json: rope_scaling {} is not supported yet", it->dump());
  c.validate();
  return c;
}

GenerationConfig generation_config_from_hf(const json& config) {
  GenerationConfig g;
  if (!config.is_object()) return g;
  auto opt_int = [&](const char* key) -> std::optional<std::int64_t> {
    auto it = config.find(key);
    if (it == config.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  auto opt_float = [&](const char* key) -> std::optional<float> {
    auto it = config.find(key);
    if (it == config.end() || !it->is_number()) return std::nullopt;
    return it->get<float>();
  };
  g.bos_token_id = opt_int("bos_token_id");
  g.pad_token_id = opt_int("pad_token_id");
  if (auto it = config.find("eos_token_id"); it != config.end()) {
    if (it->is_number_integer()) g.eos_token_ids.push_back(it->get<std::int64_t>());
    if (it->is_array())
      for (const auto& v : *it)
        if (v.is_number_integer()) g.eos_token_ids.push_back(v.get<std::int64_t>());
  }
  g.do_sample = get_or<bool>(config, "do_sample", false);
  g.temperature = opt_float("temperature");
  g.top_k = opt_int("top_k");
  g.top_p = opt_float("top_p");
  g.min_p = opt_float("min_p");
  g.repetition_penalty = opt_float("repetition_penalty");
  return g;
}

}  // namespace hearth
