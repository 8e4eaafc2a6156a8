#include "model/decoder_blocks.h"

#include <fmt/format.h>

#include <cmath>

#include "format/weight_store.h"
#include "util/error.h"

namespace hearth {

std::string layer_tensor(std::int64_t layer, const char* suffix) { return fmt::format("blk.{}.{}", layer, suffix); }

Weight WeightBinder::get(const std::string& name, const std::vector<std::int64_t>& shape) {
  return backend_.bind(store_.get(name, shape));
}

Weight WeightBinder::optional(const std::string& name, const std::vector<std::int64_t>& shape) {
  if (!store_.contains(name)) return {};
  return get(name, shape);
}

bool WeightBinder::has(const std::string& name) const { return store_.contains(name); }

Weight WeightBinder::expert(const std::string& name, std::int64_t e, const std::vector<std::int64_t>& shape) {
  return backend_.bind(store_.expert(name, e, shape));
}

OutputWeights bind_output(WeightBinder& w, const ModelConfig& c) {
  OutputWeights o;
  o.token_embd = w.get("token_embd.weight", {c.vocab_size, c.hidden_size});
  o.output_norm = w.get("output_norm.weight", {c.hidden_size});
  if (w.has("output.weight")) {
    o.output = w.get("output.weight", {c.vocab_size, c.hidden_size});
  } else {
    // Computing with the embedding here would silently give garbage for an untied model.
    require(c.tie_word_embeddings,
            "missing tensor output.weight: the model does not tie its word embeddings (tie_word_embeddings is "
            "false), so it needs its own output projection (lm_head)");
    o.output = o.token_embd;
  }
  return o;
}

AttentionWeights bind_attention(WeightBinder& w, const ModelConfig& c, std::int64_t layer, const AttentionOptions& o) {
  const std::int64_t q_dim = c.n_heads * c.head_dim;
  const std::int64_t kv_dim = c.n_kv_heads * c.head_dim;
  AttentionWeights a;
  a.norm = w.get(layer_tensor(layer, "attn_norm.weight"), {c.hidden_size});
  a.q = w.get(layer_tensor(layer, "attn_q.weight"), {q_dim, c.hidden_size});
  a.k = w.get(layer_tensor(layer, "attn_k.weight"), {kv_dim, c.hidden_size});
  a.v = w.get(layer_tensor(layer, "attn_v.weight"), {kv_dim, c.hidden_size});
  a.output = w.get(layer_tensor(layer, "attn_output.weight"), {c.hidden_size, q_dim});
  if (o.qkv_bias) {
    for (const char* b : {"attn_q.bias", "attn_k.bias", "attn_v.bias"}) {
      std::string name = layer_tensor(layer, b);
      require(w.has(name),
              "missing tensor {}: {} models need q/k/v projection biases (without them the output "
              "is garbage)",
              name, c.arch);
    }
    a.q_bias = w.get(layer_tensor(layer, "attn_q.bias"), {q_dim});
    a.k_bias = w.get(layer_tensor(layer, "attn_k.bias"), {kv_dim});
    a.v_bias = w.get(layer_tensor(layer, "attn_v.bias"), {kv_dim});
  }
  if (o.qk_norm) {
    a.q_norm = w.get(layer_tensor(layer, "attn_q_norm.weight"), {c.head_dim});
    a.k_norm = w.get(layer_tensor(layer, "attn_k_norm.weight"), {c.head_dim});
  }
  return a;
}

DenseFfnWeights bind_dense_ffn(WeightBinder& w, const ModelConfig& c, std::int64_t layer) {
  DenseFfnWeights f;
  f.norm = w.get(layer_tensor(layer, "ffn_norm.weight"), {c.hidden_size});
  f.gate = w.get(layer_tensor(layer, "ffn_gate.weight"), {c.ffn_size, c.hidden_size});
  f.up = w.get(layer_tensor(layer, "ffn_up.weight"), {c.ffn_size, c.hidden_size});
  f.down = w.get(layer_tensor(layer, "ffn_down.weight"), {c.hidden_size, c.ffn_size});
  return f;
}

MoeFfnWeights bind_moe_ffn(WeightBinder& w, const ModelConfig& c, std::int64_t layer) {
  MoeFfnWeights m;
  m.norm = w.get(layer_tensor(layer, "ffn_norm.weight"), {c.hidden_size});
  m.router = w.get(layer_tensor(layer, "ffn_gate_inp.weight"), {c.n_experts, c.hidden_size});
  const std::string gate = layer_tensor(layer, "ffn_gate_exps.weight");
  const std::string up = layer_tensor(layer, "ffn_up_exps.weight");
  const std::string down = layer_tensor(layer, "ffn_down_exps.weight");
  for (std::int64_t e = 0; e < c.n_experts; ++e) {
    m.experts.gate.push_back(w.expert(gate, e, {c.expert_ffn_size, c.hidden_size}));
    m.experts.up.push_back(w.expert(up, e, {c.expert_ffn_size, c.hidden_size}));
    m.experts.down.push_back(w.expert(down, e, {c.hidden_size, c.expert_ffn_size}));
  }
  return m;
}

void attention_block(Backend& b, Tensor& x, const AttentionWeights& w, const ModelConfig& c, KvStorage& kv,
                     std::int64_t layer) {
  const float eps = c.rms_norm_eps;
  Tensor h = b.rms_norm(x, w.norm, eps);
  Tensor q = b.matmul(h, w.q, w.q_bias);
  Tensor k = b.matmul(h, w.k, w.k_bias);
  Tensor v = b.matmul(h, w.v, w.v_bias);
  if (w.q_norm) {
    q = b.rms_norm(q, w.q_norm, eps);
    k = b.rms_norm(k, w.k_norm, eps);
  }
  b.rope(q, c.head_dim, c.rope_theta);
  b.rope(k, c.head_dim, c.rope_theta);
  AttentionShape shape{c.n_heads, c.n_kv_heads, c.head_dim, 1.0f / std::sqrt(static_cast<float>(c.head_dim))};
  Tensor a = b.attention(q, k, v, kv, layer, shape);
  b.add(x, b.matmul(a, w.output));
}

void dense_ffn_block(Backend& b, Tensor& x, const DenseFfnWeights& w, const ModelConfig& c) {
  Tensor h = b.rms_norm(x, w.norm, c.rms_norm_eps);
  Tensor act = b.swiglu(b.matmul(h, w.gate), b.matmul(h, w.up));
  b.add(x, b.matmul(act, w.down));
}

void moe_ffn_block(Backend& b, Tensor& x, const MoeFfnWeights& w, const ModelConfig& c) {
  Tensor h = b.rms_norm(x, w.norm, c.rms_norm_eps);
  b.add(x, b.moe(h, w.router, w.experts, MoeParams{c.n_experts_used, c.norm_topk_prob}));
}

Tensor output_logits(Backend& b, const Tensor& x, const OutputWeights& w, const ModelConfig& c,
                     const ForwardPlan& plan) {
  if (plan.output_rows.empty()) return Tensor{0, c.vocab_size, nullptr};
  Tensor h = b.gather_rows(x, plan.output_rows);
  h = b.rms_norm(h, w.output_norm, c.rms_norm_eps);
  return b.matmul(h, w.output);
}

}  // namespace hearth
