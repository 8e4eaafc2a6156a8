#pragma once
// The dense decoder the Qwen2 and Qwen3 families share: per layer, GQA attention then a SwiGLU FFN, both
// pre-norm with residuals. The architectures differ only in their attention options (q/k/v biases, q/k norm),
// which their own files pass in.
#include <vector>

#include "model/decoder_blocks.h"
#include "model/model.h"

namespace hearth {

class DenseDecoderModel : public Model {
 protected:
  DenseDecoderModel(const ModelConfig& config, const WeightStore& store, Backend& backend,
                    const AttentionOptions& attention);

  Tensor compute(const ForwardPlan& plan, KvStorage& kv) override;

 private:
  struct Layer {
    AttentionWeights attention;
    DenseFfnWeights ffn;
  };
  OutputWeights io_;
  std::vector<Layer> layers_;
};

}  // namespace hearth
