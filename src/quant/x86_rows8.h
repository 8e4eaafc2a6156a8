#pragma once
// Shared parts of the eight-row GEMMs for batches (x86_kquant45_rows8.h, x86_q6k_rows8.h).
//
// A row kernel (KQuant45Kernel, Q6KKernel) spends much of a batch's time on per-row work: unpacking and
// shuffling scales, converting and accumulating its sums for every (row, token) pair, and it runs out of
// registers. The eight-row kernels regroup each super-block of eight weight rows once into vectors that hold four
// consecutive codes of each of the eight rows; a token's four activation bytes, broadcast, then meet all eight
// rows in one maddubs, and every lane of every accumulator belongs to one row.
//
// Their results equal the row kernel's bit for bit, which is what keeps a token's logits independent of its
// batch. The row kernels keep, per row, eight f32 partial sums: lane q holds the elements 4q .. 4q+3 of every
// 32-element group, adds its exact integer sum times the block scales once per super-block, and the lanes are
// added up at the end in hsum's fixed tree. Regrouped group q is exactly those elements, so the eight-row kernels
// form the same eight partial sums (as eight vectors, one lane per row) with the same operations in the same
// order, and add them up in the same tree.
#include "quant/x86_common.h"
#include "quant/x86_gemm.h"

namespace hearth::quant::detail {
namespace {

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

// The 8 x 16 byte transpose: cols[i] holds column 2i of the eight rows in bytes 0-7 and column 2i + 1 in 8-15.
inline void transpose8x16_u8(const __m128i rows[8], __m128i cols[8]) {
  __m128i pairs[2][4];  // [columns 0-7, columns 8-15][row pair]
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    pairs[0][i] = _mm_unpacklo_epi8(rows[2 * i], rows[2 * i + 1]);
    pairs[1][i] = _mm_unpackhi_epi8(rows[2 * i], rows[2 * i + 1]);
  }
#pragma GCC unroll 2
  for (int half = 0; half < 2; ++half) {
    const __m128i* s = pairs[half];
    const __m128i c0 = _mm_unpacklo_epi16(s[0], s[1]), c1 = _mm_unpackhi_epi16(s[0], s[1]);  // rows 0-3
    const __m128i c2 = _mm_unpacklo_epi16(s[2], s[3]), c3 = _mm_unpackhi_epi16(s[2], s[3]);  // rows 4-7
    cols[4 * half + 0] = _mm_unpacklo_epi32(c0, c2);
    cols[4 * half + 1] = _mm_unpackhi_epi32(c0, c2);
    cols[4 * half + 2] = _mm_unpacklo_epi32(c1, c3);
    cols[4 * half + 3] = _mm_unpackhi_epi32(c1, c3);
  }
}

// Prefetch of one block of each of the next eight rows: the eight rows are read side by side, so the row
// kernels' prefetch a few KB ahead of each row would land in rows being read already.
template <std::size_t kBlockBytes>
inline void prefetch_next_rows8(const void* block, std::size_t ws) {
  const char* next = static_cast<const char*>(block) + 8 * ws;
#pragma GCC unroll 4
  for (std::size_t o = 0; o < kBlockBytes; o += 64) _mm_prefetch(next + o, _MM_HINT_T0);
}

// The eight f32 partial sums of a row kernel for eight rows and one token: part[q] lane r = row r's lane q.
struct Rows8Partials {
  __m256 part[8];
};

// Drop-in GemmFn: eight-row blocks (Rows8: regroup(w, ws, b), tokens<N>(x, xs, b, acc) and kMinTokens, below
// which regrouping costs more than it saves) for batches, the row kernel's gemm for fewer tokens and for leftover
// rows.
template <class Rows8, GemmFn kRowGemm, int RN>
void gemm_rows8(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w, std::size_t w_stride,
                const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  const std::int64_t rows8 = n_tokens < Rows8::kMinTokens ? 0 : n_rows / 8 * 8;
  const auto* wp = static_cast<const std::uint8_t*>(w);
  const auto* xp = static_cast<const std::uint8_t*>(x);
  if (rows8 < n_rows)
    kRowGemm(k, n_rows - rows8, n_tokens, wp + rows8 * w_stride, w_stride, x, x_stride, y + rows8, y_stride);
  if (rows8 == 0) return;
  const std::int64_t nb = k / kQKK;
  constexpr std::int64_t kMaxChunk = 64;  // tokens whose partial sums (256 bytes each) live on the stack
  std::int64_t chunk = static_cast<std::int64_t>(kTokenChunkBytes / x_stride) / RN * RN;
  if (chunk > kMaxChunk) chunk = kMaxChunk;
  if (chunk < RN) chunk = RN;
  Rows8 p;
  Rows8Partials acc[kMaxChunk];
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
    const std::int64_t t1 = t0 + chunk < n_tokens ? t0 + chunk : n_tokens;
    for (std::int64_t r = 0; r < rows8; r += 8) {
      for (std::int64_t t = t0; t < t1; ++t)
        for (__m256& v : acc[t - t0].part) v = _mm256_setzero_ps();
      for (std::int64_t b = 0; b < nb; ++b) {
        p.regroup(wp + r * w_stride, w_stride, b);
        std::int64_t t = t0;
        for (; t + RN <= t1; t += RN) p.template tokens<RN>(xp + t * x_stride, x_stride, b, acc + (t - t0));
        for (; t < t1; ++t) p.template tokens<1>(xp + t * x_stride, x_stride, b, acc + (t - t0));
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
