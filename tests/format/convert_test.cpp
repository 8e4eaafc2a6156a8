// hearth convert: each tiny model to GGUF f32/f16/bf16, re-opened with open_model_files: the
// config matches the Hugging Face folder's, every tensor equals the safetensors values after the
// dtype conversion, and the tokenizer metadata matches tokenizer.json / tokenizer_config.json.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "convert_check.h"
#include "format/gguf_model_config.h"
#include "format/hf_to_gguf.h"
#include "format/model_files.h"
#include "format/model_tensors.h"
#include "model_sources.h"
#include "test_support.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::TempDir;

fs::path model_dir(const std::string& model) { return test::shared_dir() / "models" / model; }

using test::ConvertCase;

class ConvertModel : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(ConvertModel, ReopensWithTheSameConfigAndValues) {
  HEARTH_REQUIRE_SHARED();
  test::check_conversion(GetParam());
}

// f16/bf16 of every model are in format_convert_types_tests (label slow).
INSTANTIATE_TEST_SUITE_P(TinyModels, ConvertModel,
                         ::testing::Values(ConvertCase{"qwen3moe-tiny", "f32"}, ConvertCase{"qwen3-tiny", "f32"},
                                           ConvertCase{"qwen2-tiny", "f32"}),
                         test::case_name);

// One conversion shared by the metadata tests.
class ConvertedQwen3 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(test::shared_dir() / "models")) return;
    file_ = new GgufFile(gguf().string());
  }
  static void TearDownTestSuite() {
    delete file_;
    file_ = nullptr;
  }
  void SetUp() override { HEARTH_REQUIRE_SHARED(); }
  // bf16 keeps these weights exactly; converted once per ctest run (model_sources.h).
  static fs::path gguf() { return test::converted_gguf("qwen3moe-tiny", DType::BF16); }

  static json read_json(const std::string& file) {
    return json::parse(read_file((model_dir("qwen3moe-tiny") / file).string()));
  }

  static GgufFile* file_;
};

GgufFile* ConvertedQwen3::file_ = nullptr;

TEST_F(ConvertedQwen3, TokenizerKeys) {
  const GgufFile& f = *file_;
  json tokenizer = read_json("tokenizer.json");
  json config = read_json("tokenizer_config.json");
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "qwen2");

  auto tokens = f.get_string_array("tokenizer.ggml.tokens");
  auto types = f.get_int_array("tokenizer.ggml.token_type");
  EXPECT_EQ(f.get_array("tokenizer.ggml.token_type").element_type, GgufType::INT32);
  ASSERT_EQ(tokens.size(), 151936u);  // padded to the embedding's rows
  ASSERT_EQ(types.size(), tokens.size());
  std::size_t normal = 0;
  for (const auto& [text, id] : tokenizer["model"]["vocab"].items()) {
    ASSERT_EQ(tokens[id.get<std::size_t>()], text);
    EXPECT_EQ(types[id.get<std::size_t>()], 1) << text;
    ++normal;
  }
  EXPECT_EQ(normal, 151643u);
  for (const auto& t : tokenizer["added_tokens"]) {
    auto id = t["id"].get<std::size_t>();
    std::string text = t["content"];
    EXPECT_EQ(tokens[id], text);
    // Special tokens, and non-special ones that look like "<|...|>", are CONTROL (3); the rest
    // (<think>, <tool_call>, ...) USER_DEFINED (4), as llama.cpp's converter writes them.
    bool control = t["special"].get<bool>() || (text.starts_with("<|") && text.ends_with("|>"));
    EXPECT_EQ(types[id], control ? 3 : 4) << text;
  }
  EXPECT_EQ(types[151659], 3);  // <|fim_prefix|>: not special in tokenizer.json, but looks it
  EXPECT_EQ(types[151667], 4);  // <think>
  for (std::size_t id = 151669; id < tokens.size(); ++id) {
    ASSERT_EQ(tokens[id], "[PAD" + std::to_string(id) + "]");
    ASSERT_EQ(types[id], 5);  // UNUSED
  }

  auto merges = f.get_string_array("tokenizer.ggml.merges");
  const json& ref = tokenizer["model"]["merges"];
  ASSERT_EQ(merges.size(), ref.size());
  for (std::size_t i = 0; i < merges.size(); ++i) {
    std::string want = ref[i].is_string() ? ref[i].get<std::string>()
                                          : ref[i][0].get<std::string>() + " " + ref[i][1].get<std::string>();
    ASSERT_EQ(merges[i], want) << i;
  }
  EXPECT_EQ(merges[0], "\xC4\xA0 \xC4\xA0");  // "Ġ Ġ"

  // eos/pad from tokenizer_config.json's strings, bos from config.json (tokenizer_config has null).
  EXPECT_EQ(f.find("tokenizer.ggml.bos_token_id")->type, GgufType::UINT32);
  EXPECT_EQ(f.get_int("tokenizer.ggml.bos_token_id"), 151643);
  EXPECT_EQ(f.get_int("tokenizer.ggml.eos_token_id"), 151645);
  EXPECT_EQ(f.get_int("tokenizer.ggml.padding_token_id"), 151643);
  EXPECT_EQ(tokens[151645], config["eos_token"].get<std::string>());
  EXPECT_EQ(tokens[151643], config["pad_token"].get<std::string>());
  EXPECT_FALSE(f.has("tokenizer.ggml.unknown_token_id"));
  EXPECT_FALSE(f.get_bool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ(f.get_string("tokenizer.chat_template"), config["chat_template"].get<std::string>());
}

TEST_F(ConvertedQwen3, GeneralAndSamplingKeys) {
  const GgufFile& f = *file_;
  json gen = read_json("generation_config.json");
  EXPECT_EQ(f.get_string("general.architecture"), "qwen3moe");
  EXPECT_EQ(f.get_string("general.type"), "model");
  EXPECT_EQ(f.get_string("general.name"), "qwen3moe-tiny");
  EXPECT_EQ(f.get_int("general.file_type"), 32);
  EXPECT_EQ(f.find("general.quantization_version")->type, GgufType::UINT32);
  EXPECT_FALSE(f.has("general.alignment"));  // default 32
  EXPECT_TRUE(f.get_bool("qwen3moe.expert_weights_norm"));
  EXPECT_FLOAT_EQ(static_cast<float>(f.get_float("general.sampling.temp")), gen["temperature"].get<float>());
  EXPECT_EQ(f.get_int("general.sampling.top_k"), gen["top_k"].get<int>());
  EXPECT_FLOAT_EQ(static_cast<float>(f.get_float("general.sampling.top_p")), gen["top_p"].get<float>());

  // Types: norms, biases and the router F32, matrices BF16; the experts stacked {E, rows, cols}.
  EXPECT_EQ(f.find_tensor("blk.0.attn_norm.weight")->dtype, DType::F32);
  EXPECT_EQ(f.find_tensor("blk.0.attn_q_norm.weight")->dtype, DType::F32);
  EXPECT_EQ(f.find_tensor("blk.0.ffn_gate_inp.weight")->dtype, DType::F32);
  EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->dtype, DType::BF16);
  EXPECT_EQ(f.find_tensor("token_embd.weight")->dtype, DType::BF16);
  EXPECT_EQ(f.find_tensor("blk.2.ffn_down_exps.weight")->shape, (std::vector<std::int64_t>{8, 64, 32}));
  EXPECT_EQ(f.find_tensor("blk.2.ffn_gate_exps.weight")->shape, (std::vector<std::int64_t>{8, 32, 64}));
  EXPECT_NE(f.find_tensor("output.weight"), nullptr);  // untied
}

TEST_F(ConvertedQwen3, ModelFilesFromGguf) {
  ModelFiles m = open_model_files(gguf().string());
  json gen = read_json("generation_config.json");
  json config = read_json("tokenizer_config.json");
  EXPECT_EQ(m.chat_template, config["chat_template"].get<std::string>());
  EXPECT_EQ(m.special_token_strings["eos_token"], "<|im_end|>");
  EXPECT_EQ(m.special_token_strings["pad_token"], "<|endoftext|>");
  // The end-of-generation ids of generation_config.json, recovered from the GGUF.
  auto want = gen["eos_token_id"].get<std::vector<std::int64_t>>();
  EXPECT_EQ(m.generation.eos_token_ids, want);
  EXPECT_EQ(m.generation.bos_token_id, gen["bos_token_id"].get<std::int64_t>());
  EXPECT_EQ(m.generation.pad_token_id, gen["pad_token_id"].get<std::int64_t>());
  EXPECT_TRUE(m.generation.do_sample);
  EXPECT_EQ(m.generation.top_k, gen["top_k"].get<std::int64_t>());

  ModelFiles meta_only = open_model_files(gguf().string(), /*load_weights=*/false);
  EXPECT_EQ(meta_only.weights, nullptr);
  EXPECT_NE(meta_only.gguf, nullptr);
}

TEST(Convert, RefusesBadInput) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  EXPECT_FALSE(parse_convert_type("q4_k_m").has_value());
  EXPECT_FALSE(parse_convert_type("int8").has_value());
  EXPECT_EQ(parse_convert_type("BF16"), DType::BF16);
  ConvertOptions options;
  try {
    convert_hf_to_gguf((dir / "nothing").string(), (dir / "x.gguf").string(), options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a folder"), std::string::npos) << e.what();
  }
  // A model folder whose weights lack a tensor: refused, and nothing is written.
  fs::create_directories(dir / "broken");
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(model_dir("qwen2-tiny") / f, dir / "broken" / f);
  json cfg = json::parse(read_file((model_dir("qwen2-tiny") / "config.json").string()));
  cfg["num_hidden_layers"] = 3;  // the safetensors hold 2 layers
  std::ofstream(dir / "broken" / "config.json") << cfg.dump();
  fs::create_symlink(model_dir("qwen2-tiny") / "model.safetensors", dir / "broken" / "model.safetensors");
  try {
    convert_hf_to_gguf((dir / "broken").string(), (dir / "x.gguf").string(), options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor blk.2.attn_norm.weight"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "x.gguf"));
  EXPECT_FALSE(fs::exists(dir / "x.gguf.tmp"));
}

}  // namespace
}  // namespace hearth
