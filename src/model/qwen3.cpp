// Qwen3 (dense): GQA attention with per-head q/k RMSNorm before RoPE (head_dim may differ from
// hidden / heads), SwiGLU FFN, optionally tied embeddings. Also the Qwen3-32B family.
#include "model/dense_decoder.h"
#include "model/model_registry.h"

namespace hearth {
namespace {

class Qwen3Model final : public DenseDecoderModel {
 public:
  Qwen3Model(const ModelConfig& config, const WeightStore& store, Backend& backend)
      : DenseDecoderModel(config, store, backend, {.qkv_bias = config.attention_bias, .qk_norm = true}) {}
};

}  // namespace

HEARTH_REGISTER_ARCHITECTURE("qwen3", Qwen3Model);

}  // namespace hearth
