#pragma once
// The weights an architecture needs, by GGUF name and shape (outermost first, Linear weights
// {out, in}), derived from the ModelConfig alone. The converter writes exactly these tensors and
// the loaders check a file against them, so a missing or mis-shaped tensor is reported when the
// model is opened, not as garbage output later.
#include <cstdint>
#include <string>
#include <vector>

#include "format/model_config.h"
#include "format/weight_store.h"

namespace hearth {

struct ExpectedTensor {
  std::string name;                 // "blk.0.attn_q.weight"
  std::vector<std::int64_t> shape;  // stacked expert tensors: {n_experts, rows, cols}
  bool stacked_experts = false;     // served per expert by WeightStore::expert()
};

// In the order the converter writes them: token_embd, then block by block, then output_norm, output.
std::vector<ExpectedTensor> expected_tensors(const ModelConfig& config);

// Throws hearth::Error for the first missing or mis-shaped tensor ("missing tensor blk.1.attn_q.bias",
// "tensor blk.0.attn_k.weight has shape [64, 64], expected [128, 64]"). Extra tensors are ignored.
void check_weights(const WeightStore& weights, const ModelConfig& config);

}  // namespace hearth
