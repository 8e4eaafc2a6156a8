#pragma once
// Q6_K GEMM eight weight rows at a time, for batches (x86_rows8.h explains the scheme and why it gives the row
// kernel's results bit for bit). Against Q6KKernel: lane j of a row's partial sums adds
// d·xd·(Σ over the eight 32-element groups g of sc[2g + (j >= 4)]·(q·a over elements 32g + 4j .. +3)
//      − 32·(sc[2j]·bsum[2j] + sc[2j+1]·bsum[2j+1])) per super-block.
#include "quant/x86_kquants.h"
#include "quant/x86_rows8.h"

namespace hearth::quant::detail {
namespace {

// One super-block of eight Q6_K rows, regrouped.
struct Q6KRows8 {
  // Regrouping Q6_K costs more than Q4_K (the codes are unpacked first): at 8 tokens the row kernel is ~12 %
  // faster with weights from memory (bench/quant_bench gemm_mem/q6_K) and ~5 % in cache; at 16 this is 6-17 %
  // faster, at 32-128 about 25 %.
  static constexpr std::int64_t kMinTokens = 16;

  __m256i codes[8][8];  // [g][j]: elements 32g + 4j .. +3 of rows 0-7, four bytes per row, as codes 0-63
  __m256i scale[16];    // sub-block s: each row's int8 scale, sign-extended, in both int16 halves of its lane
  __m256i offset[8];    // [j]: each row's (sc[2j], sc[2j+1]) as an int16 pair, for the −32 offset
  __m256 d;             // per row

  void regroup(const std::uint8_t* w, std::size_t ws, std::int64_t b) {
    alignas(32) std::uint8_t row_codes[8][kQKK];  // each row's 256 codes in element order
    alignas(16) std::uint16_t d16[8];
    __m128i sc[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) {
      const BlockQ6_K& wb = block_at<BlockQ6_K>(w + r * ws, b);
      prefetch_next_rows8<sizeof(BlockQ6_K)>(&wb, ws);
      sc[r] = load128(wb.scales);
      d16[r] = wb.d;
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        __m256i q[4];
        q6k_codes(wb, h, q);
#pragma GCC unroll 4
        for (int kk = 0; kk < 4; ++kk)
          _mm256_store_si256(reinterpret_cast<__m256i*>(row_codes[r] + 128 * h + 32 * kk), q[kk]);
      }
    }
    d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(d16)));

    __m128i cols[8];  // cols[i]: scales 2i and 2i + 1 of the eight rows
    transpose8x16_u8(sc, cols);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      scale[2 * i] = s8x8_to_i16_pairs(cols[i]);
      scale[2 * i + 1] = s8x8_to_i16_pairs(_mm_unpackhi_epi64(cols[i], cols[i]));
      // Row by row (sc[2i], sc[2i + 1]), sign-extended.
      offset[i] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(cols[i], _mm_unpackhi_epi64(cols[i], cols[i])));
    }

#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
      __m256i v[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) v[r] = _mm256_load_si256(reinterpret_cast<const __m256i*>(row_codes[r] + 32 * g));
      transpose8x8_i32(v, codes[g]);
    }
  }

  // RN tokens against the regrouped super-block: adds it to each token's partial sums (integer sums first, f32
  // updates after, as in KQuant45Rows8).
  template <int RN>
  void tokens(const std::uint8_t* x, std::size_t xs, std::int64_t b, Rows8Partials* acc) const {
    const BlockQ8_K* xb[RN];
#pragma GCC unroll 8
    for (int t = 0; t < RN; ++t) xb[t] = &block_at<BlockQ8_K>(x + t * xs, b);
    __m256i sums[8][RN];
#pragma GCC unroll 1
    for (int j = 0; j < 8; ++j) {
      const int half = j < 4 ? 0 : 1;  // which of the group's two 16-element sub-blocks lane j falls in
      __m256i isum[RN];
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int g = 0; g < 8; ++g) {
        const __m256i wq = codes[g][j];
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t)
          isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(wq, broadcast32(xb[t]->qs + 32 * g + 4 * j)),
                             scale[2 * g + half]);
      }
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) {
        const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(offset[j], broadcast32(xb[t]->bsums + 2 * j)), 5);
        sums[j][t] = _mm256_sub_epi32(isum[t], off);
      }
    }
#pragma GCC unroll 1
    for (int t = 0; t < RN; ++t) {
      const __m256 d_xd = _mm256_mul_ps(_mm256_set1_ps(xb[t]->d), d);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j)
        acc[t].part[j] = _mm256_fmadd_ps(d_xd, _mm256_cvtepi32_ps(sums[j][t]), acc[t].part[j]);
    }
  }
};

template <int RM, int RN>
void gemm_q6k_rows8(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w, std::size_t w_stride,
                    const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  gemm_rows8<Q6KRows8, gemm_tiled<Q6KKernel, RM, 4, 1>, RN>(k, n_rows, n_tokens, w, w_stride, x, x_stride, y,
                                                             y_stride);
}

}  // namespace
}  // namespace hearth::quant::detail
