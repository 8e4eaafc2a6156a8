#include "model/dense_decoder.h"

namespace hearth {

DenseDecoderModel::DenseDecoderModel(const ModelConfig& config, const WeightStore& store, Backend& backend,
                                     const AttentionOptions& attention)
    : Model(config, backend) {
  WeightBinder w(store, backend);
  io_ = bind_output(w, config_);
  for (std::int64_t l = 0; l < config_.n_layers; ++l)
    layers_.push_back({bind_attention(w, config_, l, attention), bind_dense_ffn(w, config_, l)});
}

Tensor DenseDecoderModel::compute(const ForwardPlan& plan, KvStorage& kv) {
  Tensor x = backend_.embed(io_.token_embd);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    ScratchScope scope(backend_);
    attention_block(backend_, x, layers_[l].attention, config_, kv, static_cast<std::int64_t>(l));
    dense_ffn_block(backend_, x, layers_[l].ffn, config_);
  }
  return output_logits(backend_, x, io_, config_, plan);
}

}  // namespace hearth
