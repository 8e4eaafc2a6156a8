#pragma once
// Q8_0 and Q4_0 weights times Q8_0 activations, and the f32 -> Q8_0 activation quantizer.
//
// Per 32-element block: the int8 dot product of |w| and x·sign(w) (the "sign trick" makes one operand
// unsigned for maddubs/dpbusd without changing the products), converted to f32 and accumulated with the
// product of the two block scales.
#include "quant/x86_common.h"

namespace hearth::quant::detail {
namespace {

struct Q8_0Weights {
  using Block = BlockQ8_0;
  static __m256i load(const Block& b) { return load256(b.qs); }
};

struct Q4_0Weights {
  using Block = BlockQ4_0;
  // Elements 0-15 are the low nibbles, 16-31 the high nibbles; stored with +8 offset.
  static __m256i load(const Block& b) {
    const __m128i q = load128(b.qs);
    const __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
    return _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8));
  }
};

template <class Weights>
struct Q8DotKernel {
  using WBlock = typename Weights::Block;

  template <int RM, int RN>
  static void tile(std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x, std::size_t xs,
                   float* y, std::size_t ys) {
    const std::int64_t nb = k / kQK8_0;
    __m256 acc[RM][RN];
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < nb; ++b) {
      float dx[RN];  // broadcast from memory below: a load, not an ALU operation
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) dx[t] = half_to_float(block_at<BlockQ8_0>(x + t * xs, b).d);
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) {
        const WBlock& wb = block_at<WBlock>(w + r * ws, b);
        prefetch_ahead<sizeof(WBlock)>(&wb);
        const __m256i wq = Weights::load(wb);
        const __m256i wabs = _mm256_abs_epi8(wq);
        const __m256 dw = _mm256_set1_ps(half_to_float(wb.d));
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) {
          const __m256i xq = _mm256_sign_epi8(load256(block_at<BlockQ8_0>(x + t * xs, b).qs), wq);
          const __m256i dot = dot_u8s8_acc(_mm256_setzero_si256(), wabs, xq);
          const __m256 scale = _mm256_mul_ps(dw, _mm256_broadcast_ss(&dx[t]));
          acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[r][t]);
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) y[t * ys + r] = hsum(acc[r][t]);
  }
};

// Same grid and rounding as quantize_q8_0_act (ties to even), so the bytes match the scalar path exactly.
inline void quantize_q8_0_act_x86(const float* x, void* out, std::int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(out);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (std::int64_t b = 0; b < n / kQK8_0; ++b, x += kQK8_0) {
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    const __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    const __m256 m01 = _mm256_max_ps(_mm256_and_ps(v0, abs_mask), _mm256_and_ps(v1, abs_mask));
    const __m256 m23 = _mm256_max_ps(_mm256_and_ps(v2, abs_mask), _mm256_and_ps(v3, abs_mask));
    const float d = hmax(_mm256_max_ps(m01, m23)) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = _cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT);
    const __m256 mul = _mm256_set1_ps(id);
    const __m256i q = pack_i32_to_i8(_mm256_cvtps_epi32(_mm256_mul_ps(v0, mul)), _mm256_cvtps_epi32(_mm256_mul_ps(v1, mul)),
                                     _mm256_cvtps_epi32(_mm256_mul_ps(v2, mul)), _mm256_cvtps_epi32(_mm256_mul_ps(v3, mul)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), q);
  }
}

}  // namespace
}  // namespace hearth::quant::detail
