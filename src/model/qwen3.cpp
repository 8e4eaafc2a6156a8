// Qwen3 (dense): GQA attention with per-head q/k RMSNorm before RoPE (head_dim may differ from
// hidden / heads), SwiGLU FFN, optionally tied embeddings. Also the Qwen3-32B family.
#include "model/decoder_blocks.h"
#include "model/model_registry.h"

namespace hearth {
namespace {

class Qwen3Model final : public Model {
 public:
  Qwen3Model(const ModelConfig& config, const WeightStore& store, Backend& backend) : Model(config, backend) {
    WeightBinder w(store, backend);
    io_ = bind_output(w, config_);
    AttentionOptions attn{.qkv_bias = config_.attention_bias, .qk_norm = true};
    for (std::int64_t l = 0; l < config_.n_layers; ++l)
      layers_.push_back({bind_attention(w, config_, l, attn), bind_dense_ffn(w, config_, l)});
  }

 protected:
  Tensor compute(const ForwardPlan& plan, KvStorage& kv) override {
    Tensor x = backend_.embed(io_.token_embd);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      attention_block(backend_, x, layers_[l].attention, config_, kv, static_cast<std::int64_t>(l));
      dense_ffn_block(backend_, x, layers_[l].ffn, config_);
    }
    return output_logits(backend_, x, io_, config_, plan);
  }

 private:
  struct Layer {
    AttentionWeights attention;
    DenseFfnWeights ffn;
  };
  OutputWeights io_;
  std::vector<Layer> layers_;
};

}  // namespace

HEARTH_REGISTER_ARCHITECTURE("qwen3", Qwen3Model);

}  // namespace hearth
