#pragma once
// Test helper: converts a tiny model and checks the GGUF against its Hugging Face folder: same
// config, only the expected tensors, each equal to the safetensors values after the conversion.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "config_compare.h"
#include "format/hf_to_gguf.h"
#include "format/model_files.h"
#include "format/model_tensors.h"
#include "test_support.h"

namespace hearth::test {

namespace convert_check_detail {
namespace fs = std::filesystem;
inline fs::path model_dir(const std::string& model) { return test::shared_dir() / "models" / model; }

// The value a converter must store for `x` in `type`, as raw bits of that type.
inline std::vector<std::uint8_t> encode_row(const float* x, std::int64_t n, DType type) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(row_bytes(type, n)));
  for (std::int64_t i = 0; i < n; ++i) {
    if (type == DType::F32) {
      std::memcpy(out.data() + 4 * i, &x[i], 4);
    } else {
      std::uint16_t h = type == DType::F16 ? f32_to_f16(x[i]) : f32_to_bf16(x[i]);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  }
  return out;
}

// Compares one tensor (or one expert) row by row.
inline void expect_converted(const TensorView& hf, const TensorView& gguf, DType type, const std::string& what) {
  ASSERT_EQ(gguf.dtype, type) << what;
  ASSERT_EQ(hf.shape, gguf.shape) << what;
  const std::int64_t n = hf.row_length();
  std::vector<float> row(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> src(static_cast<std::size_t>(hf.row_stride_bytes()));
  int bad_rows = 0;
  for (std::int64_t r = 0; r < hf.rows(); ++r) {
    std::memcpy(src.data(), hf.row(r), src.size());
    row_to_f32(hf.dtype, src.data(), row.data(), n);
    std::vector<std::uint8_t> want = encode_row(row.data(), n, type);
    if (std::memcmp(want.data(), gguf.row(r), want.size()) != 0 && ++bad_rows <= 3)
      ADD_FAILURE() << what << ": row " << r << " differs";
  }
  EXPECT_EQ(bad_rows, 0) << what;
}

}  // namespace convert_check_detail

struct ConvertCase {
  const char* model;
  const char* type;
};

inline std::string case_name(const ::testing::TestParamInfo<ConvertCase>& info) {
  std::string name = std::string(info.param.model) + "_" + info.param.type;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

inline void check_conversion(const ConvertCase& p) {
  using namespace convert_check_detail;
  const DType type = parse_convert_type(p.type).value();
  TempDir dir;
  const fs::path out = dir / "model.gguf";
  ConvertOptions options;
  options.type = type;
  int progress_lines = 0;
  options.progress = [&](const std::string&) { ++progress_lines; };
  ConvertResult r = convert_hf_to_gguf(model_dir(p.model).string(), out.string(), options);
  EXPECT_EQ(r.file_bytes, fs::file_size(out));
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));

  ModelFiles hf = open_model_files(model_dir(p.model).string());
  ModelFiles gg = open_model_files(out.string());
  EXPECT_EQ(gg.kind, ModelFiles::Kind::Gguf);
  expect_same_config(hf.config, gg.config);

  const auto expected = expected_tensors(hf.config);
  EXPECT_EQ(r.tensors, static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(progress_lines, static_cast<int>(expected.size()));
  EXPECT_EQ(gg.gguf->tensors().size(), expected.size());  // nothing else is written
  for (const auto& t : expected) {
    const DType want = t.shape.size() == 1 || t.name.ends_with("ffn_gate_inp.weight") ? DType::F32 : type;
    if (t.stacked_experts) {
      ASSERT_NE(hf.weights->expert_parts(t.name), nullptr) << t.name;
      EXPECT_EQ(gg.weights->expert_parts(t.name), nullptr) << t.name;  // stored stacked
      EXPECT_EQ(gg.weights->get(t.name, t.shape).dtype, want) << t.name;
      const std::vector<std::int64_t> shape(t.shape.begin() + 1, t.shape.end());
      for (std::int64_t e = 0; e < t.shape[0]; ++e)
        expect_converted(hf.weights->expert(t.name, e, shape), gg.weights->expert(t.name, e, shape), want,
                         t.name + " expert " + std::to_string(e));
    } else {
      expect_converted(hf.weights->get(t.name, t.shape), gg.weights->get(t.name, t.shape), want, t.name);
    }
  }
  EXPECT_EQ(gg.gguf->get_int("general.file_type"), type == DType::F32 ? 0 : type == DType::F16 ? 1 : 32);
}

}  // namespace hearth::test
