// Portable reference kernels: the definition every SIMD variant is tested against. Integer parts of the
// quantized dot products are exact; each block's integer sum is scaled and accumulated in f32.
#include <cstring>

#include "quant/blocks.h"
#include "quant/formats.h"
#include "quant/kernels.h"

namespace hearth::quant::detail {
namespace {

float dot_f32(std::int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const float*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float dot_f16(std::int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += f16_to_f32(a[i]) * b[i];
  return sum;
}

float dot_bf16(std::int64_t n, const void* w, const void* x) {
  const auto* a = static_cast<const std::uint16_t*>(w);
  const auto* b = static_cast<const float*>(x);
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += bf16_to_f32(a[i]) * b[i];
  return sum;
}

float dot_q8_0(std::int64_t n, const void* w, const void* x) {
  const auto* wb = static_cast<const BlockQ8_0*>(w);
  const auto* xb = static_cast<const BlockQ8_0*>(x);
  float sum = 0;
  for (std::int64_t b = 0; b < n / kQK8_0; ++b) {
    int sumi = 0;
    for (int i = 0; i < kQK8_0; ++i) sumi += wb[b].qs[i] * xb[b].qs[i];
    sum += static_cast<float>(sumi) * (f16_to_f32(wb[b].d) * f16_to_f32(xb[b].d));
  }
  return sum;
}

float dot_q4_0(std::int64_t n, const void* w, const void* x) {
  const auto* wb = static_cast<const BlockQ4_0*>(w);
  const auto* xb = static_cast<const BlockQ8_0*>(x);
  float sum = 0;
  for (std::int64_t b = 0; b < n / kQK8_0; ++b) {
    int sumi = 0;
    for (int i = 0; i < kQK8_0 / 2; ++i) {
      sumi += ((wb[b].qs[i] & 0x0f) - 8) * xb[b].qs[i];
      sumi += ((wb[b].qs[i] >> 4) - 8) * xb[b].qs[i + kQK8_0 / 2];
    }
    sum += static_cast<float>(sumi) * (f16_to_f32(wb[b].d) * f16_to_f32(xb[b].d));
  }
  return sum;
}

// Sum over sub-blocks j of m[j] * (sum of the 32 activation quants of sub-block j).
int mins_dot(const std::uint8_t* m, const BlockQ8_K& a) {
  int sum = 0;
  for (int j = 0; j < 8; ++j) sum += m[j] * (a.bsums[2 * j] + a.bsums[2 * j + 1]);
  return sum;
}

float dot_q4_K(std::int64_t n, const void* w, const void* x) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const auto* xb = static_cast<const BlockQ8_K*>(x);
  float sum = 0;
  for (std::int64_t b = 0; b < n / kQKK; ++b) {
    std::uint8_t sm[16];
    unpack_scales_k4(wb[b].scales, sm);
    int sumi = 0;
    for (int j = 0; j < 8; ++j) {
      const std::uint8_t* q = wb[b].qs + 32 * (j / 2);
      const std::int8_t* a = xb[b].qs + 32 * j;
      const int shift = 4 * (j % 2);
      int s = 0;
      for (int l = 0; l < 32; ++l) s += ((q[l] >> shift) & 0x0f) * a[l];
      sumi += sm[j] * s;
    }
    const float dx = xb[b].d;
    sum += (dx * f16_to_f32(wb[b].d)) * static_cast<float>(sumi) -
           (dx * f16_to_f32(wb[b].dmin)) * static_cast<float>(mins_dot(sm + 8, xb[b]));
  }
  return sum;
}

float dot_q5_K(std::int64_t n, const void* w, const void* x) {
  const auto* wb = static_cast<const BlockQ5_K*>(w);
  const auto* xb = static_cast<const BlockQ8_K*>(x);
  float sum = 0;
  for (std::int64_t b = 0; b < n / kQKK; ++b) {
    std::uint8_t sm[16];
    unpack_scales_k4(wb[b].scales, sm);
    int sumi = 0;
    for (int j = 0; j < 8; ++j) {
      const std::uint8_t* q = wb[b].qs + 32 * (j / 2);
      const std::int8_t* a = xb[b].qs + 32 * j;
      const int shift = 4 * (j % 2);
      int s = 0;
      for (int l = 0; l < 32; ++l) s += (((q[l] >> shift) & 0x0f) | (((wb[b].qh[l] >> j) & 1) << 4)) * a[l];
      sumi += sm[j] * s;
    }
    const float dx = xb[b].d;
    sum += (dx * f16_to_f32(wb[b].d)) * static_cast<float>(sumi) -
           (dx * f16_to_f32(wb[b].dmin)) * static_cast<float>(mins_dot(sm + 8, xb[b]));
  }
  return sum;
}

float dot_q6_K(std::int64_t n, const void* w, const void* x) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const auto* xb = static_cast<const BlockQ8_K*>(x);
  float sum = 0;
  for (std::int64_t b = 0; b < n / kQKK; ++b) {
    int sumi = 0;
    for (int h = 0; h < 2; ++h) {
      const std::uint8_t* ql = wb[b].ql + 64 * h;
      const std::uint8_t* qh = wb[b].qh + 32 * h;
      const std::int8_t* a = xb[b].qs + 128 * h;
      const std::int8_t* sc = wb[b].scales + 8 * h;
      int s[8] = {};  // per 16-element sub-block of this half
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        s[is + 0] += (((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32) * a[l];
        s[is + 2] += (((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32) * a[l + 32];
        s[is + 4] += (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * a[l + 64];
        s[is + 6] += (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * a[l + 96];
      }
      for (int j = 0; j < 8; ++j) sumi += sc[j] * s[j];
    }
    sum += (xb[b].d * f16_to_f32(wb[b].d)) * static_cast<float>(sumi);
  }
  return sum;
}

void copy_f32(const float* x, void* y, std::int64_t n) {
  std::memcpy(y, x, static_cast<std::size_t>(n) * sizeof(float));
}

// Row tiles of 16 keep the weights in cache while every token of the batch passes over them.
template <VecDotFn Dot>
void gemm_by_rows(std::int64_t k, std::int64_t n_rows, std::int64_t n_tokens, const void* w, std::size_t w_stride,
                  const void* x, std::size_t x_stride, float* y, std::size_t y_stride) {
  const auto* wp = static_cast<const std::uint8_t*>(w);
  const auto* xp = static_cast<const std::uint8_t*>(x);
  constexpr std::int64_t kTile = 16;
  for (std::int64_t r0 = 0; r0 < n_rows; r0 += kTile) {
    const std::int64_t r1 = r0 + kTile < n_rows ? r0 + kTile : n_rows;
    for (std::int64_t t = 0; t < n_tokens; ++t)
      for (std::int64_t r = r0; r < r1; ++r)
        y[t * static_cast<std::int64_t>(y_stride) + r] =
            Dot(k, wp + r * static_cast<std::int64_t>(w_stride), xp + t * static_cast<std::int64_t>(x_stride));
  }
}

template <VecDotFn Dot>
TypeTraits make(DType type, DType vec_dot_type, FromFloatFn from_float) {
  TypeTraits t;
  t.type = type;
  t.vec_dot_type = vec_dot_type;
  t.block_size = dtype_info(type).block_size > dtype_info(vec_dot_type).block_size ? dtype_info(type).block_size
                                                                                     : dtype_info(vec_dot_type).block_size;
  t.from_float = from_float;
  t.vec_dot = Dot;
  t.gemm = gemm_by_rows<Dot>;
  return t;
}

}  // namespace

void install_scalar_kernels(KernelTable& table) {
  const TypeTraits all[] = {
      make<dot_f32>(DType::F32, DType::F32, copy_f32),
      make<dot_f16>(DType::F16, DType::F32, copy_f32),
      make<dot_bf16>(DType::BF16, DType::F32, copy_f32),
      make<dot_q8_0>(DType::Q8_0, DType::Q8_0, quantize_q8_0_act),
      make<dot_q4_0>(DType::Q4_0, DType::Q8_0, quantize_q8_0_act),
      make<dot_q4_K>(DType::Q4_K, DType::Q8_K, quantize_q8_K_act),
      make<dot_q5_K>(DType::Q5_K, DType::Q8_K, quantize_q8_K_act),
      make<dot_q6_K>(DType::Q6_K, DType::Q8_K, quantize_q8_K_act),
  };
  for (const TypeTraits& t : all) table.types[kernel_slot(t.type)] = t;
}

}  // namespace hearth::quant::detail
