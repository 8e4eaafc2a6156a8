// qwen3moe-wide (real Qwen3-30B-A3B layer width: hidden 2048, 32 heads x 128, 32 experts top-8) against
// shared/reference/qwen3moe-wide.json. The 1.3 GB model is not shipped; generate it with
//   /usr/bin/python3 ../shared/models/make_models.py ../shared/models/qwen3moe-tiny OUT_DIR qwen3moe-wide
// and point HEARTH_WIDE_MODEL at OUT_DIR/qwen3moe-wide. Labelled slow.
//
// Q8_0 at this width: issue #3 asks for logits "within 2e-2 relative" of f32. This random-weight model amplifies
// small perturbations: the 8-bit rounding of the weights alone, run in f32 (the file dequantized), moves the
// last-position logits by up to 3.2 % (relative L2) from transformers, and the 8-bit rounding of the activations
// that the Q8_0 kernels add (as llama.cpp's do) moves them by up to 2.35 % from that f32 run (measured on the
// reference prompts). The bounds are 3e-2 for the kernels against the decoded weights and 5e-2 against
// transformers; a wrong kernel or layout gives errors of order 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "backend/cpu/cpu_backend.h"
#include "format/hf_to_gguf.h"
#include "format/model_files.h"
#include "format/quantize.h"
#include "format/quantize_mix.h"
#include "model/model.h"
#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

// The qwen3moe-wide folder, or nullptr (the test skips).
const char* wide_model_dir() {
  const char* dir = std::getenv("HEARTH_WIDE_MODEL");
  if (dir == nullptr || !std::filesystem::exists(std::filesystem::path(dir) / "model.safetensors")) return nullptr;
  return dir;
}

#define HEARTH_REQUIRE_WIDE_MODEL()                                                                        \
  if (wide_model_dir() == nullptr)                                                                        \
  GTEST_SKIP() << "set HEARTH_WIDE_MODEL to a qwen3moe-wide folder (see this file's header) to run this test"

TEST(WideModel, MatchesTransformers) {
  HEARTH_REQUIRE_SHARED();
  HEARTH_REQUIRE_WIDE_MODEL();
  const char* dir = wide_model_dir();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-wide");
  ModelFiles files = open_model_files(dir);
  cpu::CpuBackend backend;
  auto model = load_model(files, backend);
  expect_matches_reference(*model, ref, /*exact=*/true);
}

TEST(WideModel, Q8_0CloseToTransformersAndToItsDecodedWeights) {
  HEARTH_REQUIRE_SHARED();
  HEARTH_REQUIRE_WIDE_MODEL();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-wide");
  TempDir tmp;
  const std::string path = (tmp / "qwen3moe-wide-q8_0.gguf").string();
  ConvertOptions options;
  options.mix = *find_quant_mix("q8_0");
  convert_hf_to_gguf(wide_model_dir(), path, options);
  // The same rounded weights, decoded to f32.
  const std::string decoded_path = (tmp / "qwen3moe-wide-q8_0-decoded-f32.gguf").string();
  QuantizeOptions decode;
  decode.mix = *find_quant_mix("f32");
  decode.allow_requantize = true;
  quantize_gguf(path, decoded_path, decode);

  ModelFiles files = open_model_files(path);
  ModelFiles decoded_files = open_model_files(decoded_path);
  cpu::CpuBackend backend;
  auto model = load_model(files, backend);
  auto decoded = load_model(decoded_files, backend);
  double worst_kernel = 0, worst_reference = 0, worst_weights = 0;
  for (std::size_t p = 0; p < ref.prompts.size(); ++p) {
    SCOPED_TRACE("prompt " + ref.prompts[p].name);
    const PromptRun q = run_prompt(*model, ref.prompts[p].ids, 0);
    const PromptRun f = run_prompt(*decoded, ref.prompts[p].ids, 0);
    const auto q_last = q.logits.row(q.logits.n_rows - 1);
    const auto f_last = f.logits.row(f.logits.n_rows - 1);
    const double kernel = relative_l2_error(q_last, f_last);
    const double reference = relative_l2_error(q_last, ref.last(p));
    EXPECT_LE(kernel, 3e-2);
    EXPECT_LE(reference, 5e-2);
    worst_kernel = std::max(worst_kernel, kernel);
    worst_reference = std::max(worst_reference, reference);
    worst_weights = std::max(worst_weights, relative_l2_error(f_last, ref.last(p)));
  }
  std::printf(
      "  qwen3moe-wide q8_0, last position, worst relative L2 error: %.3g vs the decoded weights in f32, %.3g vs "
      "transformers (the decoded weights alone: %.3g)\n",
      worst_kernel, worst_reference, worst_weights);
}

}  // namespace
}  // namespace hearth::test
