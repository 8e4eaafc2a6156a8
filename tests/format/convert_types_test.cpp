// hearth convert to f16 and bf16: every tiny model, checked as convert_test.cpp checks f32.
// Labelled slow: nine conversions take a while under the sanitizers.
#include <gtest/gtest.h>

#include "convert_check.h"

namespace hearth {
namespace {

using test::ConvertCase;

class ConvertModel16 : public ::testing::TestWithParam<ConvertCase> {};

TEST_P(ConvertModel16, ReopensWithTheSameConfigAndValues) {
  HEARTH_REQUIRE_SHARED();
  test::check_conversion(GetParam());
}

INSTANTIATE_TEST_SUITE_P(TinyModels, ConvertModel16,
                         ::testing::Values(ConvertCase{"qwen3moe-tiny", "f16"}, ConvertCase{"qwen3moe-tiny", "bf16"},
                                           ConvertCase{"qwen3-tiny", "f16"}, ConvertCase{"qwen3-tiny", "bf16"},
                                           ConvertCase{"qwen2-tiny", "f16"}, ConvertCase{"qwen2-tiny", "bf16"}),
                         test::case_name);

}  // namespace
}  // namespace hearth
