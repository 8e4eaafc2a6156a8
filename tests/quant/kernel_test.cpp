// Every kernel variant available on this CPU against the scalar reference; the scalar kernels against the
// dot product of the dequantized rows; GEMM against repeated vec_dot.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "quant/quant.h"
#include "reference_decode.h"
#ifdef HEARTH_TEST_VNNI_EMULATION
#include "vnni_emulation.h"
#endif

namespace hearth::quant {
namespace {

using test::gaussian;
using test::random_blocks;

constexpr CpuVariant kAllVariants[] = {CpuVariant::kScalar, CpuVariant::kAvx2, CpuVariant::kAvx512};
constexpr DType kWeightTypes[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                                  DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

std::vector<std::int64_t> lengths_for(DType type) {
  if (dtype_info(type).block_size == 1) return {1, 7, 8, 15, 16, 33, 100, 768, 1000, 2048};
  if (dtype_info(type).block_size == 32) return {32, 64, 96, 768, 2048};
  return {256, 512, 768, 2048};
}

// A weight row of `type`: quantized Gaussian values, or (random_bytes) arbitrary blocks that reach every code.
std::vector<std::uint8_t> weight_row(DType type, std::int64_t n, bool random_bytes, std::mt19937& rng) {
  if (random_bytes && dtype_info(type).quantized) return random_blocks(type, n / dtype_info(type).block_size, rng);
  const auto x = gaussian(n, rng, 0.05f);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(row_bytes(type, n)));
  quantize_row(type, x.data(), row.data(), n);
  return row;
}

// An activation row in the vec_dot_type, made by the scalar activation quantizer.
std::vector<std::uint8_t> activation_row(DType type, std::int64_t n, std::mt19937& rng) {
  const auto& tt = traits(type, CpuVariant::kScalar);
  const auto x = gaussian(n, rng);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(row_bytes(tt.vec_dot_type, n)));
  tt.from_float(x.data(), row.data(), n);
  return row;
}

std::vector<double> decoded(DType type, const std::vector<std::uint8_t>& row, std::int64_t n) {
  std::vector<float> f(static_cast<std::size_t>(n));
  dequantize_row(type, row.data(), f.data(), n);
  return {f.begin(), f.end()};
}

// Exact dot product of the decoded rows and the sum of |products| (the scale of f32 rounding errors).
struct ExactDot {
  double value = 0, magnitude = 0;
};
ExactDot exact_dot(DType type, const std::vector<std::uint8_t>& w, const std::vector<std::uint8_t>& x, std::int64_t n) {
  const auto a = decoded(type, w, n);
  const auto b = decoded(traits(type, CpuVariant::kScalar).vec_dot_type, x, n);
  ExactDot d;
  for (std::int64_t i = 0; i < n; ++i) {
    d.value += a[i] * b[i];
    d.magnitude += std::fabs(a[i] * b[i]);
  }
  return d;
}

std::string label(DType type, std::int64_t n, bool random_bytes) {
  return std::string(dtype_name(type)) + " n=" + std::to_string(n) + (random_bytes ? " (random blocks)" : "");
}

// The scalar kernels compute the dot product of exactly the values dequantize_row decodes.
TEST(Kernels, ScalarVecDotEqualsDotOfDecodedRows) {
  std::mt19937 rng(17);
  for (DType type : kWeightTypes) {
    for (std::int64_t n : lengths_for(type)) {
      for (bool random_bytes : {false, true}) {
        const auto w = weight_row(type, n, random_bytes, rng);
        const auto x = activation_row(type, n, rng);
        const ExactDot want = exact_dot(type, w, x, n);
        const float got = traits(type, CpuVariant::kScalar).vec_dot(n, w.data(), x.data());
        EXPECT_NEAR(got, want.value, 2e-6 * want.magnitude + 1e-30) << label(type, n, random_bytes);
      }
    }
  }
}

class VariantTest : public ::testing::TestWithParam<CpuVariant> {
 protected:
  void SetUp() override {
    if (!variant_available(GetParam()))
      GTEST_SKIP() << "this CPU cannot run the " << variant_name(GetParam()) << " kernels";
  }
};

// Integer block sums are exact in every variant; only the f32 accumulation order differs.
TEST_P(VariantTest, VecDotMatchesScalar) {
  std::mt19937 rng(23);
  for (DType type : kWeightTypes) {
    const auto& simd = traits(type, GetParam());
    const auto& ref = traits(type, CpuVariant::kScalar);
    ASSERT_EQ(simd.vec_dot_type, ref.vec_dot_type);
    for (std::int64_t n : lengths_for(type)) {
      for (bool random_bytes : {false, true}) {
        const auto w = weight_row(type, n, random_bytes, rng);
        const auto x = activation_row(type, n, rng);
        const double magnitude = exact_dot(type, w, x, n).magnitude;
        EXPECT_NEAR(simd.vec_dot(n, w.data(), x.data()), ref.vec_dot(n, w.data(), x.data()), 2e-6 * magnitude + 1e-30)
            << label(type, n, random_bytes) << " " << variant_name(GetParam());
      }
    }
  }
}

// The activation quantizers round the same way, so their bytes are identical to the scalar ones.
TEST_P(VariantTest, FromFloatMatchesScalarBytes) {
  std::mt19937 rng(29);
  for (DType type : {DType::Q8_0, DType::Q4_K}) {
    const auto& simd = traits(type, GetParam());
    const auto& ref = traits(type, CpuVariant::kScalar);
    for (std::int64_t n : {256, 2048}) {
      auto x = gaussian(n, rng, 3.0f);
      for (std::int64_t i = 0; i < 32; ++i) x[i] = 0.0f;  // an all-zero block
      x[40] = 127.0f;                                       // a block whose grid is 1: exact ties
      x[41] = 2.5f;
      x[42] = -3.5f;
      const std::size_t bytes = static_cast<std::size_t>(row_bytes(ref.vec_dot_type, n));
      std::vector<std::uint8_t> a(bytes), b(bytes);
      simd.from_float(x.data(), a.data(), n);
      ref.from_float(x.data(), b.data(), n);
      EXPECT_EQ(a, b) << dtype_name(ref.vec_dot_type) << " n=" << n << " " << variant_name(GetParam());
    }
  }
}

// One GEMM with padded strides and a padded output against vec_dot, output by output (bit for bit), and
// nothing written outside the output.
void expect_gemm_equals_vec_dot(DType type, CpuVariant variant, std::int64_t k, std::int64_t rows,
                                std::int64_t tokens, std::mt19937& rng) {
  const auto& tt = traits(type, variant);
  const std::size_t w_stride = static_cast<std::size_t>(row_bytes(type, k)) + 64;
  const std::size_t x_stride = static_cast<std::size_t>(row_bytes(tt.vec_dot_type, k)) + 32;
  std::vector<std::uint8_t> w(w_stride * rows), x(x_stride * tokens);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = weight_row(type, k, r % 2 == 1, rng);
    std::copy(row.begin(), row.end(), w.begin() + static_cast<long>(r * w_stride));
  }
  for (std::int64_t t = 0; t < tokens; ++t) {
    const auto row = activation_row(type, k, rng);
    std::copy(row.begin(), row.end(), x.begin() + static_cast<long>(t * x_stride));
  }
  const std::size_t y_stride = static_cast<std::size_t>(rows) + 3;
  std::vector<float> y(y_stride * tokens, -12345.0f);
  tt.gemm(k, rows, tokens, w.data(), w_stride, x.data(), x_stride, y.data(), y_stride);
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (std::int64_t r = 0; r < static_cast<std::int64_t>(y_stride); ++r) {
      const float got = y[t * y_stride + r];
      if (r >= rows) {
        ASSERT_EQ(got, -12345.0f) << "gemm wrote outside its output";
        continue;
      }
      const float want = tt.vec_dot(k, w.data() + r * w_stride, x.data() + t * x_stride);
      ASSERT_EQ(got, want) << dtype_name(type) << " k=" << k << " rows=" << rows << " tokens=" << tokens
                           << " r=" << r << " t=" << t << " " << variant_name(variant);
    }
  }
}

// GEMM over odd shapes (partial tiles) equals vec_dot bit for bit.
TEST_P(VariantTest, GemmEqualsVecDot) {
  std::mt19937 rng(31);
  for (DType type : kWeightTypes) {
    const std::int64_t k = dtype_info(type).block_size == 1 ? 67 : 512;
    for (std::int64_t rows : {1, 3, 4, 5, 9})
      for (std::int64_t tokens : {1, 2, 3, 4, 5, 7, 13}) expect_gemm_equals_vec_dot(type, GetParam(), k, rows, tokens, rng);
  }
}

// Shapes where the kernels split their work: several eight-row blocks plus leftover rows, more tokens than one
// chunk of activations, an odd number of super-blocks (the MoE down projection's k = 768).
TEST_P(VariantTest, GemmEqualsVecDotOnLargerShapes) {
  std::mt19937 rng(41);
  for (DType type : kWeightTypes) {
    const std::int64_t k = dtype_info(type).block_size == 1 ? 200 : 768;
    expect_gemm_equals_vec_dot(type, GetParam(), k, 27, 70, rng);
    expect_gemm_equals_vec_dot(type, GetParam(), k, 16, 130, rng);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, VariantTest, ::testing::ValuesIn(kAllVariants),
                         [](const auto& info) { return std::string(variant_name(info.param)); });

// The VNNI kernels (AVX-512 variant) with vpdpbusd/vpdpwssd emulated must give the AVX2 kernels' results bit
// for bit: same integer sums, same f32 accumulation order. Covers their logic on CPUs without AVX-512.
#ifdef HEARTH_TEST_VNNI_EMULATION
TEST(Kernels, VnniKernelLogicMatchesAvx2) {
  if (!variant_available(CpuVariant::kAvx2)) GTEST_SKIP() << "the emulation needs AVX2";
  std::mt19937 rng(37);
  for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const auto& avx2 = traits(type, CpuVariant::kAvx2);
    const GemmFn vnni = test::vnni_emulated_gemm(type);
    ASSERT_NE(vnni, nullptr);
    const std::int64_t k = 1024, rows = 11, tokens = 20;  // past the eight-row kernels' thresholds
    const std::size_t w_stride = static_cast<std::size_t>(row_bytes(type, k));
    const std::size_t x_stride = static_cast<std::size_t>(row_bytes(avx2.vec_dot_type, k));
    std::vector<std::uint8_t> w, x;
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto row = weight_row(type, k, r % 2 == 0, rng);
      w.insert(w.end(), row.begin(), row.end());
    }
    for (std::int64_t t = 0; t < tokens; ++t) {
      const auto row = activation_row(type, k, rng);
      x.insert(x.end(), row.begin(), row.end());
    }
    for (std::int64_t n : {std::int64_t{1}, tokens}) {
      std::vector<float> got(static_cast<std::size_t>(rows * n)), want(got.size());
      vnni(k, rows, n, w.data(), w_stride, x.data(), x_stride, got.data(), rows);
      for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t r = 0; r < rows; ++r)
          want[t * rows + r] = avx2.vec_dot(k, w.data() + r * w_stride, x.data() + t * x_stride);
      EXPECT_EQ(got, want) << dtype_name(type) << " tokens=" << n;
    }
  }
}
#endif

// A hand-computable dot product through every available variant: Q8_0 weights all 2 with d = 0.5 against
// activations all 3 with d = 0.25 -> each of the 64 products is (0.5 * 2) * (0.25 * 3) = 0.75.
TEST(Kernels, KnownAnswerQ8_0) {
  std::uint8_t w[68], x[68];
  for (int b = 0; b < 2; ++b) {
    w[34 * b] = 0x00, w[34 * b + 1] = 0x38;  // 0.5
    x[34 * b] = 0x00, x[34 * b + 1] = 0x34;  // 0.25
    for (int i = 0; i < 32; ++i) w[34 * b + 2 + i] = 2, x[34 * b + 2 + i] = 3;
  }
  for (CpuVariant v : available_variants()) EXPECT_EQ(traits(DType::Q8_0, v).vec_dot(64, w, x), 48.0f) << variant_name(v);
}

}  // namespace
}  // namespace hearth::quant
