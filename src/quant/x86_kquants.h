#pragma once
// Q4_K, Q5_K and Q6_K weights times Q8_K activations, and the f32 -> Q8_K activation quantizer.
//
// Per super-block and weight row: unpack the 4/5/6-bit codes 32 at a time (unsigned, so maddubs can take
// them), multiply-add with the activation bytes into int16 pairs, scale those by the sub-block scales into
// int32 lanes, and convert once per super-block to f32. Mins (Q4_K/Q5_K) and the -32 offset (Q6_K) are
// applied through the activations' 16-element sums (bsums) instead of per element.
#include "quant/x86_common.h"

namespace hearth::quant::detail {
namespace {

// unpack_scales_k4 (blocks.h) in one vector: bytes 0-7 the 6-bit scales, 8-15 the mins. Done in registers, it
// avoids writing four words and reading them back as one vector, a load that store forwarding cannot serve.
inline __m128i unpack_scales_k4_x86(const std::uint8_t* packed) {
  const __m128i v = load128(packed);                                    // words a b c, then 4 bytes not used
  const __m128i acbc = _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 1, 2, 0));  // a c b c
  const __m128i aabb = _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 1, 0, 0));  // a a b b
  const __m128i low = _mm_and_si128(_mm_srlv_epi32(acbc, _mm_setr_epi32(0, 0, 0, 4)),
                                    _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  const __m128i high = _mm_and_si128(_mm_srli_epi32(aabb, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
  return _mm_or_si128(low, high);
}

// The codes of 64 Q4_K/Q5_K elements from 32 bytes of qs: low nibbles (sub-block 2c) in lo, high nibbles
// (sub-block 2c + 1) in hi; with kHighBit (Q5_K), bits 0 and 1 of each byte of h become their fifth bits.
template <bool kHighBit>
inline void k45_codes(__m256i bits, __m256i h, __m256i& lo, __m256i& hi) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  lo = _mm256_and_si256(bits, low4);
  hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
  if constexpr (kHighBit) {
    const __m256i bit4 = _mm256_set1_epi8(0x10);
    lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(h, 4), bit4));
    hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(h, 3), bit4));
  }
}

// Q4_K (kHighBit = false) and Q5_K (true): x̂ = d·sc[j]·q − dmin·m[j].
template <class WBlock, bool kHighBit>
struct KQuant45Kernel {
  template <int RM, int RN>
  static void tile(std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x, std::size_t xs,
                   float* y, std::size_t ys) {
    const std::int64_t nb = k / kQKK;
    __m256 acc[RM][RN];
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();

    for (std::int64_t b = 0; b < nb; ++b) {
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) {
        const WBlock& wb = block_at<WBlock>(w + r * ws, b);
        prefetch_ahead<sizeof(WBlock)>(&wb);
        const __m128i packed = unpack_scales_k4_x86(wb.scales);  // scales 0-7, mins 8-15
        // The 8 scales as int16 in both 128-bit lanes; sub-block j's scale is picked out by a byte shuffle.
        const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(packed));
        __m256i isum[RN];
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) isum[t] = _mm256_setzero_si256();
        __m256i hbits = _mm256_setzero_si256();
        if constexpr (kHighBit) hbits = load256(wb.qh);
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) {  // 64 elements: sub-blocks 2c (low nibbles) and 2c + 1 (high nibbles)
          __m256i lo, hi;
          k45_codes<kHighBit>(load256(wb.qs + 32 * c), hbits, lo, hi);  // hbits: bits 2c, 2c + 1 of qh
          if constexpr (kHighBit) hbits = _mm256_srli_epi16(hbits, 2);
          const __m256i scale_lo = _mm256_shuffle_epi8(scales, _mm256_set1_epi16(static_cast<short>(0x0100 + 0x0404 * c)));
          const __m256i scale_hi = _mm256_shuffle_epi8(scales, _mm256_set1_epi16(static_cast<short>(0x0302 + 0x0404 * c)));
#pragma GCC unroll 8
          for (int t = 0; t < RN; ++t) {
            const std::int8_t* xq = block_at<BlockQ8_K>(x + t * xs, b).qs + 64 * c;
            isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(lo, load256(xq)), scale_lo);
            isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(hi, load256(xq + 32)), scale_hi);
          }
        }
        // m[j] paired with both 16-sums of sub-block j: m0 m0 m1 m1 ... m7 m7.
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(packed, packed));
        const float d = half_to_float(wb.d), dmin = half_to_float(wb.dmin);
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) {
          const BlockQ8_K& xb = block_at<BlockQ8_K>(x + t * xs, b);
          const __m256i msum = _mm256_madd_epi16(load256(xb.bsums), mins);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * d), _mm256_cvtepi32_ps(isum[t]), acc[r][t]);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(-(xb.d * dmin)), _mm256_cvtepi32_ps(msum), acc[r][t]);
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) y[t * ys + r] = hsum(acc[r][t]);
  }
};

// The 6-bit codes (0..63) of Q6_K elements 128h + 32kk .. +31 in q[kk], kk = 0..3: low 4 bits from ql, top bits
// from the qh bit pairs (0-1), (2-3), (4-5), (6-7).
inline void q6k_codes(const BlockQ6_K& wb, int h, __m256i q[4]) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  const __m256i ql0 = load256(wb.ql + 64 * h), ql1 = load256(wb.ql + 64 * h + 32);
  const __m256i qh = load256(wb.qh + 32 * h);
  q[0] = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
  q[1] = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
  q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, bits45));
  q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                         _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
}

// Q6_K: x̂ = d·sc[j]·(q − 32), computed as d·(Σ sc·q·a − 32·Σ sc_j·bsum_j) with q unsigned (0..63).
struct Q6KKernel {
  template <int RM, int RN>
  static void tile(std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x, std::size_t xs,
                   float* y, std::size_t ys) {
    const std::int64_t nb = k / kQKK;
    __m256 acc[RM][RN];
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();

    for (std::int64_t b = 0; b < nb; ++b) {
#pragma GCC unroll 8
      for (int r = 0; r < RM; ++r) {
        const BlockQ6_K& wb = block_at<BlockQ6_K>(w + r * ws, b);
        prefetch_ahead<sizeof(BlockQ6_K)>(&wb);
        const __m128i sc8 = load128(wb.scales);
        __m256i isum[RN];
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
          __m256i q[4];
          q6k_codes(wb, h, q);
#pragma GCC unroll 4
          for (int kk = 0; kk < 4; ++kk) {
            const int g = 4 * h + kk;  // 32-element group: scales 2g (first 16) and 2g + 1 (last 16)
            const __m128i pick = _mm_set_epi64x(static_cast<long long>(0x0101010101010101ULL * (2 * g + 1)),
                                                static_cast<long long>(0x0101010101010101ULL * (2 * g)));
            const __m256i scale = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(sc8, pick));
#pragma GCC unroll 8
            for (int t = 0; t < RN; ++t) {
              const std::int8_t* xq = block_at<BlockQ8_K>(x + t * xs, b).qs + 32 * g;
              isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(q[kk], load256(xq)), scale);
            }
          }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        const float d = half_to_float(wb.d);
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) {
          const BlockQ8_K& xb = block_at<BlockQ8_K>(x + t * xs, b);
          const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(load256(xb.bsums), sc16), 5);
          acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * d), _mm256_cvtepi32_ps(_mm256_sub_epi32(isum[t], offset)),
                                      acc[r][t]);
        }
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) y[t * ys + r] = hsum(acc[r][t]);
  }
};

// Same grid and rounding as quantize_q8_K_act (ties to even), so the bytes match the scalar path exactly.
inline void quantize_q8_K_act_x86(const float* x, void* out, std::int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(out);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (std::int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    __m256 amax = _mm256_setzero_ps();
    for (int e = 0; e < kQKK; e += 8) amax = _mm256_max_ps(amax, _mm256_and_ps(_mm256_loadu_ps(x + e), abs_mask));
    const float m = hmax(amax);
    const float iscale = m != 0 ? 127.0f / m : 0.0f;
    y[i].d = m != 0 ? 1.0f / iscale : 0.0f;
    const __m256 mul = _mm256_set1_ps(iscale);
    for (int g = 0; g < kQKK / 32; ++g) {
      const float* xg = x + 32 * g;
      const __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xg), mul));
      const __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xg + 8), mul));
      const __m256i q2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xg + 16), mul));
      const __m256i q3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xg + 24), mul));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + 32 * g), pack_i32_to_i8(q0, q1, q2, q3));
      y[i].bsums[2 * g] = static_cast<std::int16_t>(hsum_i32(_mm256_add_epi32(q0, q1)));
      y[i].bsums[2 * g + 1] = static_cast<std::int16_t>(hsum_i32(_mm256_add_epi32(q2, q3)));
    }
  }
}

}  // namespace
}  // namespace hearth::quant::detail
