#pragma once
// Small random models built in memory (no files): configurable geometry, weights kept as named f32
// arrays that tests may delete or reshape before building a WeightStore, plus an independent
// double-precision forward pass (written from the architecture descriptions, sharing no code with
// src/model) to check Hearth's numerics on configurations the shared references do not cover.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "format/model_config.h"
#include "format/weight_store.h"
#include "tensor/dtype.h"

namespace hearth::test {

// arch: "qwen2" | "qwen3" | "qwen3moe". Dimensions deliberately not multiples of 8 (kernel tails):
// vocab 61, hidden 20, 3 layers, 4 heads / 2 KV heads of 6, FFN 14, 5 experts top-2 of FFN 10.
ModelConfig synthetic_config(const std::string& arch);

struct SyntheticTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // already rounded to `dtype` when that is 16-bit
  DType dtype = DType::F32;
};

class SyntheticWeights {
 public:
  // Random weights for every tensor `config` needs (GGUF names; experts stacked). Matrices are stored as
  // `matrix_type` (F32, F16 or BF16); vectors stay F32.
  SyntheticWeights(const ModelConfig& config, std::uint32_t seed, DType matrix_type = DType::F32);

  std::map<std::string, SyntheticTensor> tensors;

  // A WeightStore viewing the current tensors (this object must outlive it).
  std::unique_ptr<WeightStore> store();

  // Reference logits [positions][vocab] for one sequence, in double precision. kv_f16: K and V are rounded to
  // f16 once computed (what an f16 KV cache stores), everything else stays double.
  std::vector<std::vector<double>> reference_logits(const ModelConfig& config, const std::vector<std::int32_t>& tokens,
                                                    bool kv_f16 = false) const;

 private:
  std::vector<std::vector<std::uint16_t>> encoded_;  // 16-bit storage behind store()
};

}  // namespace hearth::test
