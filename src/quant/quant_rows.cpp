// quantize_row / dequantize_row: validation and dispatch by type.
#include <cstring>

#include "quant/formats.h"
#include "quant/quant.h"
#include "tensor/tensor_view.h"
#include "util/error.h"

namespace hearth::quant {
namespace {

std::int64_t checked_blocks(DType type, std::int64_t n) {
  require(is_supported(type), "quantization type {} is not supported", dtype_name(type));
  const std::int64_t block = dtype_info(type).block_size;
  require(n >= 0 && n % block == 0, "a row of {} elements cannot be stored as {} (blocks of {})", n,
          dtype_name(type), block);
  return n / block;
}

}  // namespace

bool is_supported(DType type) {
  switch (type) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
    case DType::Q8_K:
      return true;
    default:
      return false;
  }
}

void quantize_row(DType type, const float* src, void* dst, std::int64_t n, const float* importance) {
  const std::int64_t nb = checked_blocks(type, n);
  switch (type) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
      return;
    case DType::F16: {
      auto* out = static_cast<std::uint16_t*>(dst);
      for (std::int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(src[i]);
      return;
    }
    case DType::BF16: {
      auto* out = static_cast<std::uint16_t*>(dst);
      for (std::int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::Q8_0:
      return detail::quantize_q8_0(src, static_cast<BlockQ8_0*>(dst), nb);
    case DType::Q4_0:
      return detail::quantize_q4_0(src, static_cast<BlockQ4_0*>(dst), nb, importance);
    case DType::Q4_K:
      return detail::quantize_q4_K(src, static_cast<BlockQ4_K*>(dst), nb, importance);
    case DType::Q5_K:
      return detail::quantize_q5_K(src, static_cast<BlockQ5_K*>(dst), nb, importance);
    case DType::Q6_K:
      return detail::quantize_q6_K(src, static_cast<BlockQ6_K*>(dst), nb, importance);
    case DType::Q8_K:
      return detail::quantize_q8_K_act(src, dst, n);
    default:
      break;
  }
  fail("quantization type {} is not supported", dtype_name(type));
}

void dequantize_row(DType type, const void* src, float* dst, std::int64_t n) {
  const std::int64_t nb = checked_blocks(type, n);
  switch (type) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
      return row_to_f32(type, src, dst, n);
    case DType::Q8_0:
      return detail::dequantize_q8_0(static_cast<const BlockQ8_0*>(src), dst, nb);
    case DType::Q4_0:
      return detail::dequantize_q4_0(static_cast<const BlockQ4_0*>(src), dst, nb);
    case DType::Q4_K:
      return detail::dequantize_q4_K(static_cast<const BlockQ4_K*>(src), dst, nb);
    case DType::Q5_K:
      return detail::dequantize_q5_K(static_cast<const BlockQ5_K*>(src), dst, nb);
    case DType::Q6_K:
      return detail::dequantize_q6_K(static_cast<const BlockQ6_K*>(src), dst, nb);
    case DType::Q8_K:
      return detail::dequantize_q8_K(static_cast<const BlockQ8_K*>(src), dst, nb);
    default:
      break;
  }
  fail("dequantization of {} is not supported", dtype_name(type));
}

}  // namespace hearth::quant
