#include "quant/scale_search.h"

#include "tensor/dtype.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace hearth::quant::detail {
namespace {

// Weighted sums over a block for fixed codes L: with the code-independent sw, swx, swx2 they give both the
// least-squares grid and its error without another pass over the data.
struct CodeMoments {
  float swl = 0, swl2 = 0, swlx = 0;
};

CodeMoments affine_moments(const float* x, const float* w, int n, float iscale, float offset, float nmax) {
  float swl = 0, swl2 = 0, swlx = 0;
#pragma omp simd reduction(+ : swl, swl2, swlx)
  for (int i = 0; i < n; ++i) {
    const float l = round_clamped(iscale * (x[i] - offset), 0.0f, nmax);
    swl += w[i] * l;
    swl2 += w[i] * l * l;
    swlx += w[i] * l * x[i];
  }
  return {swl, swl2, swlx};
}

struct BlockSums {
  double sw = 0, swx = 0, swx2 = 0;
};

// Best (scale, offset) for fixed codes (x̂ = scale * L + offset, offset <= 0) and its weighted error.
double solve_affine(const BlockSums& bs, const CodeMoments& cm, float* scale, float* offset) {
  const double swl = cm.swl, swl2 = cm.swl2, swlx = cm.swlx;
  const double det = bs.sw * swl2 - swl * swl;
  double s = 0, m = 0;
  if (det > 0) {
    s = (bs.sw * swlx - swl * bs.swx) / det;
    m = (swl2 * bs.swx - swl * swlx) / det;
  }
  if (!(det > 0) || m > 0) {
    m = 0;
    s = swl2 > 0 ? swlx / swl2 : 0;
  }
  if (s < 0) s = 0;
  *scale = static_cast<float>(s);
  *offset = static_cast<float>(m);
  // sum w (s L + m - x)^2 expanded in the moments.
  return s * s * swl2 + 2 * s * m * swl + m * m * bs.sw - 2 * s * swlx - 2 * m * bs.swx + bs.swx2;
}

}  // namespace

std::uint16_t to_half(float v) {
  constexpr float kMaxHalf = 65504.0f;
  return f32_to_f16(v > kMaxHalf ? kMaxHalf : (v < -kMaxHalf ? -kMaxHalf : v));
}

void error_weights(const float* x, const float* importance, int n, float* w) {
  double sum_x2 = 0;
  for (int i = 0; i < n; ++i) sum_x2 += static_cast<double>(x[i]) * x[i];
  const float sigma2 = static_cast<float>(sum_x2 / n);
  const float av_x = std::sqrt(sigma2);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    w[i] = importance ? importance[i] * std::sqrt(sigma2 + x[i] * x[i]) : av_x + std::fabs(x[i]);
    total += w[i];
  }
  if (!(total > 0))
    for (int i = 0; i < n; ++i) w[i] = 1.0f;
}

AffineFit fit_affine(const float* x, const float* w, int n, int nmax) {
  assert(n > 0 && n <= 256);
  float lo = 0, hi = x[0], sw = 0, swx = 0, swx2 = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sw, swx, swx2)
  for (int i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
    sw += w[i];
    swx += w[i] * x[i];
    swx2 += w[i] * x[i] * x[i];
  }
  const BlockSums bs{sw, swx, swx2};
  if (hi <= lo) return {0.0f, -lo};  // constant block: the offset alone represents it exactly

  const float fmax = static_cast<float>(nmax);
  double best_err = std::numeric_limits<double>::infinity();
  float best_scale = (hi - lo) / fmax, best_offset = lo;
  for (int step = 0; step <= 20; ++step) {
    const float iscale = (fmax - 1.0f + 0.1f * static_cast<float>(step)) / (hi - lo);
    float scale, offset;
    const double err = solve_affine(bs, affine_moments(x, w, n, iscale, lo, fmax), &scale, &offset);
    if (err < best_err) {
      best_err = err;
      best_scale = scale;
      best_offset = offset;
    }
  }
  // Lloyd-style refinement: re-round with the fitted grid, re-fit, stop when it no longer helps.
  for (int iter = 0; iter < 4 && best_scale > 0; ++iter) {
    float scale, offset;
    const double err =
        solve_affine(bs, affine_moments(x, w, n, 1.0f / best_scale, best_offset, fmax), &scale, &offset);
    if (!(err < best_err * (1 - 1e-6))) break;
    best_err = err;
    best_scale = scale;
    best_offset = offset;
  }
  return {best_scale, -best_offset};
}

float fit_symmetric(const float* x, const float* w, int n, int nneg) {
  assert(n > 0 && n <= 256);
  float amax = 0;
#pragma omp simd reduction(max : amax)
  for (int i = 0; i < n; ++i) amax = std::fabs(x[i]) > amax ? std::fabs(x[i]) : amax;
  if (amax == 0) return 0.0f;
  float vmax = amax;  // the first value of largest magnitude, with its sign
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) == amax) {
      vmax = x[i];
      break;
    }
  }

  // For fixed codes L the best scale is sum(w x L) / sum(w L^2), and the error falls as
  // sum(w x L)^2 / sum(w L^2) grows, so candidates are ranked by that gain.
  const float lo = -static_cast<float>(nneg), hi = static_cast<float>(nneg - 1);
  auto evaluate = [&](float iscale, double* gain) {
    float sxl = 0, sl2 = 0;
#pragma omp simd reduction(+ : sxl, sl2)
    for (int i = 0; i < n; ++i) {
      const float l = round_clamped(iscale * x[i], lo, hi);
      sxl += w[i] * x[i] * l;
      sl2 += w[i] * l * l;
    }
    *gain = sl2 > 0 ? static_cast<double>(sxl) * sxl / sl2 : 0;
    return sl2 > 0 ? sxl / sl2 : 0.0f;
  };

  double best_gain = -1;
  float best_scale = -vmax / static_cast<float>(nneg);
  for (int step = -9; step <= 9; ++step) {
    const float iscale = -(static_cast<float>(nneg) + 0.1f * static_cast<float>(step)) / vmax;
    double gain;
    const float scale = evaluate(iscale, &gain);
    if (gain > best_gain) {
      best_gain = gain;
      best_scale = scale;
    }
  }
  for (int iter = 0; iter < 4 && best_scale != 0; ++iter) {
    double gain;
    const float scale = evaluate(1.0f / best_scale, &gain);
    if (!(gain > best_gain * (1 + 1e-6))) break;
    best_gain = gain;
    best_scale = scale;
  }
  return best_scale;
}

}  // namespace hearth::quant::detail
