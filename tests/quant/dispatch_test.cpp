// Variant selection: names, availability, the HEARTH_CPU setting, and the kernel tables' shape.
#include <gtest/gtest.h>

#include "quant/cpu_features.h"
#include "quant/quant.h"
#include "util/error.h"

namespace hearth::quant {
namespace {

TEST(Dispatch, VariantNamesRoundTrip) {
  for (CpuVariant v : {CpuVariant::kScalar, CpuVariant::kAvx2, CpuVariant::kAvx512}) {
    CpuVariant parsed;
    ASSERT_TRUE(parse_variant(variant_name(v), &parsed));
    EXPECT_EQ(parsed, v);
  }
  CpuVariant parsed;
  EXPECT_FALSE(parse_variant("sse2", &parsed));
}

TEST(Dispatch, ScalarIsAlwaysAvailableAndVariantsFollowFeatures) {
  const auto variants = available_variants();
  ASSERT_FALSE(variants.empty());
  EXPECT_EQ(variants.front(), CpuVariant::kScalar);
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(variant_available(CpuVariant::kAvx2), f.avx2 && f.fma && f.f16c);
  EXPECT_EQ(variant_available(CpuVariant::kAvx512),
            f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni);
}

TEST(Dispatch, ResolveFollowsHearthCpuSetting) {
  EXPECT_EQ(resolve_variant(""), available_variants().back());
  EXPECT_EQ(resolve_variant("auto"), available_variants().back());
  EXPECT_EQ(resolve_variant("scalar"), CpuVariant::kScalar);
  EXPECT_THROW(resolve_variant("fastest"), Error);
  for (CpuVariant v : {CpuVariant::kAvx2, CpuVariant::kAvx512}) {
    if (variant_available(v)) {
      EXPECT_EQ(resolve_variant(variant_name(v)), v);
    } else {
      EXPECT_THROW(resolve_variant(variant_name(v)), Error);
    }
  }
}

TEST(Dispatch, SetActiveVariantSwitchesTraits) {
  const CpuVariant before = active_variant();
  for (CpuVariant v : available_variants()) {
    set_active_variant(v);
    EXPECT_EQ(active_variant(), v);
    EXPECT_EQ(&traits(DType::Q4_K), &traits(DType::Q4_K, v));
  }
  set_active_variant(before);
}

TEST(Dispatch, TraitsDescribeEachWeightType) {
  struct Expect {
    DType type, vec_dot_type;
    std::int64_t block;
  };
  for (const Expect& e : {Expect{DType::F32, DType::F32, 1}, Expect{DType::F16, DType::F32, 1},
                          Expect{DType::BF16, DType::F32, 1}, Expect{DType::Q8_0, DType::Q8_0, 32},
                          Expect{DType::Q4_0, DType::Q8_0, 32}, Expect{DType::Q4_K, DType::Q8_K, 256},
                          Expect{DType::Q5_K, DType::Q8_K, 256}, Expect{DType::Q6_K, DType::Q8_K, 256}}) {
    for (CpuVariant v : available_variants()) {
      const TypeTraits& tt = traits(e.type, v);
      EXPECT_EQ(tt.type, e.type);
      EXPECT_EQ(tt.vec_dot_type, e.vec_dot_type);
      EXPECT_EQ(tt.block_size, e.block);
      EXPECT_NE(tt.from_float, nullptr);
      EXPECT_NE(tt.vec_dot, nullptr);
      EXPECT_NE(tt.gemm, nullptr);
    }
  }
  EXPECT_FALSE(has_kernels(DType::Q2_K));
  EXPECT_THROW(traits(DType::Q2_K), Error);
}

}  // namespace
}  // namespace hearth::quant
