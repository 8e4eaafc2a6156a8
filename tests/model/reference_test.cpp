// Hearth's logits and greedy continuations against transformers' (shared/reference) for every prompt,
// loading each tiny model from its Hugging Face folder and from the GGUF files `hearth convert` writes.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "format/model_files.h"
#include "model/model.h"
#include "model_sources.h"
#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

struct ReferenceCase {
  std::string model;
  std::string format;  // "hf", "f32", "bf16", "f16" (the last three: converted GGUF)
};

void PrintTo(const ReferenceCase& c, std::ostream* os) { *os << c.model << " (" << c.format << ")"; }

std::string case_name(const ::testing::TestParamInfo<ReferenceCase>& info) {
  std::string s = info.param.model + "_" + info.param.format;
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

std::filesystem::path model_path(const ReferenceCase& c) {
  if (c.format == "hf") return hf_model_dir(c.model);
  return converted_gguf(c.model, *dtype_from_name(c.format));
}

class ReferenceTest : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(ReferenceTest, MatchesTransformers) {
  HEARTH_REQUIRE_SHARED();
  const ReferenceCase& c = GetParam();
  const Reference ref = load_reference(shared_dir() / "reference", c.model);
  ModelFiles files = open_model_files(model_path(c).string());
  cpu::CpuBackend backend;
  auto model = load_model(files, backend);
  ASSERT_EQ(model->config().vocab_size, ref.vocab_size);

  // bf16 is lossless for these models (their weights are bf16); f16 rounds them.
  const bool exact = c.format == "hf" || c.format == "f32" || c.format == "bf16";
  expect_matches_reference(*model, ref, exact);
}

std::vector<ReferenceCase> all_cases() {
  std::vector<ReferenceCase> cases;
  for (const char* model : {"qwen3moe-tiny", "qwen3-tiny", "qwen2-tiny"})
    for (const char* format : {"hf", "f32", "bf16", "f16"}) cases.push_back({model, format});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(TinyModels, ReferenceTest, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace hearth::test
