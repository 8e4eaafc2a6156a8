#pragma once
// GGUF metadata values: the 13 GGUF value types, arrays included (arrays of arrays too).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace hearth {

enum class GgufType : std::uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

const char* gguf_type_name(GgufType type);

// ggml keeps at most 4 dimensions per tensor.
inline constexpr std::uint32_t kGgufMaxDims = 4;

// offset rounded up to a multiple of alignment (> 0): where tensor data may start.
inline std::uint64_t gguf_align_up(std::uint64_t offset, std::uint64_t alignment) {
  return offset + (alignment - offset % alignment) % alignment;
}

struct GgufValue;

struct GgufArray {
  GgufType element_type = GgufType::UINT8;
  std::vector<GgufValue> items;
};

struct GgufValue {
  GgufType type = GgufType::UINT8;
  // Integers of every width are held in int64/uint64, floats in double; `type` keeps the
  // on-disk type so that a file round-trips unchanged.
  std::variant<std::int64_t, std::uint64_t, double, bool, std::string, GgufArray> value;

  static GgufValue u32(std::uint32_t v) { return {GgufType::UINT32, std::uint64_t{v}}; }
  static GgufValue i32(std::int32_t v) { return {GgufType::INT32, std::int64_t{v}}; }
  static GgufValue u64(std::uint64_t v) { return {GgufType::UINT64, v}; }
  static GgufValue i64(std::int64_t v) { return {GgufType::INT64, v}; }
  static GgufValue f32(float v) { return {GgufType::FLOAT32, double{v}}; }
  static GgufValue f64(double v) { return {GgufType::FLOAT64, v}; }
  static GgufValue boolean(bool v) { return {GgufType::BOOL, v}; }
  static GgufValue str(std::string v) { return {GgufType::STRING, std::move(v)}; }
  static GgufValue array(GgufType element_type, std::vector<GgufValue> items) {
    return {GgufType::ARRAY, GgufArray{element_type, std::move(items)}};
  }
  static GgufValue string_array(const std::vector<std::string>& items);
  static GgufValue int32_array(const std::vector<std::int32_t>& items);

  bool is_integer() const;
  bool is_number() const;  // integer or float
  // Throw hearth::Error naming `what` when the value has another type or does not fit.
  std::int64_t as_int(const std::string& what) const;
  double as_float(const std::string& what) const;
  bool as_bool(const std::string& what) const;
  const std::string& as_string(const std::string& what) const;
  const GgufArray& as_array(const std::string& what) const;
};

}  // namespace hearth
