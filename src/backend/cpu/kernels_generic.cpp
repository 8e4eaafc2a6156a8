// Portable kernels: plain C++ in the canonical summation order of kernels.h. The 8-lane accumulator
// loops vectorise with any SIMD width the compiler targets.
#include "backend/cpu/kernels.h"
#include "tensor/dtype.h"

namespace hearth::cpu {
namespace {

inline float reduce8(const float* a) { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }

// Canonical dot of f32 x with n weights produced by load(i).
template <typename Load>
inline float dot_canonical(const float* x, Load load, std::int64_t k) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const std::int64_t k8 = k - k % 8;
  for (std::int64_t i = 0; i < k8; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += x[i + l] * load(i + l);
  float sum = reduce8(acc);
  for (std::int64_t i = k8; i < k; ++i) sum += x[i] * load(i);
  return sum;
}

void dot_tile_f32(const float* x, std::int64_t ldx, int mr, const float* w, std::int64_t ldw, int nr, std::int64_t k,
                  float* y, std::int64_t ldy) {
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) {
      const float* wr = w + j * ldw;
      y[i * ldy + j] = dot_canonical(
          x + i * ldx, [wr](std::int64_t e) { return wr[e]; }, k);
    }
}

void dot_rows_bf16(const float* x, const std::uint16_t* w, std::int64_t ldw, int nr, std::int64_t k, float* y) {
  for (int j = 0; j < nr; ++j) {
    const std::uint16_t* wr = w + j * ldw;
    y[j] = dot_canonical(
        x, [wr](std::int64_t e) { return bf16_to_f32(wr[e]); }, k);
  }
}

void dot_rows_f16(const float* x, const std::uint16_t* w, std::int64_t ldw, int nr, std::int64_t k, float* y) {
  for (int j = 0; j < nr; ++j) {
    const std::uint16_t* wr = w + j * ldw;
    y[j] = dot_canonical(
        x, [wr](std::int64_t e) { return f16_to_f32(wr[e]); }, k);
  }
}

void convert_bf16(const std::uint16_t* src, float* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

void narrow_f16(const float* src, std::uint16_t* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void convert_f16(const std::uint16_t* src, float* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

float dot_f32(const float* a, const float* b, std::int64_t n) {
  return dot_canonical(
      a, [b](std::int64_t e) { return b[e]; }, n);
}

void axpy_f32(float a, const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void weighted_rows_f32(const float* p, std::int64_t ldp, int nr, const float* v, std::int64_t ldv, int nv,
                       std::int64_t n, float* o, std::int64_t ldo) {
  for (int r = 0; r < nr; ++r)
    for (int j = 0; j < nv; ++j) axpy_f32(p[r * ldp + j], v + j * ldv, o + r * ldo, n);
}

}  // namespace

const Kernels& generic_kernels() {
  static const Kernels table{"generic",    dot_tile_f32, dot_rows_bf16, dot_rows_f16,
                             convert_bf16, convert_f16,  narrow_f16,    dot_f32,
                             axpy_f32,
                             weighted_rows_f32};
  return table;
}

}  // namespace hearth::cpu
