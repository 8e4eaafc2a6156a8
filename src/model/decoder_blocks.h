#pragma once
// Building blocks shared by the Qwen-family decoder architectures: weight binding by GGUF name with
// shape checks, and the attention / dense FFN / MoE FFN / output blocks written against Backend.
// Each architecture file composes them (see qwen3.cpp for the shape of a forward pass).
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "format/model_config.h"

namespace hearth {

class WeightStore;

// "blk.{layer}.{suffix}"
std::string layer_tensor(std::int64_t layer, const char* suffix);

// Looks weights up by GGUF name, checks their shape and binds them to the backend.
class WeightBinder {
 public:
  WeightBinder(const WeightStore& store, Backend& backend) : store_(store), backend_(backend) {}
  // Throws "missing tensor NAME" / "tensor NAME has shape [..], expected [..]".
  Weight get(const std::string& name, const std::vector<std::int64_t>& shape);
  // Empty Weight when absent; shape-checked when present.
  Weight optional(const std::string& name, const std::vector<std::int64_t>& shape);
  bool has(const std::string& name) const;
  // Expert e of a stacked expert tensor (blk.N.ffn_{gate,up,down}_exps.weight).
  Weight expert(const std::string& name, std::int64_t e, const std::vector<std::int64_t>& shape);

 private:
  const WeightStore& store_;
  Backend& backend_;
};

// Token embedding, final norm and output projection (the embedding itself when tied).
struct OutputWeights {
  Weight token_embd;   // {vocab, hidden}
  Weight output_norm;  // {1, hidden}
  Weight output;       // {vocab, hidden}
};
// Refuses a model with untied embeddings and no output.weight.
OutputWeights bind_output(WeightBinder& w, const ModelConfig& c);

struct AttentionOptions {
  bool qkv_bias = false;  // q/k/v projections have biases (required when set)
  bool qk_norm = false;   // per-head RMSNorm of q and k before RoPE
};

struct AttentionWeights {
  Weight norm;                    // attn_norm {1, hidden}
  Weight q, k, v, output;         // {heads*hd, hidden}, {kv*hd, hidden} x2, {hidden, heads*hd}
  Weight q_bias, k_bias, v_bias;  // {1, heads*hd}, {1, kv*hd} x2 (qkv_bias)
  Weight q_norm, k_norm;          // {1, hd} (qk_norm)
};
AttentionWeights bind_attention(WeightBinder& w, const ModelConfig& c, std::int64_t layer, const AttentionOptions& o);

struct DenseFfnWeights {
  Weight norm;            // ffn_norm {1, hidden}
  Weight gate, up, down;  // {ffn, hidden} x2, {hidden, ffn}
};
DenseFfnWeights bind_dense_ffn(WeightBinder& w, const ModelConfig& c, std::int64_t layer);

struct MoeFfnWeights {
  Weight norm;    // ffn_norm {1, hidden}
  Weight router;  // ffn_gate_inp {n_experts, hidden}
  ExpertWeights experts;
};
MoeFfnWeights bind_moe_ffn(WeightBinder& w, const ModelConfig& c, std::int64_t layer);

// x += o_proj(attention(rope(norm_qk(q, k)), v)) of norm(x).
void attention_block(Backend& b, Tensor& x, const AttentionWeights& w, const ModelConfig& c, KvStorage& kv,
                     std::int64_t layer);
// x += down(silu(gate(norm(x))) * up(norm(x))).
void dense_ffn_block(Backend& b, Tensor& x, const DenseFfnWeights& w, const ModelConfig& c);
// x += MoE(norm(x)).
void moe_ffn_block(Backend& b, Tensor& x, const MoeFfnWeights& w, const ModelConfig& c);
// Logits {n_outputs, vocab} of the plan's output rows of the final hidden state x.
Tensor output_logits(Backend& b, const Tensor& x, const OutputWeights& w, const ModelConfig& c,
                     const ForwardPlan& plan);

}  // namespace hearth
