#pragma once
// A language model bound to a backend: the forward pass over a batch of tokens of one or more sequences,
// with their K/V in a paged KvCache. Architectures (qwen2.cpp, qwen3.cpp, qwen3moe.cpp, ...) derive from
// Model and register a factory by GGUF architecture name (model_registry.h); load_model() picks it.
//
// Batch rules (checked by forward, each violation a hearth::Error naming it):
// - every sequence of the batch is in the cache;
// - a sequence's tokens appear in the batch in position order and continue it: the first one is at
//   position cache.length(seq), the next at +1, ... (truncate the cache first to recompute a suffix);
// - positions stay below the model's context length; token ids below the vocabulary size;
// - the cache has free blocks for the new tokens (checked before anything is computed).
// After a successful forward, cache.length(seq) counts the new tokens.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "format/model_config.h"
#include "model/kv_cache.h"

namespace hearth {

struct ModelFiles;
class WeightStore;

// Tokens to run through one forward pass (in any mix of sequences; see the rules above).
struct Batch {
  std::vector<std::int32_t> tokens;
  std::vector<SeqId> seq_ids;
  std::vector<std::int32_t> positions;
  std::vector<std::uint8_t> want_logits;  // 1: return this token's logits

  void add(std::int32_t token, SeqId seq, std::int32_t position, bool logits);
  void clear();
  std::int64_t size() const { return static_cast<std::int64_t>(tokens.size()); }
  std::int64_t n_outputs() const;
};

// Logits of the batch tokens that asked for them, in batch order: n_rows x vocab f32.
struct Logits {
  std::int64_t n_rows = 0;
  std::int64_t vocab = 0;
  std::vector<float> data;

  std::span<const float> row(std::int64_t i) const {
    return {data.data() + i * vocab, static_cast<std::size_t>(vocab)};
  }
};

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  Backend& backend() const { return backend_; }

  // A cache shaped for this model with room for `capacity_tokens` tokens in total (rounded up to whole
  // blocks), shared by all the sequences it will hold; K and V stored as `type` (F32 or F16).
  std::unique_ptr<KvCache> create_kv_cache(std::int64_t capacity_tokens, std::int32_t block_size = 16,
                                           DType type = DType::F32) const;

  // Runs the batch (one forward pass: a whole prompt is prefilled at once), writes every token's K/V to
  // `cache`, and returns the logits of the tokens flagged in want_logits.
  void forward(const Batch& batch, KvCache& cache, Logits& logits);
  Logits forward(const Batch& batch, KvCache& cache);

 protected:
  Model(const ModelConfig& config, Backend& backend) : config_(config), backend_(backend) {}

  // The architecture's graph: from plan.tokens to the logits of plan.output_rows, {n_outputs, vocab}.
  virtual Tensor compute(const ForwardPlan& plan, KvStorage& kv) = 0;

  ModelConfig config_;
  Backend& backend_;

 private:
  ForwardPlan plan_;  // reused between passes to avoid reallocating
};

// Builds the model for files.config.arch from the registry, binding (and validating) every weight.
// Throws hearth::Error for an unknown architecture or a missing / mis-shaped tensor.
// `files.weights` must outlive the model.
std::unique_ptr<Model> load_model(const ModelFiles& files, Backend& backend);
// The same from a config and weights already in memory (tests build such stores).
std::unique_ptr<Model> load_model(const ModelConfig& config, const WeightStore& weights, Backend& backend);

}  // namespace hearth
