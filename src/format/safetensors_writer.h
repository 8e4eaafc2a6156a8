#pragma once
// Writes a safetensors file: an 8-byte little-endian header length, the JSON header (padded with
// spaces to a multiple of 8 so tensor data stays aligned), then the tensors back to back. Written
// to PATH.tmp and renamed, so a failed write never leaves a half file under the final name.
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace hearth {

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::F32;  // F32, F16, BF16, or an integer type
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

// Throws hearth::Error when the file cannot be written or a tensor's bytes do not match its shape.
void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors);

// "F32", "BF16", ... for the dtypes safetensors can hold; throws for others.
std::string safetensors_dtype_name(DType type);

}  // namespace hearth
