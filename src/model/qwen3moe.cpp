// Qwen3-MoE (Qwen3-30B-A3B family): Qwen3 attention (q/k norm, GQA) with mixture-of-experts FFNs:
// router softmax over all experts, top-k, renormalised when norm_topk_prob, weighted sum of SwiGLU
// experts. Layers listed in mlp_only_layers, or off the decoder_sparse_step grid, use a dense FFN.
#include <optional>

#include "model/decoder_blocks.h"
#include "model/model_registry.h"

namespace hearth {
namespace {

class Qwen3MoeModel final : public Model {
 public:
  Qwen3MoeModel(const ModelConfig& config, const WeightStore& store, Backend& backend) : Model(config, backend) {
    WeightBinder w(store, backend);
    io_ = bind_output(w, config_);
    AttentionOptions attn{.qkv_bias = config_.attention_bias, .qk_norm = true};
    for (std::int64_t l = 0; l < config_.n_layers; ++l) {
      Layer layer{bind_attention(w, config_, l, attn), std::nullopt, std::nullopt};
      if (config_.layer_is_moe(l))
        layer.moe = bind_moe_ffn(w, config_, l);
      else
        layer.dense = bind_dense_ffn(w, config_, l);
      layers_.push_back(std::move(layer));
    }
  }

 protected:
  Tensor compute(const ForwardPlan& plan, KvStorage& kv) override {
    Tensor x = backend_.embed(io_.token_embd);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Layer& layer = layers_[l];
      ScratchScope scope(backend_);
      attention_block(backend_, x, layer.attention, config_, kv, static_cast<std::int64_t>(l));
      if (layer.moe)
        moe_ffn_block(backend_, x, *layer.moe, config_);
      else
        dense_ffn_block(backend_, x, *layer.dense, config_);
    }
    return output_logits(backend_, x, io_, config_, plan);
  }

 private:
  struct Layer {
    AttentionWeights attention;
    std::optional<DenseFfnWeights> dense;
    std::optional<MoeFfnWeights> moe;
  };
  OutputWeights io_;
  std::vector<Layer> layers_;
};

}  // namespace

HEARTH_REGISTER_ARCHITECTURE("qwen3moe", Qwen3MoeModel);

}  // namespace hearth
