#pragma once
// Scale searches shared by the quantizers: given a block of values x and per-value error weights w, find
// the quantization grid that minimises the weighted squared error sum_i w_i (x_i - x̂_i)^2.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace hearth::quant::detail {

// Round to nearest, ties to even: the rounding of the SIMD float->int conversions, so scalar and SIMD
// activation quantizers agree bit for bit. Adding 1.5·2^23 leaves the rounded integer in the low mantissa
// bits (exact for |v| < 2^22); this is far faster than a libm call on baseline x86-64. Larger magnitudes
// saturate to ±2^22, which every caller clamps to its code range anyway.
inline int nearest_int(float v) {
  if (!(std::fabs(v) < 4194304.0f)) return v > 0 ? 4194304 : -4194304;
  const float shifted = v + 12582912.0f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// A block scale as f16, clamped to the largest finite half (65504) so that absurdly large inputs saturate
// instead of decoding to inf/NaN.
std::uint16_t to_half(float v);

// round-to-nearest-even(clamp(v, lo, hi)) as a float, for integer bounds with |lo|, |hi| < 2^22. Branch-free
// float arithmetic, so the search loops vectorise.
inline float round_clamped(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (v + 12582912.0f) - 12582912.0f;
}

// Error weights for a block of n values: importance_i * sqrt(mean(x^2) + x_i^2) when `importance` is given,
// else mean|x| + |x_i| (large values, which dominate matrix products, count more). All-zero importance falls
// back to uniform weights.
void error_weights(const float* x, const float* importance, int n, float* w);

// "Type-1" grid: x̂ = scale * q - min with q in [0, nmax], scale >= 0 and min >= 0 (ggml stores both as
// unsigned 6-bit numbers, so the grid's offset can only sit at or below zero).
struct AffineFit {
  float scale = 0;
  float min = 0;
};

// Searches candidate grids spanning [min(x, 0), max(x)] with 21 inverse scales from (nmax - 1)/range to
// (nmax + 1)/range; for each, rounds x to codes, then solves the weighted least-squares problem for the best
// (scale, min) given those codes (min clamped to >= 0); keeps the grid with the lowest error, and finally
// alternates re-rounding and re-fitting while the error drops. n <= 256.
AffineFit fit_affine(const float* x, const float* w, int n, int nmax);

// "Type-0" grid: x̂ = scale * q with q in [-nneg, nneg - 1] (scale may be negative: the largest-magnitude value
// maps to -nneg, the longer side of the grid). Tries 19 inverse scales around nneg / max|x|, keeps the one with
// the lowest weighted error after a least-squares scale fit, then refines by re-rounding. Returns 0 for an
// all-zero block. n <= 256.
float fit_symmetric(const float* x, const float* w, int n, int nneg);

}  // namespace hearth::quant::detail
