#pragma once
// Per-type quantizers and decoders behind quantize_row / dequantize_row, and the scalar activation
// quantizers the kernels use. nb = number of blocks; imp = optional importance weights (one per element).
#include <cstdint>

#include "quant/blocks.h"

namespace hearth::quant::detail {

// Q8_0 weights: d = max|x| / 127, q = round-half-away(x / d): byte-identical to ggml's reference quantizer.
void quantize_q8_0(const float* x, BlockQ8_0* y, std::int64_t nb);
// Q8_0 activations: same grid, ties rounded to even like the SIMD variants (FromFloatFn signature).
void quantize_q8_0_act(const float* x, void* y, std::int64_t n);
void quantize_q4_0(const float* x, BlockQ4_0* y, std::int64_t nb, const float* imp);
void quantize_q4_K(const float* x, BlockQ4_K* y, std::int64_t nb, const float* imp);
void quantize_q5_K(const float* x, BlockQ5_K* y, std::int64_t nb, const float* imp);
void quantize_q6_K(const float* x, BlockQ6_K* y, std::int64_t nb, const float* imp);
// Q8_K (activations only): d = max|x| / 127, ties to even, plus the 16-element sums.
void quantize_q8_K_act(const float* x, void* y, std::int64_t n);

void dequantize_q8_0(const BlockQ8_0* x, float* y, std::int64_t nb);
void dequantize_q4_0(const BlockQ4_0* x, float* y, std::int64_t nb);
void dequantize_q4_K(const BlockQ4_K* x, float* y, std::int64_t nb);
void dequantize_q5_K(const BlockQ5_K* x, float* y, std::int64_t nb);
void dequantize_q6_K(const BlockQ6_K* x, float* y, std::int64_t nb);
void dequantize_q8_K(const BlockQ8_K* x, float* y, std::int64_t nb);

}  // namespace hearth::quant::detail
