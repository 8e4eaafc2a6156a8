// Hugging Face config.json / generation_config.json parsing, and ModelConfig <-> GGUF keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "config_compare.h"
#include "format/gguf_model_config.h"
#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/model_config.h"
#include "format/model_tensors.h"
#include "test_support.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::expect_same_config;
using test::TempDir;

json shared_json(const std::string& model, const std::string& file) {
  return json::parse(read_file((test::shared_dir() / "models" / model / file).string()));
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(HfConfig, TinyModels) {
  HEARTH_REQUIRE_SHARED();
  // Geometry as documented in ../shared/models/README.md.
  ModelConfig moe = model_config_from_hf(shared_json("qwen3moe-tiny", "config.json"));
  EXPECT_EQ(moe.arch, "qwen3moe");
  EXPECT_EQ(moe.vocab_size, 151936);
  EXPECT_EQ(moe.n_layers, 3);
  EXPECT_EQ(moe.hidden_size, 64);
  EXPECT_EQ(moe.n_heads, 4);
  EXPECT_EQ(moe.n_kv_heads, 2);
  EXPECT_EQ(moe.head_dim, 32);
  EXPECT_EQ(moe.n_experts, 8);
  EXPECT_EQ(moe.n_experts_used, 2);
  EXPECT_EQ(moe.expert_ffn_size, 32);
  EXPECT_TRUE(moe.norm_topk_prob);
  EXPECT_TRUE(moe.qk_norm);
  EXPECT_FALSE(moe.attention_bias);
  EXPECT_FALSE(moe.tie_word_embeddings);
  EXPECT_FLOAT_EQ(moe.rope_theta, 1000000.0f);
  EXPECT_FLOAT_EQ(moe.rms_norm_eps, 1e-6f);
  for (int l = 0; l < 3; ++l) EXPECT_TRUE(moe.layer_is_moe(l));

  ModelConfig dense = model_config_from_hf(shared_json("qwen3-tiny", "config.json"));
  EXPECT_EQ(dense.arch, "qwen3");
  EXPECT_EQ(dense.n_layers, 2);
  EXPECT_EQ(dense.ffn_size, 128);
  EXPECT_EQ(dense.head_dim, 32);
  EXPECT_TRUE(dense.tie_word_embeddings);
  EXPECT_FALSE(dense.is_moe());

  ModelConfig q2 = model_config_from_hf(shared_json("qwen2-tiny", "config.json"));
  EXPECT_EQ(q2.arch, "qwen2");
  EXPECT_EQ(q2.n_heads, 2);
  EXPECT_EQ(q2.n_kv_heads, 1);
  EXPECT_EQ(q2.head_dim, 32);  // hidden / heads: qwen2 has no head_dim key
  EXPECT_EQ(q2.ffn_size, 160);
  EXPECT_TRUE(q2.attention_bias);
  EXPECT_FALSE(q2.qk_norm);
  EXPECT_FLOAT_EQ(q2.rms_norm_eps, 1e-5f);

  GenerationConfig g = generation_config_from_hf(shared_json("qwen3-tiny", "generation_config.json"));
  EXPECT_EQ(g.bos_token_id, 151643);
  EXPECT_EQ(g.eos_token_ids, (std::vector<std::int64_t>{151645, 151643}));
  EXPECT_EQ(g.pad_token_id, 151643);
  EXPECT_TRUE(g.do_sample);
  EXPECT_FLOAT_EQ(g.temperature.value(), 0.6f);
  EXPECT_EQ(g.top_k.value(), 20);
  EXPECT_FLOAT_EQ(g.top_p.value(), 0.95f);
  EXPECT_FALSE(g.min_p.has_value());
}

TEST(HfConfig, RefusesUnknownArchitecturesAndBadValues) {
  HEARTH_REQUIRE_SHARED();
  json llama = shared_json("qwen3-tiny", "config.json");
  llama["model_type"] = "llama";
  llama["architectures"] = {"LlamaForCausalLM"};
  EXPECT_EQ(error_of([&] { model_config_from_hf(llama); }),
            "unsupported architecture 'llama' (LlamaForCausalLM): Hearth runs qwen2, qwen3 and qwen3_moe models");
  json none = json::object();
  EXPECT_NE(error_of([&] { model_config_from_hf(none); }).find("unsupported architecture '(no model_type)'"),
            std::string::npos);

  json missing = shared_json("qwen3-tiny", "config.json");
  missing.erase("hidden_size");
  EXPECT_EQ(error_of([&] { model_config_from_hf(missing); }), "config.json: missing integer 'hidden_size'");
  json gqa = shared_json("qwen3-tiny", "config.json");
  gqa["num_key_value_heads"] = 3;
  EXPECT_NE(error_of([&] { model_config_from_hf(gqa); }).find("not a multiple of 3 KV heads"), std::string::npos);
  json wrong_type = shared_json("qwen3-tiny", "config.json");
  wrong_type["rope_theta"] = "big";
  EXPECT_EQ(error_of([&] { model_config_from_hf(wrong_type); }), "config.json: 'rope_theta' has the wrong type");
  json moe = shared_json("qwen3moe-tiny", "config.json");
  moe["num_experts_per_tok"] = 9;
  EXPECT_NE(error_of([&] { model_config_from_hf(moe); }).find("9 experts per token is outside 1..8"),
            std::string::npos);
  json scaled = shared_json("qwen3-tiny", "config.json");
  scaled["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_NE(error_of([&] { model_config_from_hf(scaled); }).find("rope_scaling"), std::string::npos);
}

// Writes `c` as GGUF metadata (plus token_embd and, when untied, output tensors) and reads it back.
ModelConfig gguf_round_trip(const ModelConfig& c, const fs::path& path) {
  {
    GgufWriter w(path.string());
    write_model_config(w, c);
    w.add_tensor("token_embd.weight", DType::F32, {c.vocab_size, c.hidden_size});
    if (!c.tie_word_embeddings) w.add_tensor("output.weight", DType::F32, {c.vocab_size, c.hidden_size});
    if (c.attention_bias) w.add_tensor("blk.0.attn_q.bias", DType::F32, {c.n_heads * c.head_dim});
    std::vector<float> zeros(static_cast<std::size_t>(c.vocab_size * c.hidden_size));
    w.write_tensor_data(zeros.data(), zeros.size() * 4);
    if (!c.tie_word_embeddings) w.write_tensor_data(zeros.data(), zeros.size() * 4);
    if (c.attention_bias) w.write_tensor_data(zeros.data(), static_cast<std::size_t>(c.n_heads * c.head_dim) * 4);
    w.finish();
  }
  return model_config_from_gguf(GgufFile(path.string()));
}

TEST(GgufConfig, RoundTripsTheTinyModels) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  for (const char* model : {"qwen3moe-tiny", "qwen3-tiny", "qwen2-tiny"}) {
    SCOPED_TRACE(model);
    ModelConfig c = model_config_from_hf(shared_json(model, "config.json"));
    expect_same_config(c, gguf_round_trip(c, dir / "c.gguf"));
  }
}

TEST(GgufConfig, WritesTheKeysLlamaCppReads) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  ModelConfig c = model_config_from_hf(shared_json("qwen3moe-tiny", "config.json"));
  c.norm_topk_prob = false;
  gguf_round_trip(c, dir / "c.gguf");
  GgufFile f((dir / "c.gguf").string());
  EXPECT_EQ(f.get_string("general.architecture"), "qwen3moe");
  // llama.cpp checks the stored type: integers must be uint32, floats float32.
  const std::pair<const char*, std::int64_t> ints[] = {
      {"qwen3moe.context_length", 4096},     {"qwen3moe.embedding_length", 64},
      {"qwen3moe.block_count", 3},           {"qwen3moe.feed_forward_length", 128},
      {"qwen3moe.attention.head_count", 4},  {"qwen3moe.attention.head_count_kv", 2},
      {"qwen3moe.attention.key_length", 32}, {"qwen3moe.attention.value_length", 32},
      {"qwen3moe.rope.dimension_count", 32}, {"qwen3moe.expert_count", 8},
      {"qwen3moe.expert_used_count", 2},     {"qwen3moe.expert_feed_forward_length", 32},
  };
  for (const auto& [key, value] : ints) {
    ASSERT_TRUE(f.has(key)) << key;
    EXPECT_EQ(f.find(key)->type, GgufType::UINT32) << key;
    EXPECT_EQ(f.get_int(key), value) << key;
  }
  EXPECT_EQ(f.find("qwen3moe.rope.freq_base")->type, GgufType::FLOAT32);
  EXPECT_EQ(f.get_float("qwen3moe.rope.freq_base"), 1000000.0);
  EXPECT_EQ(f.find("qwen3moe.attention.layer_norm_rms_epsilon")->type, GgufType::FLOAT32);
  EXPECT_EQ(f.get_float("qwen3moe.attention.layer_norm_rms_epsilon"), static_cast<double>(1e-6f));
  EXPECT_FALSE(f.get_bool("qwen3moe.expert_weights_norm"));
  EXPECT_FALSE(model_config_from_gguf(f).norm_topk_prob);
}

// GGUF files with hand-picked metadata, for the reader's refusals and defaults.
class GgufConfigErrors : public ::testing::Test {
 protected:
  void write(const std::vector<std::pair<std::string, GgufValue>>& kv, bool with_output = true) {
    GgufWriter w(path().string());
    for (const auto& [k, v] : kv) w.add_metadata(k, v);
    w.add_tensor("token_embd.weight", DType::F32, {8, 32});
    if (with_output) w.add_tensor("output.weight", DType::F32, {8, 32});
    std::vector<float> zeros(8 * 32);
    w.write_tensor_data(zeros.data(), zeros.size() * 4);
    if (with_output) w.write_tensor_data(zeros.data(), zeros.size() * 4);
    w.finish();
  }
  std::vector<std::pair<std::string, GgufValue>> qwen3_keys() {
    return {{"general.architecture", GgufValue::str("qwen3")},
            {"qwen3.context_length", GgufValue::u32(256)},
            {"qwen3.embedding_length", GgufValue::u32(32)},
            {"qwen3.block_count", GgufValue::u32(1)},
            {"qwen3.feed_forward_length", GgufValue::u32(64)},
            {"qwen3.attention.head_count", GgufValue::u32(2)},
            {"qwen3.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-6f)}};
  }
  std::string load_error() {
    return error_of([&] { model_config_from_gguf(GgufFile(path().string())); });
  }
  fs::path path() const { return dir_ / "c.gguf"; }
  TempDir dir_;
};

TEST_F(GgufConfigErrors, DefaultsFollowLlamaCpp) {
  write(qwen3_keys(), /*with_output=*/false);
  ModelConfig c = model_config_from_gguf(GgufFile(path().string()));
  EXPECT_EQ(c.n_kv_heads, 2);         // head_count_kv absent: no GQA
  EXPECT_EQ(c.head_dim, 16);          // key_length absent: hidden / heads
  EXPECT_EQ(c.rope_theta, 10000.0f);  // rope.freq_base absent
  EXPECT_EQ(c.vocab_size, 8);         // token_embd rows
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.attention_bias);
}

TEST_F(GgufConfigErrors, Refusals) {
  auto keys = qwen3_keys();
  keys[0].second = GgufValue::str("llama");
  write(keys);
  EXPECT_EQ(load_error(), "unsupported architecture 'llama': Hearth runs qwen2, qwen3 and qwen3moe models");

  keys = qwen3_keys();
  keys.erase(keys.begin() + 3);  // block_count
  write(keys);
  EXPECT_EQ(load_error(), "qwen3.block_count: missing");

  keys = qwen3_keys();
  keys[2].second = GgufValue::str("32");
  write(keys);
  EXPECT_EQ(load_error(), "qwen3.embedding_length: expected an integer, found string");

  keys = qwen3_keys();
  keys.emplace_back("qwen3.attention.head_count_kv", GgufValue::u32(3));
  write(keys);
  EXPECT_NE(load_error().find("not a multiple of 3 KV heads"), std::string::npos);

  keys = qwen3_keys();
  keys.emplace_back("qwen3.rope.dimension_count", GgufValue::u32(8));
  write(keys);
  EXPECT_NE(load_error().find("partial rotary"), std::string::npos);

  keys = qwen3_keys();
  keys.emplace_back("qwen3.rope.scaling.type", GgufValue::str("yarn"));
  keys.emplace_back("qwen3.rope.scaling.factor", GgufValue::f32(4.0f));
  write(keys);
  EXPECT_NE(load_error().find("rope.scaling.type 'yarn'"), std::string::npos);

  keys = qwen3_keys();
  keys[5].second = GgufValue::int32_array({2});
  write(keys);
  EXPECT_EQ(load_error(), "qwen3.attention.head_count: per-layer values are not supported");

  keys = qwen3_keys();
  keys.erase(keys.begin());
  write(keys);
  EXPECT_EQ(load_error(), "general.architecture: missing");
}

TEST_F(GgufConfigErrors, GenerationDefaults) {
  auto keys = qwen3_keys();
  keys.emplace_back("tokenizer.ggml.tokens",
                    GgufValue::string_array({"a", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "b", "c", "d", "e"}));
  keys.emplace_back("tokenizer.ggml.token_type", GgufValue::int32_array({1, 3, 3, 3, 1, 1, 1, 1}));
  keys.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::u32(1));
  keys.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(3));
  keys.emplace_back("tokenizer.ggml.padding_token_id", GgufValue::u32(1));
  keys.emplace_back("general.sampling.temp", GgufValue::f32(0.6f));
  keys.emplace_back("general.sampling.top_k", GgufValue::i32(20));
  keys.emplace_back("general.sampling.top_p", GgufValue::f32(0.95f));
  write(keys);
  GenerationConfig g = generation_config_from_gguf(GgufFile(path().string()));
  EXPECT_EQ(g.bos_token_id, 1);
  EXPECT_EQ(g.pad_token_id, 1);
  EXPECT_EQ(g.eos_token_ids, (std::vector<std::int64_t>{3, 1}));  // eos, then <|endoftext|>
  EXPECT_TRUE(g.do_sample);
  EXPECT_FLOAT_EQ(g.temperature.value(), 0.6f);
  EXPECT_EQ(g.top_k.value(), 20);
  EXPECT_FLOAT_EQ(g.top_p.value(), 0.95f);

  keys = qwen3_keys();
  keys.emplace_back("tokenizer.ggml.tokens", GgufValue::string_array({"a", "b"}));
  keys.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(5));
  write(keys);
  EXPECT_EQ(error_of([&] { generation_config_from_gguf(GgufFile(path().string())); }),
            "tokenizer.ggml.eos_token_id: token id 5 is outside the vocabulary (2 tokens)");
}

TEST(GgufConfig, SamplingDefaultsRoundTrip) {
  TempDir dir;
  GenerationConfig g;
  g.do_sample = true;
  g.temperature = 0.7f;
  g.top_k = 40;
  g.min_p = 0.05f;
  g.repetition_penalty = 1.1f;
  {
    GgufWriter w((dir / "g.gguf").string());
    write_sampling_defaults(w, g);
    w.finish();
  }
  GgufFile f((dir / "g.gguf").string());
  EXPECT_EQ(f.find("general.sampling.top_k")->type, GgufType::INT32);
  EXPECT_EQ(f.find("general.sampling.temp")->type, GgufType::FLOAT32);
  GenerationConfig back = generation_config_from_gguf(f);
  EXPECT_TRUE(back.do_sample);
  EXPECT_FLOAT_EQ(back.temperature.value(), 0.7f);
  EXPECT_EQ(back.top_k.value(), 40);
  EXPECT_FALSE(back.top_p.has_value());
  EXPECT_FLOAT_EQ(back.min_p.value(), 0.05f);
  EXPECT_FLOAT_EQ(back.repetition_penalty.value(), 1.1f);

  GenerationConfig greedy;  // do_sample=false: written as temp 0
  {
    GgufWriter w((dir / "greedy.gguf").string());
    write_sampling_defaults(w, greedy);
    w.finish();
  }
  GenerationConfig greedy_back = generation_config_from_gguf(GgufFile((dir / "greedy.gguf").string()));
  EXPECT_FALSE(greedy_back.do_sample);
  EXPECT_FALSE(greedy_back.temperature.has_value());
}

TEST(GgufConfig, RefusesWhatLlamaCppCannotExpress) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  ModelConfig c = model_config_from_hf(shared_json("qwen3moe-tiny", "config.json"));
  c.mlp_only_layers = {1};
  GgufWriter w((dir / "x.gguf").string());
  EXPECT_NE(error_of([&] { write_model_config(w, c); }).find("mlp_only_layers"), std::string::npos);
  ModelConfig llama = c;
  llama.arch = "llama";
  llama.mlp_only_layers.clear();
  EXPECT_NE(error_of([&] { write_model_config(w, llama); }).find("cannot write architecture 'llama'"),
            std::string::npos);
}

}  // namespace
}  // namespace hearth
