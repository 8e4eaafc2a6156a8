#pragma once
// Q4_K and Q5_K GEMM eight weight rows at a time, for batches (x86_rows8.h explains the scheme and why it gives
// the row kernel's results bit for bit). Against KQuant45Kernel: lane q of a row's partial sums adds
// d·xd·Σ(sc·q·a over its elements) and then −dmin·xd·(sub-block q's min · its activation sums) per super-block.
// Q5_K's fifth bits are regrouped the same way (qh byte e holds bit j of element 32j + e, for all eight
// sub-blocks j, so one transpose of qh serves the whole super-block).
#include "quant/x86_kquants.h"
#include "quant/x86_rows8.h"

namespace hearth::quant::detail {
namespace {

// One super-block of eight Q4_K (kHighBit = false) or Q5_K (true) rows, regrouped.
template <class WBlock, bool kHighBit>
struct KQuant45Rows8 {
  // Q4_K: with weights coming from memory, as for MoE experts in batched decoding (bench/quant_bench
  // gemm_mem/q4_K), the row kernel is ~25 % faster at 4 tokens and the two tie at 8; serve_bench's decode rate at
  // 16 streams (about 4 tokens per expert) fell 12 % when this was 4. Q5_K regroups one more vector per
  // row and sets the fifth bits, so it waits for 16 tokens, as Q6_K does.
  static constexpr std::int64_t kMinTokens = kHighBit ? 16 : 8;

  // [c][q]: elements 64c + 4q .. +3 (lo, sub-block 2c) and 64c + 32 + 4q .. +3 (hi, sub-block 2c + 1) of
  // rows 0-7, four bytes per row, as codes 0-15 (0-31 with Q5_K's fifth bit).
  __m256i lo[4][8];
  __m256i hi[4][8];
  __m256i scale[8];  // sub-block j: each row's 6-bit scale in both int16 halves of its 32-bit lane
  __m256i min[8];    // the same for the 6-bit mins
  __m256 d, dmin;    // per row

  void regroup(const std::uint8_t* w, std::size_t ws, std::int64_t b) {
    const WBlock* blk[8];
    alignas(16) std::uint16_t d16[8], dmin16[8];
    __m128i sm[8];  // per row: scales 0-7, mins 8-15
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) {
      blk[r] = &block_at<WBlock>(w + r * ws, b);
      prefetch_next_rows8<sizeof(WBlock)>(blk[r], ws);
      sm[r] = unpack_scales_k4_x86(blk[r]->scales);
      d16[r] = blk[r]->d;
      dmin16[r] = blk[r]->dmin;
    }
    d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(d16)));
    dmin = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dmin16)));

    __m128i cols[8];  // cols[i]: sub-blocks 2i, 2i+1 (scales for i < 4, mins for i >= 4), eight rows each
    transpose8x16_u8(sm, cols);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      scale[2 * i] = u8x8_to_i16_pairs(cols[i]);
      scale[2 * i + 1] = u8x8_to_i16_pairs(_mm_unpackhi_epi64(cols[i], cols[i]));
      min[2 * i] = u8x8_to_i16_pairs(cols[4 + i]);
      min[2 * i + 1] = u8x8_to_i16_pairs(_mm_unpackhi_epi64(cols[4 + i], cols[4 + i]));
    }

    __m256i high[8] = {};  // Q5_K: [q] qh bytes 4q .. 4q+3 of rows 0-7 (bit j: sub-block j's fifth bit)
    if constexpr (kHighBit) {
      __m256i v[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) v[r] = load256(blk[r]->qh);
      transpose8x8_i32(v, high);
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      __m256i v[8], g[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) v[r] = load256(blk[r]->qs + 32 * c);
      transpose8x8_i32(v, g);
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q)
        k45_codes<kHighBit>(g[q], _mm256_srli_epi16(high[q], 2 * c), lo[c][q], hi[c][q]);  // qh bits 2c, 2c + 1
    }
  }

  // RN tokens against the regrouped super-block: adds it to each token's partial sums. The integer sums of all
  // eight groups are formed first and the f32 updates after, so that the two phases do not compete for the
  // sixteen vector registers.
  template <int RN>
  void tokens(const std::uint8_t* x, std::size_t xs, std::int64_t b, Rows8Partials* acc) const {
    const BlockQ8_K* xb[RN];
#pragma GCC unroll 8
    for (int t = 0; t < RN; ++t) xb[t] = &block_at<BlockQ8_K>(x + t * xs, b);
    __m256i sums[8][RN];
#pragma GCC unroll 1
    for (int q = 0; q < 8; ++q) {
      __m256i isum[RN];
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        const __m256i wlo = lo[c][q], whi = hi[c][q];
#pragma GCC unroll 8
        for (int t = 0; t < RN; ++t) {
          const std::int8_t* a = xb[t]->qs + 64 * c + 4 * q;
          isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(wlo, broadcast32(a)), scale[2 * c]);
          isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(whi, broadcast32(a + 32)), scale[2 * c + 1]);
        }
      }
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) sums[q][t] = isum[t];
    }
#pragma GCC unroll 1
    for (int t = 0; t < RN; ++t) {
      const __m256 xd = _mm256_set1_ps(xb[t]->d);
      const __m256 d_xd = _mm256_mul_ps(xd, d), dmin_xd = _mm256_mul_ps(xd, dmin);
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        // Sub-block q's min times its two 16-element activation sums.
        const __m256i msum = _mm256_madd_epi16(min[q], broadcast32(xb[t]->bsums + 2 * q));
        __m256 part = acc[t].part[q];
        part = _mm256_fmadd_ps(d_xd, _mm256_cvtepi32_ps(sums[q][t]), part);
        part = _mm256_fnmadd_ps(dmin_xd, _mm256_cvtepi32_ps(msum), part);
        acc[t].part[q] = part;
      }
    }
  }
};

// RM: weight rows of the row kernel's tiles (fewer tokens than kMinTokens, leftover rows).
template <class WBlock, bool kHighBit, int RM, int RN>
void gemm_kquant45_rows8(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w,
                         std::size_t w_stride, const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  gemm_rows8<KQuant45Rows8<WBlock, kHighBit>, gemm_tiled<KQuant45Kernel<WBlock, kHighBit>, RM, 4, 1>, RN>(
      k, n_rows, n_tokens, w, w_stride, x, x_stride, y, y_stride);
}

}  // namespace
}  // namespace hearth::quant::detail
