#pragma once
// The tiled matrix-product driver of the x86 variants. A kernel K provides
//   template <int RM, int RN> static void tile(k, w, w_stride, x, x_stride, y, y_stride);
// computing the RM x RN outputs y[t * y_stride + r] of RM weight rows against RN activation rows. Every output
// is accumulated by the same sequence of operations whatever the tile shape, so the GEMM equals vec_dot
// (tile<1, 1>) bit for bit.
#include "quant/x86_common.h"

namespace hearth::quant::detail {
namespace {

// Activation rows of one pass over the weights stay within this many bytes (about half an L2 cache).
inline constexpr std::size_t kTokenChunkBytes = 256 * 1024;

template <class K, int RM, int N>
inline void tile_upto(int n, std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x,
                      std::size_t xs, float* y, std::size_t ys) {
  if constexpr (N >= 1) {
    if (n == N) return K::template tile<RM, N>(k, w, ws, x, xs, y, ys);
    tile_upto<K, RM, N - 1>(n, k, w, ws, x, xs, y, ys);
  }
}

// All RM-row tiles of a weight-row block against tokens [t0, t1).
template <class K, int RM, int RN>
inline void row_block(std::int64_t k, const std::uint8_t* w, std::size_t ws, const std::uint8_t* x, std::size_t xs,
                      std::int64_t t0, std::int64_t t1, float* y, std::size_t ys) {
  std::int64_t t = t0;
  for (; t + RN <= t1; t += RN) K::template tile<RM, RN>(k, w, ws, x + t * xs, xs, y + t * ys, ys);
  if (t < t1) tile_upto<K, RM, RN - 1>(static_cast<int>(t1 - t), k, w, ws, x + t * xs, xs, y + t * ys, ys);
}

// RM x RN tiles for batches; a single token (token generation) goes through RM1 x 1 tiles instead, which
// keeps RM1 weight rows streaming at once.
template <class K, int RM, int RN, int RM1>
void gemm_tiled(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w, std::size_t w_stride,
                const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  const auto* wp = static_cast<const std::uint8_t*>(w);
  const auto* xp = static_cast<const std::uint8_t*>(x);
  if (n_tokens == 1) {
    std::int64_t r = 0;
    for (; r + RM1 <= n_rows; r += RM1) K::template tile<RM1, 1>(k, wp + r * w_stride, w_stride, xp, 0, y + r, 0);
    for (; r < n_rows; ++r) K::template tile<1, 1>(k, wp + r * w_stride, w_stride, xp, 0, y + r, 0);
    return;
  }
  std::int64_t chunk = static_cast<std::int64_t>(kTokenChunkBytes / (x_stride ? x_stride : 1)) / RN * RN;
  if (chunk < RN) chunk = RN;
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
    const std::int64_t t1 = t0 + chunk < n_tokens ? t0 + chunk : n_tokens;
    std::int64_t r = 0;
    for (; r + RM <= n_rows; r += RM)
      row_block<K, RM, RN>(k, wp + r * w_stride, w_stride, xp, x_stride, t0, t1, y + r, y_stride);
    for (; r < n_rows; ++r) row_block<K, 1, RN>(k, wp + r * w_stride, w_stride, xp, x_stride, t0, t1, y + r, y_stride);
  }
}

template <class K>
float vec_dot_tiled(std::int64_t n, const void* w, const void* x) {
  float out;
  K::template tile<1, 1>(n, static_cast<const std::uint8_t*>(w), 0, static_cast<const std::uint8_t*>(x), 0, &out, 0);
  return out;
}

}  // namespace
}  // namespace hearth::quant::detail
