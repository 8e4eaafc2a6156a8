#include "format/model_tensors.h"

#include <fmt/format.h>

#include "util/error.h"

namespace hearth {

std::vector<ExpectedTensor> expected_tensors(const ModelConfig& c) {
  std::vector<ExpectedTensor> out;
  auto add = [&](std::string name, std::vector<std::int64_t> shape, bool stacked = false) {
    out.push_back({std::move(name), std::move(shape), stacked});
  };
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  add("token_embd.weight", {c.vocab_size, c.hidden_size});
  for (std::int64_t l = 0; l < c.n_layers; ++l) {
    auto blk = [&](const char* suffix) { return fmt::format("blk.{}.{}", l, suffix); };
    add(blk("attn_norm.weight"), {c.hidden_size});
    add(blk("attn_q.weight"), {q_dim, c.hidden_size});
    add(blk("attn_k.weight"), {kv_dim, c.hidden_size});
    add(blk("attn_v.weight"), {kv_dim, c.hidden_size});
    if (c.attention_bias) {
      add(blk("attn_q.bias"), {q_dim});
      add(blk("attn_k.bias"), {kv_dim});
      add(blk("attn_v.bias"), {kv_dim});
    }
    if (c.qk_norm) {
      add(blk("attn_q_norm.weight"), {c.head_dim});
      add(blk("attn_k_norm.weight"), {c.head_dim});
    }
    add(blk("attn_output.weight"), {c.hidden_size, q_dim});
    add(blk("ffn_norm.weight"), {c.hidden_size});
    if (c.layer_is_moe(l)) {
      add(blk("ffn_gate_inp.weight"), {c.n_experts, c.hidden_size});
      add(blk("ffn_gate_exps.weight"), {c.n_experts, c.expert_ffn_size, c.hidden_size}, true);
      add(blk("ffn_up_exps.weight"), {c.n_experts, c.expert_ffn_size, c.hidden_size}, true);
      add(blk("ffn_down_exps.weight"), {c.n_experts, c.hidden_size, c.expert_ffn_size}, true);
    } else {
      add(blk("ffn_gate.weight"), {c.ffn_size, c.hidden_size});
      add(blk("ffn_up.weight"), {c.ffn_size, c.hidden_size});
      add(blk("ffn_down.weight"), {c.hidden_size, c.ffn_size});
    }
  }
  add("output_norm.weight", {c.hidden_size});
  if (!c.tie_word_embeddings) add("output.weight", {c.vocab_size, c.hidden_size});
  return out;
}

namespace {

void check_dtype(const TensorView& view, const std::string& name) {
  DType d = view.dtype;
  require(d == DType::F32 || d == DType::F16 || d == DType::BF16 || dtype_info(d).quantized,
          "tensor {} has type {}, expected a floating-point or quantized type", name, dtype_name(d));
}

}  // namespace

void check_weights(const WeightStore& weights, const ModelConfig& config) {
  for (const auto& t : expected_tensors(config)) {
    if (!t.stacked_experts) {
      check_dtype(weights.get(t.name, t.shape), t.name);
      continue;
    }
    const std::vector<std::int64_t> expert_shape(t.shape.begin() + 1, t.shape.end());
    if (const auto* parts = weights.expert_parts(t.name)) {
      require(static_cast<std::int64_t>(parts->size()) <= t.shape[0], "tensor {} has {} experts, expected {}", t.name,
              parts->size(), t.shape[0]);
      for (std::int64_t e = 0; e < t.shape[0]; ++e) check_dtype(weights.expert(t.name, e, expert_shape), t.name);
    } else {
      check_dtype(weights.get(t.name, t.shape), t.name);
    }
  }
}

}  // namespace hearth
