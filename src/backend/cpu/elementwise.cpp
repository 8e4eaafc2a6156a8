#include "backend/cpu/elementwise.h"

#include <cmath>

namespace hearth::cpu {

void swiglu_row(const float* gate, const float* up, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void rms_norm_group(const Kernels& k, const float* x, const float* w, float eps, float* y, std::int64_t n) {
  float mean_square = k.dot_f32(x, x, n) / static_cast<float>(n);
  float r = 1.0f / std::sqrt(mean_square + eps);
  for (std::int64_t i = 0; i < n; ++i) y[i] = w[i] * (x[i] * r);
}

void build_rope_table(const std::vector<std::int32_t>& positions, std::int64_t head_dim, float theta, RopeTable& t) {
  const std::int64_t half = head_dim / 2;
  t.head_dim = head_dim;
  t.theta = theta;
  t.cos.resize(positions.size() * static_cast<std::size_t>(half));
  t.sin.resize(t.cos.size());
  std::vector<float> inv_freq(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i) {
    float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    inv_freq[i] = 1.0f / std::pow(theta, exponent);
  }
  for (std::size_t p = 0; p < positions.size(); ++p)
    for (std::int64_t i = 0; i < half; ++i) {
      float angle = static_cast<float>(positions[p]) * inv_freq[i];
      t.cos[p * half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      t.sin[p * half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
}

void rope_row(float* x, std::int64_t n_heads, std::int64_t head_dim, const float* cos, const float* sin) {
  const std::int64_t half = head_dim / 2;
  for (std::int64_t h = 0; h < n_heads; ++h) {
    float* a = x + h * head_dim;
    float* b = a + half;
    for (std::int64_t i = 0; i < half; ++i) {
      float x1 = a[i], x2 = b[i];
      a[i] = x1 * cos[i] - x2 * sin[i];
      b[i] = x2 * cos[i] + x1 * sin[i];
    }
  }
}

}  // namespace hearth::cpu
