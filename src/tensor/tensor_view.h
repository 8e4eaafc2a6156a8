#pragma once
// A non-owning view of a weight tensor as stored (mmapped file bytes). Shapes are row-major,
// outermost dimension first: a Linear weight is {out_features, in_features}, exactly as Hugging
// Face stores it. (GGUF lists dimensions innermost first; the GGUF reader reverses them.)
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace hearth {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;  // outermost first
  const void* data = nullptr;
  std::int64_t nbytes = 0;

  std::int64_t numel() const;
  int rank() const { return static_cast<int>(shape.size()); }
  std::int64_t dim(int i) const { return shape.at(static_cast<std::size_t>(i)); }
  // Innermost dimension (elements per row) and number of rows (product of the others).
  std::int64_t row_length() const { return shape.empty() ? 1 : shape.back(); }
  std::int64_t rows() const { return row_length() == 0 ? 0 : numel() / row_length(); }
  std::int64_t row_stride_bytes() const { return row_bytes(dtype, row_length()); }
  const std::uint8_t* row(std::int64_t r) const {
    return static_cast<const std::uint8_t*>(data) + r * row_stride_bytes();
  }
  // The i-th slice along the outermost dimension (e.g. one expert of a stacked expert tensor).
  TensorView slice(std::int64_t i) const;
  std::string shape_string() const;  // "[151936, 64]"
};

// Dequantizes/converts one row of `n` elements of any supported type to float32.
// Supported: f32, f16, bf16 (quantized types are added by the quantization subsystem).
void row_to_f32(DType type, const void* src, float* dst, std::int64_t n);

}  // namespace hearth
