#include "model/model.h"

#include <fmt/ranges.h>

#include <cassert>
#include <unordered_map>

#include "format/model_files.h"
#include "format/weight_store.h"
#include "model/model_registry.h"
#include "util/error.h"

namespace hearth {

void Batch::add(std::int32_t token, SeqId seq, std::int32_t position, bool logits) {
  tokens.push_back(token);
  seq_ids.push_back(seq);
  positions.push_back(position);
  want_logits.push_back(logits ? 1 : 0);
}

void Batch::clear() {
  tokens.clear();
  seq_ids.clear();
  positions.clear();
  want_logits.clear();
}

std::int64_t Batch::n_outputs() const {
  std::int64_t n = 0;
  for (auto w : want_logits) n += w != 0;
  return n;
}

std::unique_ptr<KvCache> Model::create_kv_cache(std::int64_t capacity_tokens, std::int32_t block_size,
                                                DType type) const {
  require(capacity_tokens > 0, "KV cache capacity must be positive");
  require(block_size > 0, "KV cache block size must be positive");
  KvLayout layout{config_.n_layers, 0, config_.n_kv_heads, config_.head_dim, type};
  KvCacheOptions options;
  options.block_size = block_size;
  options.n_blocks = (capacity_tokens + block_size - 1) / block_size;
  return std::make_unique<KvCache>(backend_, layout, options);
}

Logits Model::forward(const Batch& batch, KvCache& cache) {
  Logits logits;
  forward(batch, cache, logits);
  return logits;
}

void Model::forward(const Batch& batch, KvCache& cache, Logits& logits) {
  const std::int64_t n = batch.size();
  require(n > 0, "empty batch");
  require(batch.seq_ids.size() == batch.tokens.size() && batch.positions.size() == batch.tokens.size() &&
              batch.want_logits.size() == batch.tokens.size(),
          "batch fields have different lengths");
  const KvLayout& layout = cache.layout();
  require(layout.n_layers == config_.n_layers && layout.n_kv_heads == config_.n_kv_heads &&
              layout.head_dim == config_.head_dim,
          "KV cache shape (layers {}, kv heads {}, head dim {}) does not match the model ({}, {}, {})", layout.n_layers,
          layout.n_kv_heads, layout.head_dim, config_.n_layers, config_.n_kv_heads, config_.head_dim);

  // Validate, and number the batch's sequences in order of first appearance.
  struct SeqState {
    std::int32_t index;
    std::int64_t next_pos;
  };
  std::unordered_map<SeqId, SeqState> seqs;
  std::vector<SeqId> order;
  for (std::int64_t t = 0; t < n; ++t) {
    const std::int32_t token = batch.tokens[t];
    const SeqId seq = batch.seq_ids[t];
    const std::int64_t pos = batch.positions[t];
    require(token >= 0 && token < config_.vocab_size, "token id {} is outside the vocabulary (0..{})", token,
            config_.vocab_size - 1);
    auto it = seqs.find(seq);
    if (it == seqs.end()) {
      require(cache.has_sequence(seq), "sequence {} is not in the KV cache", seq);
      it = seqs.emplace(seq, SeqState{static_cast<std::int32_t>(order.size()), cache.length(seq)}).first;
      order.push_back(seq);
    }
    require(pos == it->second.next_pos, "sequence {}: batch token at position {}, expected position {}", seq, pos,
            it->second.next_pos);
    require(config_.context_length <= 0 || pos < config_.context_length,
            "sequence {}: position {} is past the model's context length of {} tokens", seq, pos,
            config_.context_length);
    ++it->second.next_pos;
  }
  std::int64_t blocks = 0;
  for (SeqId seq : order) blocks += cache.blocks_needed(seq, seqs[seq].next_pos);
  require(blocks <= cache.n_free_blocks(), "KV cache is full: the batch needs {} more blocks, {} are free", blocks,
          cache.n_free_blocks());
  for (SeqId seq : order) cache.reserve(seq, seqs[seq].next_pos);

  ForwardPlan& plan = plan_;
  plan.tokens.assign(batch.tokens.begin(), batch.tokens.end());
  plan.positions.assign(batch.positions.begin(), batch.positions.end());
  plan.kv_slots.resize(static_cast<std::size_t>(n));
  plan.seq_of_token.resize(static_cast<std::size_t>(n));
  plan.output_rows.clear();
  plan.kv_block_size = cache.block_size();
  plan.seq_blocks.resize(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto table = cache.block_table(order[i]);
    plan.seq_blocks[i].assign(table.begin(), table.end());
  }
  for (std::int64_t t = 0; t < n; ++t) {
    plan.seq_of_token[t] = seqs[batch.seq_ids[t]].index;
    plan.kv_slots[t] = cache.slot(batch.seq_ids[t], batch.positions[t]);
    if (batch.want_logits[t]) plan.output_rows.push_back(static_cast<std::int32_t>(t));
  }

  backend_.begin_forward(plan);
  Tensor out = compute(plan, cache.storage());
  logits.n_rows = static_cast<std::int64_t>(plan.output_rows.size());
  logits.vocab = config_.vocab_size;
  logits.data.resize(static_cast<std::size_t>(logits.n_rows * logits.vocab));
  if (logits.n_rows > 0) {
    assert(out.rows == logits.n_rows && out.cols == logits.vocab);
    backend_.read(out, logits.data.data());
  }
  for (SeqId seq : order) cache.set_length(seq, seqs[seq].next_pos);
}

std::unique_ptr<Model> load_model(const ModelConfig& config, const WeightStore& weights, Backend& backend) {
  const ModelFactory* factory = ModelRegistry::instance().find(config.arch);
  if (factory == nullptr) {
    fail("unsupported architecture '{}' (Hearth runs: {})", config.arch,
         fmt::join(ModelRegistry::instance().architectures(), ", "));
  }
  config.validate();
  return (*factory)(config, weights, backend);
}

std::unique_ptr<Model> load_model(const ModelFiles& files, Backend& backend) {
  require(files.weights != nullptr, "{}: weights were not loaded", files.path);
  try {
    return load_model(files.config, *files.weights, backend);
  } catch (...) {
    rethrow_with_context(files.path);
  }
}

}  // namespace hearth
