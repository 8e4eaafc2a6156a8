#include "format/gguf_model_config.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace hearth {
namespace {

std::string key_of(const std::string& arch, const char* suffix) { return arch + "." + suffix; }

// A scalar hyper-parameter. llama.cpp also accepts per-layer arrays for a few keys; Hearth's
// architectures use one value for every layer, so arrays are refused with a clear message.
std::int64_t scalar_int(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  require(v != nullptr, "{}: missing", key);
  require(v->type != GgufType::ARRAY, "{}: per-layer values are not supported", key);
  return v->as_int(key);
}

std::int64_t scalar_int_or(const GgufFile& f, const std::string& key, std::int64_t fallback) {
  return f.has(key) ? scalar_int(f, key) : fallback;
}

float finite_float(const GgufFile& f, const std::string& key, double fallback) {
  double v = f.get_float_or(key, fallback);
  require(std::isfinite(v), "{}: value {} is not finite", key, v);
  return static_cast<float>(v);
}

GgufValue u32_value(const std::string& key, std::int64_t v) {
  require(v >= 0 && v <= std::numeric_limits<std::uint32_t>::max(), "{}: value {} does not fit in uint32", key, v);
  return GgufValue::u32(static_cast<std::uint32_t>(v));
}

}  // namespace

bool is_supported_gguf_architecture(const std::string& arch) {
  return arch == "qwen2" || arch == "qwen3" || arch == "qwen3moe";
}

ModelConfig model_config_from_gguf(const GgufFile& f) {
  ModelConfig c;
  c.arch = f.get_string("general.architecture");
  require(is_supported_gguf_architecture(c.arch),
          "unsupported architecture '{}': Hearth runs qwen2, qwen3 and qwen3moe models", c.arch);
  const std::string& a = c.arch;

  c.hidden_size = scalar_int(f, key_of(a, "embedding_length"));
  c.n_layers = scalar_int(f, key_of(a, "block_count"));
  c.n_heads = scalar_int(f, key_of(a, "attention.head_count"));
  c.n_kv_heads = scalar_int_or(f, key_of(a, "attention.head_count_kv"), c.n_heads);
  c.head_dim = scalar_int_or(f, key_of(a, "attention.key_length"), c.n_heads > 0 ? c.hidden_size / c.n_heads : 0);
  std::int64_t value_length = scalar_int_or(f, key_of(a, "attention.value_length"), c.head_dim);
  require(value_length == c.head_dim, "{} {} differs from {} {}: not supported", key_of(a, "attention.value_length"),
          value_length, key_of(a, "attention.key_length"), c.head_dim);
  std::int64_t rope_dims = scalar_int_or(f, key_of(a, "rope.dimension_count"), c.head_dim);
  require(rope_dims == c.head_dim, "{} {} differs from the head size {}: partial rotary embeddings are not supported",
          key_of(a, "rope.dimension_count"), rope_dims, c.head_dim);
  std::string scaling = f.get_string_or(key_of(a, "rope.scaling.type"), "none");
  double scaling_factor = f.get_float_or(key_of(a, "rope.scaling.factor"), 1.0);
  require(scaling == "none" || scaling_factor == 1.0 || scaling_factor == 0.0,
          "{} '{}' (factor {}) is not supported yet", key_of(a, "rope.scaling.type"), scaling, scaling_factor);
  c.ffn_size = scalar_int_or(f, key_of(a, "feed_forward_length"), 0);
  require(f.has(key_of(a, "attention.layer_norm_rms_epsilon")), "{}: missing",
          key_of(a, "attention.layer_norm_rms_epsilon"));
  c.rms_norm_eps = finite_float(f, key_of(a, "attention.layer_norm_rms_epsilon"), 0.0);
  c.rope_theta = finite_float(f, key_of(a, "rope.freq_base"), 10000.0);  // llama.cpp's default
  c.context_length = scalar_int(f, key_of(a, "context_length"));

  // The embedding's rows are the vocabulary the weights know (padded past the tokenizer's).
  if (const TensorView* embd = f.find_tensor("token_embd.weight"); embd != nullptr && embd->rank() == 2) {
    c.vocab_size = embd->dim(0);
  } else if (f.has(key_of(a, "vocab_size"))) {
    c.vocab_size = scalar_int(f, key_of(a, "vocab_size"));
  } else if (f.has("tokenizer.ggml.tokens")) {
    c.vocab_size = static_cast<std::int64_t>(f.get_array("tokenizer.ggml.tokens").items.size());
  }
  c.tie_word_embeddings = f.find_tensor("output.weight") == nullptr;

  if (a == "qwen2") {
    c.attention_bias = true;
  } else {
    c.qk_norm = true;
    c.attention_bias = f.find_tensor("blk.0.attn_q.bias") != nullptr;
  }
  if (a == "qwen3moe") {
    c.n_experts = scalar_int(f, key_of(a, "expert_count"));
    c.n_experts_used = scalar_int(f, key_of(a, "expert_used_count"));
    require(c.n_experts > 0, "{}: a qwen3moe model needs experts", key_of(a, "expert_count"));
    // llama.cpp's fallback when the key is absent: the dense width split over the active experts.
    std::int64_t fallback = c.n_experts_used > 0 ? c.ffn_size / c.n_experts_used : 0;
    c.expert_ffn_size = scalar_int_or(f, key_of(a, "expert_feed_forward_length"), fallback);
    c.norm_topk_prob = f.get_bool_or(key_of(a, "expert_weights_norm"), true);
    c.decoder_sparse_step = 1;  // every layer of llama.cpp's qwen3moe is an MoE layer
  }
  c.validate();
  return c;
}

GenerationConfig generation_config_from_gguf(const GgufFile& f) {
  GenerationConfig g;
  std::int64_t n_tokens = f.has("tokenizer.ggml.tokens")
                              ? static_cast<std::int64_t>(f.get_array("tokenizer.ggml.tokens").items.size())
                              : -1;
  auto token_id = [&](const char* key) -> std::optional<std::int64_t> {
    const GgufValue* v = f.find(key);
    if (v == nullptr) return std::nullopt;
    std::int64_t id = v->as_int(key);
    require(id >= 0 && (n_tokens < 0 || id < n_tokens), "{}: token id {} is outside the vocabulary ({} tokens)", key,
            id, n_tokens);
    return id;
  };
  g.bos_token_id = token_id("tokenizer.ggml.bos_token_id");
  g.pad_token_id = token_id("tokenizer.ggml.padding_token_id");
  auto add_eos = [&](std::optional<std::int64_t> id) {
    if (id && std::find(g.eos_token_ids.begin(), g.eos_token_ids.end(), *id) == g.eos_token_ids.end())
      g.eos_token_ids.push_back(*id);
  };
  add_eos(token_id("tokenizer.ggml.eos_token_id"));
  add_eos(token_id("tokenizer.ggml.eot_token_id"));
  add_eos(token_id("tokenizer.ggml.eom_token_id"));
  // GGUF has a single eos id where generation_config.json lists several; like llama.cpp, treat the
  // well-known end-of-text control tokens as end of generation too.
  if (n_tokens > 0 && f.has("tokenizer.ggml.token_type")) {
    const GgufArray& tokens = f.get_array("tokenizer.ggml.tokens");
    const GgufArray& types = f.get_array("tokenizer.ggml.token_type");
    constexpr std::int64_t kControl = 3;
    for (std::size_t i = 0; i < tokens.items.size() && i < types.items.size(); ++i) {
      const auto* text = std::get_if<std::string>(&tokens.items[i].value);
      if (text == nullptr || (*text != "<|endoftext|>" && *text != "<|im_end|>")) continue;
      if (types.items[i].is_integer() && types.items[i].as_int("tokenizer.ggml.token_type") == kControl)
        add_eos(static_cast<std::int64_t>(i));
    }
  }

  auto opt_float = [&](const char* key) -> std::optional<float> {
    const GgufValue* v = f.find(key);
    if (v == nullptr) return std::nullopt;
    double x = v->as_float(key);
    require(std::isfinite(x), "{}: value {} is not finite", key, x);
    return static_cast<float>(x);
  };
  g.temperature = opt_float("general.sampling.temp");
  g.top_p = opt_float("general.sampling.top_p");
  g.min_p = opt_float("general.sampling.min_p");
  g.repetition_penalty = opt_float("general.sampling.penalty_repeat");
  if (const GgufValue* v = f.find("general.sampling.top_k")) g.top_k = v->as_int("general.sampling.top_k");
  if (g.temperature) {
    g.do_sample = *g.temperature > 0.0f;
    if (!g.do_sample) g.temperature.reset();
  } else {
    g.do_sample = g.top_k.has_value() || g.top_p.has_value() || g.min_p.has_value();
  }
  return g;
}

void write_model_config(GgufWriter& w, const ModelConfig& c) {
  c.validate();
  require(is_supported_gguf_architecture(c.arch), "cannot write architecture '{}' to GGUF", c.arch);
  const std::string& a = c.arch;
  auto put_u32 = [&](const char* suffix, std::int64_t v) {
    std::string key = key_of(a, suffix);
    w.add_metadata(key, u32_value(key, v));
  };
  w.add_metadata("general.architecture", GgufValue::str(a));
  put_u32("context_length", c.context_length);
  put_u32("embedding_length", c.hidden_size);
  put_u32("block_count", c.n_layers);
  if (c.ffn_size > 0) put_u32("feed_forward_length", c.ffn_size);
  put_u32("attention.head_count", c.n_heads);
  put_u32("attention.head_count_kv", c.n_kv_heads);
  // head_dim may differ from hidden/heads (Qwen3): llama.cpp needs both lengths then.
  put_u32("attention.key_length", c.head_dim);
  put_u32("attention.value_length", c.head_dim);
  put_u32("rope.dimension_count", c.head_dim);
  w.add_metadata(key_of(a, "rope.freq_base"), GgufValue::f32(c.rope_theta));
  w.add_metadata(key_of(a, "attention.layer_norm_rms_epsilon"), GgufValue::f32(c.rms_norm_eps));
  if (a == "qwen3moe") {
    require(c.mlp_only_layers.empty() && c.decoder_sparse_step == 1,
            "this Qwen3-MoE model has dense layers (mlp_only_layers / decoder_sparse_step), which GGUF's qwen3moe "
            "architecture cannot express");
    put_u32("expert_count", c.n_experts);
    put_u32("expert_used_count", c.n_experts_used);
    put_u32("expert_feed_forward_length", c.expert_ffn_size);
    w.add_metadata(key_of(a, "expert_weights_norm"), GgufValue::boolean(c.norm_topk_prob));
  }
}

void write_sampling_defaults(GgufWriter& w, const GenerationConfig& g) {
  // Types as llama.cpp's gguf-py writes them: int32 for top_k, float32 otherwise.
  if (!g.do_sample) {
    w.add_metadata("general.sampling.temp", GgufValue::f32(0.0f));
    return;
  }
  if (g.top_k) {
    require(*g.top_k >= 0 && *g.top_k <= std::numeric_limits<std::int32_t>::max(), "top_k {} is out of range",
            *g.top_k);
    w.add_metadata("general.sampling.top_k", GgufValue::i32(static_cast<std::int32_t>(*g.top_k)));
  }
  if (g.top_p) w.add_metadata("general.sampling.top_p", GgufValue::f32(*g.top_p));
  if (g.min_p) w.add_metadata("general.sampling.min_p", GgufValue::f32(*g.min_p));
  if (g.temperature) w.add_metadata("general.sampling.temp", GgufValue::f32(*g.temperature));
  if (g.repetition_penalty) w.add_metadata("general.sampling.penalty_repeat", GgufValue::f32(*g.repetition_penalty));
}

}  // namespace hearth
