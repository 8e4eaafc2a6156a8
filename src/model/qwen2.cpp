// Qwen2 (Qwen2.5, QwQ-32B): GQA attention with q/k/v projection biases (required: a file without them
// is refused rather than computed wrongly), SwiGLU FFN, usually tied embeddings.
#include "model/dense_decoder.h"
#include "model/model_registry.h"

namespace hearth {
namespace {

class Qwen2Model final : public DenseDecoderModel {
 public:
  Qwen2Model(const ModelConfig& config, const WeightStore& store, Backend& backend)
      : DenseDecoderModel(config, store, backend, {.qkv_bias = true, .qk_norm = false}) {}
};

}  // namespace

HEARTH_REGISTER_ARCHITECTURE("qwen2", Qwen2Model);

}  // namespace hearth
