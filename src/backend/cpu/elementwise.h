#pragma once
// Row-wise operations of the CPU backend (norms, activations, rotary embedding). Each row's result
// depends only on that row.
#include <cstdint>
#include <vector>

#include "backend/cpu/kernels.h"

namespace hearth::cpu {

// out[i] = silu(gate[i]) * up[i]; out may alias gate.
void swiglu_row(const float* gate, const float* up, float* out, std::int64_t n);

// y = w * (x / sqrt(mean(x^2) + eps)) over one group of n values; y may alias x.
void rms_norm_group(const Kernels& k, const float* x, const float* w, float eps, float* y, std::int64_t n);

// Rotary tables for a pass: cos/sin of position * theta^(-2i/head_dim) for i < head_dim / 2, computed as
// the reference implementation does (f32 inverse frequencies and products).
struct RopeTable {
  std::int64_t head_dim = 0;
  float theta = 0;
  std::vector<float> cos, sin;  // [n_tokens, head_dim / 2]
};
void build_rope_table(const std::vector<std::int32_t>& positions, std::int64_t head_dim, float theta, RopeTable& t);

// NeoX rotation of one token's heads in place: (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin) where x1 is
// the first half of each head and x2 the second.
void rope_row(float* x, std::int64_t n_heads, std::int64_t head_dim, const float* cos, const float* sin);

}  // namespace hearth::cpu
