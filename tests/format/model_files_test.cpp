// open_model_files on broken models: missing or mis-shaped tensors, unknown architectures,
// truncated files. Each gives one error naming the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "format/model_files.h"
#include "format/safetensors.h"
#include "gguf_bytes.h"
#include "model_sources.h"
#include "safetensors_test_writer.h"
#include "test_support.h"
#include "util/error.h"
#include "util/mapped_file.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

fs::path model_dir(const std::string& model) { return test::shared_dir() / "models" / model; }

std::string open_error(const fs::path& path) {
  try {
    open_model_files(path.string());
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(path.string() + ": ", 0), 0u) << msg;
    // The path is named once, not once per layer of the loader.
    EXPECT_EQ(msg.find(path.string(), 1), std::string::npos) << msg;
    return msg;
  }
  return "loaded";
}

#define EXPECT_OPEN_ERROR(path, fragment)                                                                \
  do {                                                                                                   \
    std::string _msg = open_error(path);                                                                 \
    EXPECT_NE(_msg.find(fragment), std::string::npos) << "expected '" << (fragment) << "' in: " << _msg; \
  } while (0)

// Copies a GGUF, letting `edit` drop (return false) or re-shape tensors and change metadata.
using TensorEdit = std::function<bool(std::string& name, std::vector<std::int64_t>& shape)>;
void rewrite_gguf(const fs::path& src, const fs::path& dst, const TensorEdit& edit,
                  const std::function<void(std::string&, GgufValue&)>& edit_kv = nullptr) {
  GgufFile in(src.string());
  GgufWriter out(dst.string(), in.alignment());
  for (auto [key, value] : in.metadata()) {
    if (key == "general.alignment") continue;
    if (edit_kv) edit_kv(key, value);
    out.add_metadata(key, value);
  }
  std::vector<const TensorView*> kept;
  for (const auto& t : in.tensors()) {
    std::string name = t.name;
    std::vector<std::int64_t> shape = t.shape;
    if (!edit(name, shape)) continue;
    out.add_tensor(name, t.dtype, shape);
    kept.push_back(&t);
  }
  for (const auto* t : kept) out.write_tensor_data(t->data, static_cast<std::size_t>(t->nbytes));
  out.finish();
}

class BrokenModels : public ::testing::Test {
 protected:
  void SetUp() override { HEARTH_REQUIRE_SHARED(); }
  // qwen2-tiny converted to an f32 GGUF (once per ctest run: model_sources.h).
  static fs::path good() { return test::converted_gguf("qwen2-tiny", DType::F32); }

  TempDir tmp_;
};

TEST_F(BrokenModels, GoodFilesOpen) {
  EXPECT_EQ(open_error(good()), "loaded");
  EXPECT_EQ(open_error(model_dir("qwen2-tiny")), "loaded");
}

TEST_F(BrokenModels, GgufQwen2WithoutBiasesIsRefused) {
  // llama.cpp would load this and compute garbage.
  rewrite_gguf(good(), tmp_ / "nobias.gguf", [](std::string& name, auto&) { return !name.ends_with(".bias"); });
  EXPECT_OPEN_ERROR(tmp_ / "nobias.gguf", "missing tensor blk.0.attn_q.bias");
}

TEST_F(BrokenModels, GgufMissingOrMisShapedTensor) {
  rewrite_gguf(good(), tmp_ / "missing.gguf", [](std::string& name, auto&) { return name != "blk.1.ffn_down.weight"; });
  EXPECT_OPEN_ERROR(tmp_ / "missing.gguf", "missing tensor blk.1.ffn_down.weight");
  rewrite_gguf(good(), tmp_ / "transposed.gguf", [](std::string& name, std::vector<std::int64_t>& shape) {
    if (name == "blk.0.attn_k.weight") std::swap(shape[0], shape[1]);
    return true;
  });
  EXPECT_OPEN_ERROR(tmp_ / "transposed.gguf", "tensor blk.0.attn_k.weight has shape [64, 32], expected [32, 64]");
  rewrite_gguf(good(), tmp_ / "renamed.gguf", [](std::string& name, auto&) {
    if (name == "output_norm.weight") name = "norm.weight";
    return true;
  });
  EXPECT_OPEN_ERROR(tmp_ / "renamed.gguf", "missing tensor output_norm.weight");
}

TEST_F(BrokenModels, GgufUnknownArchitecture) {
  rewrite_gguf(
      good(), tmp_ / "llama.gguf", [](auto&, auto&) { return true; },
      [](std::string& key, GgufValue& v) {
        if (key == "general.architecture") v = GgufValue::str("llama");
      });
  EXPECT_OPEN_ERROR(tmp_ / "llama.gguf", "unsupported architecture 'llama'");
}

TEST_F(BrokenModels, TruncatedGguf) {
  const auto bytes = test::GgufBytes::read_bytes(good());
  for (std::size_t cut : {std::size_t{10}, bytes.size() / 3, bytes.size() - 1}) {
    test::GgufBytes::write_bytes(tmp_ / "cut.gguf", {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut)});
    EXPECT_OPEN_ERROR(tmp_ / "cut.gguf", "truncated");
  }
}

TEST_F(BrokenModels, HfFolderMissingOrMisShapedTensor) {
  SafetensorsFile st((model_dir("qwen2-tiny") / "model.safetensors").string());
  auto copy_without = [&](const fs::path& dir, const std::string& drop, const std::string& transpose) {
    fs::create_directories(dir);
    fs::copy_file(model_dir("qwen2-tiny") / "config.json", dir / "config.json");
    std::vector<test::SafetensorsEntry> entries;
    for (const auto& [name, v] : st.tensors()) {
      if (name == drop) continue;
      const auto* p = static_cast<const std::uint8_t*>(v.data);
      auto shape = v.shape;
      if (name == transpose) std::swap(shape[0], shape[1]);
      entries.push_back({name, "BF16", shape, {p, p + v.nbytes}});
    }
    test::write_safetensors(dir / "model.safetensors", entries);
  };
  copy_without(tmp_ / "nobias", "model.layers.1.self_attn.v_proj.bias", "");
  EXPECT_OPEN_ERROR(tmp_ / "nobias", "missing tensor blk.1.attn_v.bias");
  copy_without(tmp_ / "transposed", "", "model.layers.0.mlp.up_proj.weight");
  EXPECT_OPEN_ERROR(tmp_ / "transposed", "tensor blk.0.ffn_up.weight has shape [64, 160], expected [160, 64]");
  // An untied model without lm_head is refused (llama.cpp would silently reuse the embedding).
  copy_without(tmp_ / "untied", "", "");
  nlohmann::json cfg = nlohmann::json::parse(read_file((model_dir("qwen2-tiny") / "config.json").string()));
  cfg["tie_word_embeddings"] = false;
  std::ofstream(tmp_ / "untied" / "config.json") << cfg.dump();
  EXPECT_OPEN_ERROR(tmp_ / "untied", "missing tensor output.weight");
}

TEST(ModelFiles, MissingPathAndUnknownArchitecture) {
  TempDir tmp;
  EXPECT_OPEN_ERROR(tmp / "nowhere", "no such file or folder");
  fs::create_directories(tmp / "llama");
  std::ofstream(tmp / "llama" / "config.json") << R"({"model_type": "llama", "architectures": ["LlamaForCausalLM"]})";
  EXPECT_OPEN_ERROR(tmp / "llama", "unsupported architecture 'llama' (LlamaForCausalLM)");
  std::ofstream(tmp / "text.gguf") << "hello";
  EXPECT_OPEN_ERROR(tmp / "text.gguf", "not a GGUF file");
}

}  // namespace
}  // namespace hearth
