#pragma once
// Q4_K GEMM eight weight rows at a time, for batches (prompt processing, MoE experts with several tokens).
//
// The row-at-a-time kernel (KQuant45Kernel) spends much of a batch's time on per-row work: unpacking scales,
// shuffling them, converting and accumulating its sums for every (row, token) pair, and it runs out of
// registers. Here the codes of eight rows are regrouped once per super-block into vectors that hold four
// consecutive codes of each of the eight rows; a token's four activation bytes, broadcast, then meet all eight
// rows in one maddubs, and every lane of every accumulator belongs to one row.
//
// The result equals KQuant45Kernel's bit for bit, which is what keeps a token's logits independent of its
// batch. That kernel keeps, per row, eight f32 partial sums: lane q holds the elements 4q .. 4q+3 of every
// 32-element sub-block, adds d·xd·(its exact integer sum) and then -dmin·xd·(sub-block q's min sum) once per
// super-block, and adds the lanes up at the end in a fixed tree. Here group q of the regrouped codes is exactly
// those elements, so the same eight partial sums are formed (as eight vectors, one lane per row) with the same
// operations in the same order.
#include "quant/x86_common.h"
#include "quant/x86_gemm.h"
#include "quant/x86_kquants.h"

namespace hearth::quant::detail {
namespace {

// One super-block of eight Q4_K rows, regrouped.
struct Q4KRows8 {
  // [c][q]: elements 64c + 4q .. +3 (lo, sub-block 2c) and 64c + 32 + 4q .. +3 (hi, sub-block 2c + 1) of
  // rows 0-7, four bytes per row, as codes 0-15.
  __m256i lo[4][8];
  __m256i hi[4][8];
  __m256i scale[8];  // sub-block j: each row's 6-bit scale in both int16 halves of its 32-bit lane
  __m256i min[8];    // the same for the 6-bit mins
  __m256 d, dmin;    // per row
};

// The 8x8 transpose of 32-bit elements: out[q] = {v[0][q], ..., v[7][q]}.
inline void transpose8x8_i32(const __m256i v[8], __m256i out[8]) {
  __m256i t[8], u[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]);      // q0 q1 | q4 q5 of rows 2i, 2i+1
    t[2 * i + 1] = _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]);  // q2 q3 | q6 q7
  }
#pragma GCC unroll 2
  for (int i = 0; i < 2; ++i) {
    u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);      // q0 | q4 of rows 4i .. 4i+3
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);      // q1 | q5
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);  // q2 | q6
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);  // q3 | q7
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    out[q] = _mm256_permute2x128_si256(u[q], u[4 + q], 0x20);
    out[q + 4] = _mm256_permute2x128_si256(u[q], u[4 + q], 0x31);
  }
}

inline void regroup_q4k_rows8(const std::uint8_t* w, std::size_t ws, std::int64_t b, Q4KRows8& p) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const BlockQ4_K* blk[8];
  alignas(16) std::uint16_t d[8], dmin[8];
  __m128i sm[8];  // per row: scales 0-7, mins 8-15
#pragma GCC unroll 8
  for (int r = 0; r < 8; ++r) {
    blk[r] = &block_at<BlockQ4_K>(w + r * ws, b);
    // The same super-block of the next eight rows: the eight rows are read side by side, so the row kernel's
    // prefetch a few KB ahead of each would land in rows being read already.
    const char* next = reinterpret_cast<const char*>(blk[r]) + 8 * ws;
#pragma GCC unroll 4
    for (std::size_t o = 0; o < sizeof(BlockQ4_K); o += 64) _mm_prefetch(next + o, _MM_HINT_T0);
    sm[r] = unpack_scales_k4_x86(blk[r]->scales);
    d[r] = blk[r]->d;
    dmin[r] = blk[r]->dmin;
  }
  p.d = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(d)));
  p.dmin = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dmin)));

  // Byte transpose of the 8 x 16 (row, scale-or-min) matrix: pairs, then quads, then octets of rows.
  const __m128i a0 = _mm_unpacklo_epi8(sm[0], sm[1]), b0 = _mm_unpackhi_epi8(sm[0], sm[1]);
  const __m128i a1 = _mm_unpacklo_epi8(sm[2], sm[3]), b1 = _mm_unpackhi_epi8(sm[2], sm[3]);
  const __m128i a2 = _mm_unpacklo_epi8(sm[4], sm[5]), b2 = _mm_unpackhi_epi8(sm[4], sm[5]);
  const __m128i a3 = _mm_unpacklo_epi8(sm[6], sm[7]), b3 = _mm_unpackhi_epi8(sm[6], sm[7]);
  const __m128i pairs[2][4] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}};  // [scales, mins][row pair]
#pragma GCC unroll 2
  for (int kind = 0; kind < 2; ++kind) {
    const __m128i* s = pairs[kind];
    const __m128i c0 = _mm_unpacklo_epi16(s[0], s[1]), c1 = _mm_unpackhi_epi16(s[0], s[1]);  // rows 0-3
    const __m128i c2 = _mm_unpacklo_epi16(s[2], s[3]), c3 = _mm_unpackhi_epi16(s[2], s[3]);  // rows 4-7
    const __m128i cols[4] = {_mm_unpacklo_epi32(c0, c2), _mm_unpackhi_epi32(c0, c2), _mm_unpacklo_epi32(c1, c3),
                             _mm_unpackhi_epi32(c1, c3)};  // sub-blocks 2i and 2i+1, 8 rows each
    __m256i* out = kind == 0 ? p.scale : p.min;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      out[2 * i] = u8x8_to_i16_pairs(cols[i]);
      out[2 * i + 1] = u8x8_to_i16_pairs(_mm_unpackhi_epi64(cols[i], cols[i]));
    }
  }

#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    __m256i v[8], g[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) v[r] = load256(blk[r]->qs + 32 * c);
    transpose8x8_i32(v, g);
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      p.lo[c][q] = _mm256_and_si256(g[q], low4);
      p.hi[c][q] = _mm256_and_si256(_mm256_srli_epi16(g[q], 4), low4);
    }
  }
}

// The eight f32 partial sums of KQuant45Kernel for eight rows and one token: part[q] lane r = row r's lane q.
struct Q4KRows8Partials {
  __m256 part[8];
};

// RN tokens against one regrouped super-block: adds the super-block to each token's partial sums. The integer
// sums of all eight groups are formed first and the f32 updates after, so that the two phases do not compete
// for the sixteen vector registers.
template <int RN>
inline void q4k_rows8_tokens(const Q4KRows8& p, const std::uint8_t* x, std::size_t xs, std::int64_t b,
                             Q4KRows8Partials* acc) {
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
      const __m256i lo = p.lo[c][q], hi = p.hi[c][q];
#pragma GCC unroll 8
      for (int t = 0; t < RN; ++t) {
        const std::int8_t* a = xb[t]->qs + 64 * c + 4 * q;
        isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(lo, broadcast32(a)), p.scale[2 * c]);
        isum[t] = madd_acc(isum[t], _mm256_maddubs_epi16(hi, broadcast32(a + 32)), p.scale[2 * c + 1]);
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < RN; ++t) sums[q][t] = isum[t];
  }
#pragma GCC unroll 1
  for (int t = 0; t < RN; ++t) {
    const __m256 xd = _mm256_set1_ps(xb[t]->d);
    const __m256 d_xd = _mm256_mul_ps(xd, p.d), dmin_xd = _mm256_mul_ps(xd, p.dmin);
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      // Sub-block q's min times its two 16-element activation sums.
      const __m256i msum = _mm256_madd_epi16(p.min[q], broadcast32(xb[t]->bsums + 2 * q));
      __m256 part = acc[t].part[q];
      part = _mm256_fmadd_ps(d_xd, _mm256_cvtepi32_ps(sums[q][t]), part);
      part = _mm256_fnmadd_ps(dmin_xd, _mm256_cvtepi32_ps(msum), part);
      acc[t].part[q] = part;
    }
  }
}

template <int N>
inline void q4k_rows8_tokens_upto(int n, const Q4KRows8& p, const std::uint8_t* x, std::size_t xs, std::int64_t b,
                                  Q4KRows8Partials* acc) {
  if constexpr (N >= 1) {
    if (n == N) return q4k_rows8_tokens<N>(p, x, xs, b, acc);
    q4k_rows8_tokens_upto<N - 1>(n, p, x, xs, b, acc);
  }
}

// Below this many tokens regrouping costs more than it saves. With weights coming from memory, as for MoE
// experts in batched decoding (bench/quant_bench gemm_mem/q4_K), the row kernel is ~25 % faster at 4 tokens
// and the two tie at 8; serve_bench's decode rate at 16 streams (about 4 tokens per expert) fell 12 % when
// this was 4.
inline constexpr std::int64_t kRows8MinTokens = 8;

// Drop-in GemmFn for Q4_K: eight-row blocks for batches, the row kernel for few tokens and leftover rows.
template <int RN>
void gemm_q4k_rows8(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w, std::size_t w_stride,
                    const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  using RowKernel = KQuant45Kernel<BlockQ4_K, false>;
  const std::int64_t rows8 = n_tokens < kRows8MinTokens ? 0 : n_rows / 8 * 8;
  const auto* wp = static_cast<const std::uint8_t*>(w);
  const auto* xp = static_cast<const std::uint8_t*>(x);
  if (rows8 < n_rows)
    gemm_tiled<RowKernel, 2, 4, 1>(k, n_rows - rows8, n_tokens, wp + rows8 * w_stride, w_stride, x, x_stride,
                                   y + rows8, y_stride);
  if (rows8 == 0) return;
  const std::int64_t nb = k / kQKK;
  constexpr std::int64_t kMaxChunk = 64;  // tokens whose partial sums (256 bytes each) live on the stack
  std::int64_t chunk = static_cast<std::int64_t>(kTokenChunkBytes / x_stride) / RN * RN;
  if (chunk > kMaxChunk) chunk = kMaxChunk;
  if (chunk < RN) chunk = RN;
  Q4KRows8 p;
  Q4KRows8Partials acc[kMaxChunk];
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
    const std::int64_t t1 = t0 + chunk < n_tokens ? t0 + chunk : n_tokens;
    for (std::int64_t r = 0; r < rows8; r += 8) {
      for (std::int64_t t = t0; t < t1; ++t)
        for (__m256& v : acc[t - t0].part) v = _mm256_setzero_ps();
      for (std::int64_t b = 0; b < nb; ++b) {
        regroup_q4k_rows8(wp + r * w_stride, w_stride, b, p);
        std::int64_t t = t0;
        for (; t + RN <= t1; t += RN) q4k_rows8_tokens<RN>(p, xp + t * x_stride, x_stride, b, acc + (t - t0));
        if (t < t1)
          q4k_rows8_tokens_upto<RN - 1>(static_cast<int>(t1 - t), p, xp + t * x_stride, x_stride, b, acc + (t - t0));
      }
      // hsum's tree: ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)).
      for (std::int64_t t = t0; t < t1; ++t) {
        const __m256* v = acc[t - t0].part;
        const __m256 even = _mm256_add_ps(_mm256_add_ps(v[0], v[4]), _mm256_add_ps(v[2], v[6]));
        const __m256 odd = _mm256_add_ps(_mm256_add_ps(v[1], v[5]), _mm256_add_ps(v[3], v[7]));
        _mm256_storeu_ps(y + t * y_stride + r, _mm256_add_ps(even, odd));
      }
    }
  }
}

}  // namespace
}  // namespace hearth::quant::detail
