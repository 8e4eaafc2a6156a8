// Architectures on small in-memory models: numerics against an independent double-precision forward
// pass (configurations the shared references lack: norm_topk_prob=false, dense layers inside MoE models,
// Qwen3 with biases, 16-bit weights, odd sizes), multi-sequence batches, and every weight-binding and
// batch error.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "model/model.h"
#include "synthetic_model.h"
#include "util/error.h"

namespace hearth::test {
namespace {

const std::vector<std::int32_t> kSeqA = {3, 17, 42, 5, 60, 0, 33, 8, 19};
const std::vector<std::int32_t> kSeqB = {11, 2, 29, 50, 7};

double max_rel_error(std::span<const float> got, const std::vector<double>& want) {
  double d = 0, m = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    d = std::max(d, std::fabs(got[i] - want[i]));
    m = std::max(m, std::fabs(want[i]));
  }
  return d / m;
}

struct Variant {
  std::string name;
  std::string arch;
  DType matrices = DType::F32;
  void (*tweak)(ModelConfig&) = nullptr;
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class SyntheticModelTest : public ::testing::TestWithParam<Variant> {};

// Two sequences interleaved in one prefill batch, then a decode step of both in one batch; every row is
// checked against the reference forward pass of its own sequence.
TEST_P(SyntheticModelTest, MatchesIndependentForwardPass) {
  const Variant& v = GetParam();
  ModelConfig config = synthetic_config(v.arch);
  if (v.tweak) v.tweak(config);
  SyntheticWeights weights(config, 7, v.matrices);
  auto store = weights.store();
  cpu::CpuBackend backend(2);
  auto model = load_model(config, *store, backend);
  auto cache = model->create_kv_cache(32, 4);
  cache->add_sequence(10);
  cache->add_sequence(20);

  const std::size_t prefill_a = kSeqA.size() - 1, prefill_b = kSeqB.size() - 1;
  Batch batch;
  for (std::size_t i = 0; i < std::max(prefill_a, prefill_b); ++i) {
    if (i < prefill_a) batch.add(kSeqA[i], 10, static_cast<std::int32_t>(i), true);
    if (i < prefill_b) batch.add(kSeqB[i], 20, static_cast<std::int32_t>(i), true);
  }
  Logits logits = model->forward(batch, *cache);
  auto ref_a = weights.reference_logits(config, kSeqA);
  auto ref_b = weights.reference_logits(config, kSeqB);
  const double tol = 1e-4;
  for (std::int64_t r = 0; r < batch.size(); ++r) {
    const auto& ref = batch.seq_ids[r] == 10 ? ref_a : ref_b;
    EXPECT_LE(max_rel_error(logits.row(r), ref[batch.positions[r]]), tol)
        << "seq " << batch.seq_ids[r] << " position " << batch.positions[r];
  }
  batch.clear();
  batch.add(kSeqB.back(), 20, static_cast<std::int32_t>(prefill_b), true);
  batch.add(kSeqA.back(), 10, static_cast<std::int32_t>(prefill_a), true);
  model->forward(batch, *cache, logits);
  EXPECT_LE(max_rel_error(logits.row(0), ref_b.back()), tol);
  EXPECT_LE(max_rel_error(logits.row(1), ref_a.back()), tol);
  EXPECT_EQ(cache->length(10), static_cast<std::int64_t>(kSeqA.size()));
  EXPECT_EQ(cache->length(20), static_cast<std::int64_t>(kSeqB.size()));
}

// An f16 KV cache: two sequences prefilled in one batch and decoded, against the reference with K and V
// rounded to f16 (and away from the unrounded one, so the cache really stores f16), at half the memory.
TEST(SyntheticModelKvCache, F16CacheMatchesTheF16RoundedReference) {
  for (const std::string arch : {"qwen3moe", "qwen2"}) {
    const ModelConfig config = synthetic_config(arch);
    SyntheticWeights weights(config, 7, DType::F32);
    auto store = weights.store();
    cpu::CpuBackend backend(2);
    auto model = load_model(config, *store, backend);
    auto cache = model->create_kv_cache(32, 4, DType::F16);
    EXPECT_EQ(cache->storage_bytes(), model->create_kv_cache(32, 4, DType::F32)->storage_bytes() / 2);
    cache->add_sequence(10);
    cache->add_sequence(20);
    Batch batch;
    for (std::size_t i = 0; i + 1 < kSeqA.size(); ++i) {
      batch.add(kSeqA[i], 10, static_cast<std::int32_t>(i), i + 2 == kSeqA.size());
      if (i + 1 < kSeqB.size()) batch.add(kSeqB[i], 20, static_cast<std::int32_t>(i), i + 2 == kSeqB.size());
    }
    model->forward(batch, *cache);
    batch.clear();
    batch.add(kSeqA.back(), 10, static_cast<std::int32_t>(kSeqA.size() - 1), true);
    batch.add(kSeqB.back(), 20, static_cast<std::int32_t>(kSeqB.size() - 1), true);
    Logits logits = model->forward(batch, *cache);
    const auto f16_a = weights.reference_logits(config, kSeqA, /*kv_f16=*/true);
    const auto f16_b = weights.reference_logits(config, kSeqB, /*kv_f16=*/true);
    const auto f32_a = weights.reference_logits(config, kSeqA);
    EXPECT_LE(max_rel_error(logits.row(0), f16_a.back()), 1e-4) << arch;
    EXPECT_LE(max_rel_error(logits.row(1), f16_b.back()), 1e-4) << arch;
    EXPECT_GT(max_rel_error(logits.row(0), f32_a.back()), max_rel_error(logits.row(0), f16_a.back())) << arch;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Architectures, SyntheticModelTest,
    ::testing::Values(
        Variant{"qwen2", "qwen2"}, Variant{"qwen3", "qwen3"}, Variant{"qwen3moe", "qwen3moe"},
        Variant{"qwen3_bias", "qwen3", DType::F32, [](ModelConfig& c) { c.attention_bias = true; }},
        Variant{"qwen3_untied", "qwen3", DType::F32, [](ModelConfig& c) { c.tie_word_embeddings = false; }},
        Variant{"qwen3moe_no_renorm", "qwen3moe", DType::F32, [](ModelConfig& c) { c.norm_topk_prob = false; }},
        Variant{"qwen3moe_mlp_only_layer", "qwen3moe", DType::F32, [](ModelConfig& c) { c.mlp_only_layers = {1}; }},
        Variant{"qwen3moe_sparse_step_2", "qwen3moe", DType::F32, [](ModelConfig& c) { c.decoder_sparse_step = 2; }},
        Variant{"qwen3moe_all_experts", "qwen3moe", DType::F32, [](ModelConfig& c) { c.n_experts_used = 5; }},
        Variant{"qwen3moe_bf16", "qwen3moe", DType::BF16}, Variant{"qwen2_f16", "qwen2", DType::F16},
        Variant{"qwen3_bf16", "qwen3", DType::BF16}),
    [](const auto& info) { return info.param.name; });

// --- weight binding errors --------------------------------------------------------------------------

std::string load_error(const ModelConfig& config, SyntheticWeights& weights) {
  auto store = weights.store();
  cpu::CpuBackend backend(1);
  try {
    load_model(config, *store, backend);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelBinding, MissingTensor) {
  ModelConfig c = synthetic_config("qwen3");
  SyntheticWeights w(c, 1);
  w.tensors.erase("blk.1.attn_k.weight");
  EXPECT_EQ(load_error(c, w), "missing tensor blk.1.attn_k.weight");
}

TEST(ModelBinding, MisShapedTensor) {
  ModelConfig c = synthetic_config("qwen3moe");
  SyntheticWeights w(c, 1);
  w.tensors["blk.0.attn_q.weight"].shape = {20, 24};
  EXPECT_EQ(load_error(c, w), "tensor blk.0.attn_q.weight has shape [20, 24], expected [24, 20]");
  SyntheticWeights w2(c, 1);
  w2.tensors["blk.2.ffn_down_exps.weight"].shape = {5, 10, 20};
  EXPECT_NE(load_error(c, w2).find("blk.2.ffn_down_exps.weight (expert 0) has shape [10, 20], expected [20, 10]"),
            std::string::npos);
}

TEST(ModelBinding, MissingExperts) {
  ModelConfig c = synthetic_config("qwen3moe");
  SyntheticWeights w(c, 1);
  w.tensors.erase("blk.2.ffn_up_exps.weight");
  EXPECT_EQ(load_error(c, w), "missing tensor blk.2.ffn_up_exps.weight");
  c.mlp_only_layers = {2};  // now layer 2 needs a dense FFN, which the weights lack
  SyntheticWeights w2(synthetic_config("qwen3moe"), 1);
  EXPECT_EQ(load_error(c, w2), "missing tensor blk.2.ffn_gate.weight");
}

TEST(ModelBinding, RefusesQwen2WithoutBiases) {
  ModelConfig c = synthetic_config("qwen2");
  SyntheticWeights w(c, 1);
  for (const char* b : {"attn_q.bias", "attn_k.bias", "attn_v.bias"})
    for (int l = 0; l < 3; ++l) w.tensors.erase("blk." + std::to_string(l) + "." + b);
  std::string err = load_error(c, w);
  EXPECT_NE(err.find("missing tensor blk.0.attn_q.bias"), std::string::npos) << err;
  EXPECT_NE(err.find("qwen2 models need q/k/v projection biases"), std::string::npos) << err;
}

TEST(ModelBinding, RefusesUntiedModelWithoutOutput) {
  ModelConfig c = synthetic_config("qwen3moe");  // untied
  SyntheticWeights w(c, 1);
  w.tensors.erase("output.weight");
  std::string err = load_error(c, w);
  EXPECT_NE(err.find("missing tensor output.weight"), std::string::npos) << err;
  EXPECT_NE(err.find("tie_word_embeddings is false"), std::string::npos) << err;
}

TEST(ModelBinding, UnknownArchitecture) {
  ModelConfig c = synthetic_config("qwen3");
  SyntheticWeights w(c, 1);
  c.arch = "llama";
  EXPECT_EQ(load_error(c, w), "unsupported architecture 'llama' (Hearth runs: qwen2, qwen3, qwen3moe)");
}

TEST(ModelBinding, RefusesTypesTheBackendCannotCompute) {
  ModelConfig c = synthetic_config("qwen3");
  SyntheticWeights w(c, 1);
  w.tensors["blk.0.ffn_up.weight"].dtype = DType::Q2_K;
  std::string err = load_error(c, w);
  EXPECT_NE(err.find("blk.0.ffn_up.weight has type q2_K"), std::string::npos) << err;
}

// --- batch errors -----------------------------------------------------------------------------------

class BatchErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = synthetic_config("qwen3");
    config_.context_length = 12;
    weights_ = std::make_unique<SyntheticWeights>(config_, 3);
    store_ = weights_->store();
    model_ = load_model(config_, *store_, backend_);
    cache_ = model_->create_kv_cache(8, 4);
    cache_->add_sequence(0);
  }
  std::string error(const Batch& b) {
    try {
      model_->forward(b, *cache_);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  static Batch batch(std::initializer_list<std::array<std::int32_t, 3>> rows) {  // token, seq, pos
    Batch b;
    for (const auto& r : rows) b.add(r[0], r[1], r[2], true);
    return b;
  }
  ModelConfig config_;
  std::unique_ptr<SyntheticWeights> weights_;
  std::unique_ptr<WeightStore> store_;
  cpu::CpuBackend backend_{1};
  std::unique_ptr<Model> model_;
  std::unique_ptr<KvCache> cache_;
};

TEST_F(BatchErrors, EachViolationIsNamed) {
  EXPECT_EQ(error(Batch{}), "empty batch");
  EXPECT_EQ(error(batch({{61, 0, 0}})), "token id 61 is outside the vocabulary (0..60)");
  EXPECT_EQ(error(batch({{-1, 0, 0}})), "token id -1 is outside the vocabulary (0..60)");
  EXPECT_EQ(error(batch({{1, 5, 0}})), "sequence 5 is not in the KV cache");
  EXPECT_EQ(error(batch({{1, 0, 1}})), "sequence 0: batch token at position 1, expected position 0");
  EXPECT_EQ(error(batch({{1, 0, 0}, {2, 0, 0}})), "sequence 0: batch token at position 0, expected position 1");
  EXPECT_EQ(
      error(batch({{1, 0, 0}, {2, 0, 1}, {3, 0, 2}, {4, 0, 3}, {5, 0, 4}, {6, 0, 5}, {7, 0, 6}, {8, 0, 7}, {9, 0, 8}})),
      "KV cache is full: the batch needs 3 more blocks, 2 are free");
  EXPECT_EQ(cache_->length(0), 0);  // failed passes change nothing
  EXPECT_EQ(cache_->n_free_blocks(), 2);
}

TEST_F(BatchErrors, ContextLengthIsEnforced) {
  auto big = model_->create_kv_cache(16, 4);
  big->add_sequence(0);
  Batch b;
  for (int p = 0; p < 13; ++p) b.add(1, 0, p, false);
  try {
    model_->forward(b, *big);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "sequence 0: position 12 is past the model's context length of 12 tokens");
  }
}

TEST_F(BatchErrors, CacheMustMatchTheModel) {
  ModelConfig other = synthetic_config("qwen2");
  other.n_layers = 2;
  SyntheticWeights w(other, 1);
  auto store = w.store();
  auto model = load_model(other, *store, backend_);
  auto cache = model->create_kv_cache(8, 4);
  cache->add_sequence(0);
  try {
    model_->forward(batch({{1, 0, 0}}), *cache);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the model"), std::string::npos) << e.what();
  }
}

TEST_F(BatchErrors, LogitsOnlyForFlaggedTokens) {
  Batch b;
  b.add(1, 0, 0, false);
  b.add(2, 0, 1, true);
  b.add(3, 0, 2, false);
  Logits l = model_->forward(b, *cache_);
  EXPECT_EQ(l.n_rows, 1);
  EXPECT_EQ(l.vocab, 61);
  auto ref = weights_->reference_logits(config_, {1, 2, 3});
  EXPECT_LE(max_rel_error(l.row(0), ref[1]), 1e-4);
  b.clear();
  b.add(4, 0, 3, false);
  EXPECT_EQ(model_->forward(b, *cache_).n_rows, 0);
  EXPECT_EQ(cache_->length(0), 4);
}

}  // namespace
}  // namespace hearth::test
