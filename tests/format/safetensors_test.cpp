// Safetensors: single file vs a sharded copy give identical tensors; broken files fail with a
// message naming the file and the problem.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "format/model_files.h"
#include "format/safetensors.h"
#include "format/weight_store.h"
#include "gguf_bytes.h"
#include "safetensors_test_writer.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using test::SafetensorsEntry;
using test::TempDir;

std::string st_dtype(DType t) {
  switch (t) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    default:
      return std::string(dtype_name(t));
  }
}

SafetensorsEntry entry_of(const std::string& name, const TensorView& v) {
  const auto* p = static_cast<const std::uint8_t*>(v.data);
  return {name, st_dtype(v.dtype), v.shape, std::vector<std::uint8_t>(p, p + v.nbytes)};
}

// Copies `model`'s single model.safetensors into `n` shards + model.safetensors.index.json.
void write_sharded_copy(const fs::path& model, const fs::path& out, int n) {
  fs::create_directories(out);
  fs::copy_file(model / "config.json", out / "config.json");
  SafetensorsFile single((model / "model.safetensors").string());
  std::vector<std::vector<SafetensorsEntry>> shards(static_cast<std::size_t>(n));
  nlohmann::json weight_map = nlohmann::json::object();
  int i = 0;
  for (const auto& [name, view] : single.tensors()) {
    int shard = i++ % n;
    shards[static_cast<std::size_t>(shard)].push_back(entry_of(name, view));
    weight_map[name] = "model-0000" + std::to_string(shard + 1) + "-of-0000" + std::to_string(n) + ".safetensors";
  }
  for (int s = 0; s < n; ++s)
    test::write_safetensors(
        out / ("model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(n) + ".safetensors"),
        shards[static_cast<std::size_t>(s)]);
  std::ofstream(out / "model.safetensors.index.json")
      << nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}}.dump(2);
}

void expect_same_view(const TensorView& a, const TensorView& b, const std::string& what) {
  EXPECT_EQ(a.dtype, b.dtype) << what;
  EXPECT_EQ(a.shape, b.shape) << what;
  ASSERT_EQ(a.nbytes, b.nbytes) << what;
  EXPECT_EQ(std::memcmp(a.data, b.data, static_cast<std::size_t>(a.nbytes)), 0) << what;
}

TEST(Safetensors, ShardedCopyGivesIdenticalTensors) {
  HEARTH_REQUIRE_SHARED();
  for (const char* model : {"qwen3moe-tiny", "qwen2-tiny"}) {
    SCOPED_TRACE(model);
    const fs::path src = test::shared_dir() / "models" / model;
    TempDir dir;
    write_sharded_copy(src, dir / "sharded", 3);
    std::string arch = std::string(model) == "qwen2-tiny" ? "qwen2" : "qwen3moe";
    auto single = load_hf_weights(src.string(), arch);
    auto sharded = load_hf_weights((dir / "sharded").string(), arch);
    auto names = single->names();
    ASSERT_EQ(names, sharded->names());
    ASSERT_FALSE(names.empty());
    std::size_t stacked = 0;
    for (const auto& name : names) {
      if (const auto* parts = single->expert_parts(name)) {
        const auto* other = sharded->expert_parts(name);
        ASSERT_NE(other, nullptr) << name;
        ASSERT_EQ(parts->size(), other->size()) << name;
        for (std::size_t e = 0; e < parts->size(); ++e) expect_same_view((*parts)[e], (*other)[e], name);
        ++stacked;
      } else {
        expect_same_view(*single->find(name), *sharded->find(name), name);
      }
    }
    // qwen3moe-tiny: 3 layers x {gate, up, down} experts; qwen2 is dense.
    EXPECT_EQ(stacked, arch == "qwen3moe" ? 9u : 0u);
    // And the sharded folder opens as a model (config + weights, shapes checked).
    ModelFiles m = open_model_files((dir / "sharded").string());
    EXPECT_EQ(m.config.arch, arch);
  }
}

TEST(Safetensors, ShardIndexProblems) {
  TempDir dir;
  fs::create_directories(dir / "m");
  std::ofstream(dir / "m" / "model.safetensors.index.json") << R"({"weight_map": {"a": "missing.safetensors"}})";
  EXPECT_THROW(load_hf_weights((dir / "m").string(), "qwen3"), Error);
  std::ofstream(dir / "m" / "model.safetensors.index.json") << R"({"weight_map": {"a": "../escape.safetensors"}})";
  try {
    load_hf_weights((dir / "m").string(), "qwen3");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain file name"), std::string::npos) << e.what();
  }
  fs::remove(dir / "m" / "model.safetensors.index.json");
  EXPECT_THROW(load_hf_weights((dir / "m").string(), "qwen3"), Error);  // no weights at all
}

class SafetensorsErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::uint8_t> a(2 * 3 * 4), b(5 * 2);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(i);
    good_ = {{"a", "F32", {2, 3}, a}, {"b", "BF16", {5}, b}};
    test::write_safetensors(dir_ / "good.safetensors", good_);
    bytes_ = test::GgufBytes::read_bytes(dir_ / "good.safetensors");
  }

  // Writes `bytes` and returns the load error (or "loaded").
  std::string error_of(const std::vector<std::uint8_t>& bytes) {
    const fs::path p = dir_ / "broken.safetensors";
    test::GgufBytes::write_bytes(p, bytes);
    try {
      SafetensorsFile f(p.string());
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p.string() + ": ", 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      return msg;
    }
    return "loaded";
  }

  std::vector<std::uint8_t> with_header(const std::string& json, std::size_t data_bytes) {
    std::vector<std::uint8_t> out(8);
    std::uint64_t len = json.size();
    std::memcpy(out.data(), &len, 8);
    out.insert(out.end(), json.begin(), json.end());
    out.resize(out.size() + data_bytes, 0);
    return out;
  }

  TempDir dir_;
  std::vector<SafetensorsEntry> good_;
  std::vector<std::uint8_t> bytes_;
};

#define EXPECT_ERROR_HAS(msg, fragment) \
  EXPECT_NE((msg).find(fragment), std::string::npos) << "expected '" << (fragment) << "' in: " << (msg)

TEST_F(SafetensorsErrors, GoodFileLoads) {
  SafetensorsFile f((dir_ / "good.safetensors").string());
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorView& a = f.tensors().at("a");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(std::memcmp(a.data, good_[0].bytes.data(), 24), 0);
  EXPECT_EQ(f.tensors().at("b").dtype, DType::BF16);
}

TEST_F(SafetensorsErrors, TruncatedFiles) {
  // Every cut of the file loses the header or tensor data.
  for (std::size_t n = 0; n < bytes_.size(); ++n) {
    std::string msg =
        error_of(std::vector<std::uint8_t>(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n)));
    EXPECT_NE(msg, "loaded") << "cut at " << n;
  }
  EXPECT_ERROR_HAS(error_of({1, 2, 3}), "too short");
  std::vector<std::uint8_t> cut_data(bytes_.begin(), bytes_.end() - 3);
  EXPECT_ERROR_HAS(error_of(cut_data), "tensor b: data range [24, 34) lies outside the data section (31 bytes)");
}

TEST_F(SafetensorsErrors, CorruptedHeaders) {
  std::vector<std::uint8_t> huge = bytes_;
  std::uint64_t len = std::uint64_t{1} << 62;
  std::memcpy(huge.data(), &len, 8);
  EXPECT_ERROR_HAS(error_of(huge), "runs past the end of the file");
  EXPECT_ERROR_HAS(error_of(with_header("{\"a\": ", 0)), "not valid JSON");
  EXPECT_ERROR_HAS(error_of(with_header("[1, 2]", 0)), "not a JSON object");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", 1)),
                   "unsupported dtype F8_E4M3");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 8)),
                   "needs 8 bytes but the file holds 4");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 8)),
                   "negative dimension");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", 8)),
                   "lies outside the data section");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 8)),
                   "two entries");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32", "shape": "x", "data_offsets": [0, 4]}})", 8)),
                   "malformed entry");
  EXPECT_ERROR_HAS(error_of(with_header(R"({"a": {"dtype": "F32"}})", 8)), "needs dtype, shape and data_offsets");
  EXPECT_ERROR_HAS(
      error_of(with_header(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 8)),
      "shape too large");
}

}  // namespace
}  // namespace hearth
