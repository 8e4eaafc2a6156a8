// Q8_0 and Q4_0: one scale per block of 32.
//
// Q8_0 uses ggml's reference rule (d = max|x| / 127), which is already within rounding of optimal at 8 bits.
// Q4_0 searches the scale: fit_symmetric tries grids around max|x| / 8 (the largest value on the -8 end,
// as ggml does) and keeps the least-squares best under error weights w_i = mean|x| + |x_i| (or the caller's
// importance), so a block's big values, which matter most to a matrix product, are kept accurate.
#include <cmath>

#include "quant/formats.h"
#include "quant/scale_search.h"
#include "tensor/dtype.h"

namespace hearth::quant::detail {
namespace {

float block_absmax(const float* x, int n) {
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  return amax;
}

}  // namespace

void quantize_q8_0(const float* x, BlockQ8_0* y, std::int64_t nb) {
  for (std::int64_t b = 0; b < nb; ++b, x += kQK8_0) {
    const float d = block_absmax(x, kQK8_0) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = to_half(d);
    for (int i = 0; i < kQK8_0; ++i) y[b].qs[i] = static_cast<std::int8_t>(std::round(x[i] * id));
  }
}

void quantize_q8_0_act(const float* x, void* out, std::int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(out);
  for (std::int64_t b = 0; b < n / kQK8_0; ++b, x += kQK8_0) {
    const float d = block_absmax(x, kQK8_0) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    y[b].d = f32_to_f16(d);  // as the SIMD variants store it (no clamp: activations stay far below 65504·127)
    for (int i = 0; i < kQK8_0; ++i) y[b].qs[i] = static_cast<std::int8_t>(nearest_int(x[i] * id));
  }
}

void quantize_q4_0(const float* x, BlockQ4_0* y, std::int64_t nb, const float* imp) {
  float w[kQK8_0];
  for (std::int64_t b = 0; b < nb; ++b, x += kQK8_0) {
    error_weights(x, imp ? imp + b * kQK8_0 : nullptr, kQK8_0, w);
    y[b].d = to_half(fit_symmetric(x, w, kQK8_0, 8));
    const float d = f16_to_f32(y[b].d);  // codes are chosen for the scale as stored
    const float id = d != 0 ? 1.0f / d : 0.0f;
    for (int i = 0; i < kQK8_0 / 2; ++i) {
      const int lo = clamp_int(nearest_int(x[i] * id), -8, 7) + 8;
      const int hi = clamp_int(nearest_int(x[i + kQK8_0 / 2] * id), -8, 7) + 8;
      y[b].qs[i] = static_cast<std::uint8_t>(lo | (hi << 4));
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* x, float* y, std::int64_t nb) {
  for (std::int64_t b = 0; b < nb; ++b) {
    const float d = f16_to_f32(x[b].d);
    for (int i = 0; i < kQK8_0; ++i) *y++ = d * x[b].qs[i];
  }
}

void dequantize_q4_0(const BlockQ4_0* x, float* y, std::int64_t nb) {
  for (std::int64_t b = 0; b < nb; ++b, y += kQK8_0) {
    const float d = f16_to_f32(x[b].d);
    for (int i = 0; i < kQK8_0 / 2; ++i) {
      y[i] = d * ((x[b].qs[i] & 0x0f) - 8);
      y[i + kQK8_0 / 2] = d * ((x[b].qs[i] >> 4) - 8);
    }
  }
}

}  // namespace hearth::quant::detail
