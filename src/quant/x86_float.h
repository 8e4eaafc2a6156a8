#pragma once
// f32 / f16 / bf16 weights times f32 activations, for any vector width Vec (V256 here; the AVX-512 variant
// adds V512). Weights are widened to f32 exactly and accumulated with FMA; the k % lanes tail is scalar.
#include "quant/x86_common.h"

namespace hearth::quant::detail {
namespace {

struct V256 {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static float sum(V v) { return hsum(v); }
  static V load_f32(const float* p) { return _mm256_loadu_ps(p); }
  static V load_f16(const std::uint16_t* p) { return _mm256_cvtph_ps(load128(p)); }
  static V load_bf16(const std::uint16_t* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
  }
};

inline float bf16_bits_to_float(std::uint16_t b) {
  const __m128i v = _mm_cvtsi32_si128(static_cast<int>(b) << 16);
  return _mm_cvtss_f32(_mm_castsi128_ps(v));
}

template <class Vec>
struct F32Weights {
  static typename Vec::V load(const std::uint8_t* row, std::int64_t i) {
    return Vec::load_f32(reinterpret_cast<const float*>(row) + i);
  }
  static float at(const std::uint8_t* row, std::int64_t i) { return reinterpret_cast<const float*>(row)[i]; }
};

template <class Vec>
struct F16Weights {
  static typename Vec::V load(const std::uint8_t* row, std::int64_t i) {
    return Vec::load_f16(reinterpret_cast<const std::uint16_t*>(row) + i);
  }
  static float at(const std::uint8_t* row, std::int64_t i) {
    return half_to_float(reinterpret_cast<const std::uint16_t*>(row)[i]);
  }
};

template <class Vec>
struct BF16Weights {
  static typename Vec::V load(const std::uint8_t* row, std::int64_t i) {
    return Vec::load_bf16(reinterpret_cast<const std::uint16_t*>(row) + i);
  }
  static float at(const std::uint8_t* row, std::int64_t i) {
    return bf16_bits_to_float(reinterpret_cast<const std::uint16_t*>(row)[i]);
  }
};

template <class Vec, class Weights>
struct FloatKernel {
  template <int RM, int RN>
  static void tile(std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x, std::size_t xs,
                   float* y, std::size_t ys) {
    typename Vec::V acc[RM][RN];
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) acc[r][t] = Vec::zero();
    std::int64_t i = 0;
    for (; i + Vec::kLanes <= k; i += Vec::kLanes) {
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) {
        const typename Vec::V wv = Weights::load(w + r * ws, i);
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t)
          acc[r][t] = Vec::fmadd(wv, Vec::load_f32(reinterpret_cast<const float*>(x + t * xs) + i), acc[r][t]);
      }
    }
    for (int r = 0; r < RM; ++r) {
      for (int t = 0; t < RN; ++t) {
        float s = Vec::sum(acc[r][t]);
        const float* xr = reinterpret_cast<const float*>(x + t * xs);
        for (std::int64_t j = i; j < k; ++j) s += Weights::at(w + r * ws, j) * xr[j];
        y[t * ys + r] = s;
      }
    }
  }
};

}  // namespace
}  // namespace hearth::quant::detail
