#pragma once
// Element types of weights and activations. The numeric values are ggml's type ids, so a GGUF
// tensor's type field maps to DType by a cast (after validation with dtype_from_ggml).
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace hearth {

enum class DType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct DTypeInfo {
  std::string_view name;      // ggml's name: "f32", "q4_K", ...
  std::int64_t block_size;    // elements per block (1 for plain types)
  std::int64_t block_bytes;   // bytes per block
  bool quantized;
};

// Returns nullopt for ggml type ids Hearth does not know (or that ggml retired).
std::optional<DType> dtype_from_ggml(std::uint32_t id);
const DTypeInfo& dtype_info(DType type);
inline std::string_view dtype_name(DType type) { return dtype_info(type).name; }
// Parses "f32", "F16", "bf16", "q8_0", "Q4_K" (case-insensitive); nullopt when unknown.
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes of a row of n elements; n must be a multiple of the block size (checked by callers).
inline std::int64_t row_bytes(DType type, std::int64_t n) {
  const auto& info = dtype_info(type);
  return n / info.block_size * info.block_bytes;
}

// --- 16-bit floats (IEEE half and bfloat16), exact conversions with round-to-nearest-even. ---
float f16_to_f32(std::uint16_t h);
std::uint16_t f32_to_f16(float f);

inline float bf16_to_f32(std::uint16_t b) {
  std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
std::uint16_t f32_to_bf16(float f);

}  // namespace hearth
