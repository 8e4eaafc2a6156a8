#include "tensor/tensor_view.h"

#include <fmt/format.h>

#include "util/error.h"

namespace hearth {

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

TensorView TensorView::slice(std::int64_t i) const {
  require(rank() >= 2 && i >= 0 && i < shape[0], "tensor {}: slice {} out of range {}", name, i, shape_string());
  TensorView v;
  v.name = fmt::format("{}[{}]", name, i);
  v.dtype = dtype;
  v.shape.assign(shape.begin() + 1, shape.end());
  std::int64_t bytes = row_bytes(dtype, v.row_length()) * v.rows();
  v.data = static_cast<const std::uint8_t*>(data) + i * bytes;
  v.nbytes = bytes;
  return v;
}

std::string TensorView::shape_string() const { return fmt::format("[{}]", fmt::join(shape, ", ")); }

void row_to_f32(DType type, const void* src, float* dst, std::int64_t n) {
  switch (type) {
    case DType::F32: {
      const float* s = static_cast<const float*>(src);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = s[i];
      return;
    }
    case DType::F16: {
      const std::uint16_t* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case DType::BF16: {
      const std::uint16_t* s = static_cast<const std::uint16_t*>(src);
      for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    default:
      fail("conversion from {} to f32 is not supported", dtype_name(type));
  }
}

}  // namespace hearth
