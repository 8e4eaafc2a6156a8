#pragma once
// An independent decoder of ggml's block layouts, written from the format description (byte offsets and bit
// fields read one at a time) rather than from Hearth's structs, to check quant::dequantize_row against.
#include <cstdint>
#include <random>
#include <vector>

#include "tensor/dtype.h"

namespace hearth::quant::test {

// Decodes `n` elements of a q8_0, q4_0, q4_K, q5_K, q6_K or q8_K row.
std::vector<float> reference_decode(DType type, const std::uint8_t* row, std::int64_t n);

// Random bytes for `blocks` blocks of `type`, with every scale field set to a finite value of moderate size
// (random bytes would otherwise include f16 infinities and NaNs).
std::vector<std::uint8_t> random_blocks(DType type, std::int64_t blocks, std::mt19937& rng);

// n samples of N(0, 1) scaled by `scale`.
std::vector<float> gaussian(std::int64_t n, std::mt19937& rng, float scale = 1.0f);

}  // namespace hearth::quant::test
