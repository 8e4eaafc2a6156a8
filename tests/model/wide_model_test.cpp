// qwen3moe-wide (real Qwen3-30B-A3B layer width: hidden 2048, 32 heads x 128, 32 experts top-8) against
// shared/reference/qwen3moe-wide.json. The 1.3 GB model is not shipped; generate it with
//   /usr/bin/python3 ../shared/models/make_models.py ../shared/models/qwen3moe-tiny OUT_DIR qwen3moe-wide
// and point HEARTH_WIDE_MODEL at OUT_DIR/qwen3moe-wide. Labelled slow.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "backend/cpu/cpu_backend.h"
#include "format/model_files.h"
#include "model/model.h"
#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

TEST(WideModel, MatchesTransformers) {
  HEARTH_REQUIRE_SHARED();
  const char* dir = std::getenv("HEARTH_WIDE_MODEL");
  if (dir == nullptr || !std::filesystem::exists(std::filesystem::path(dir) / "model.safetensors"))
    GTEST_SKIP() << "set HEARTH_WIDE_MODEL to a qwen3moe-wide folder (see this file's header) to run this test";
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-wide");
  ModelFiles files = open_model_files(dir);
  cpu::CpuBackend backend;
  auto model = load_model(files, backend);
  expect_matches_reference(*model, ref, /*exact=*/true);
}

}  // namespace
}  // namespace hearth::test
