#include "reference_decode.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace hearth::quant::test {
namespace {

// Bit field of `width` bits starting at bit `offset` of a little-endian byte string (bit 0 = LSB of byte 0).
int bits(const std::uint8_t* bytes, int offset, int width) {
  int value = 0;
  for (int i = 0; i < width; ++i) value |= ((bytes[(offset + i) / 8] >> ((offset + i) % 8)) & 1) << i;
  return value;
}

float half_at(const std::uint8_t* p) { return f16_to_f32(static_cast<std::uint16_t>(p[0] | (p[1] << 8))); }

void set_half(std::uint8_t* p, float v) {
  const std::uint16_t h = f32_to_f16(v);
  p[0] = static_cast<std::uint8_t>(h & 0xff);
  p[1] = static_cast<std::uint8_t>(h >> 8);
}

// 6-bit scale and min of sub-block j from the 12-byte field of Q4_K/Q5_K, as the format describes it:
// j < 4: scale = low 6 bits of byte j, min = low 6 bits of byte j + 4;
// j >= 4: low 4 bits in the low/high nibble of byte j + 4, high 2 bits in the top bits of bytes j - 4 / j.
void scale_min(const std::uint8_t* s, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = bits(s, 8 * j, 6);
    *min = bits(s, 8 * (j + 4), 6);
  } else {
    *scale = bits(s, 8 * (j + 4), 4) | (bits(s, 8 * (j - 4) + 6, 2) << 4);
    *min = bits(s, 8 * (j + 4) + 4, 4) | (bits(s, 8 * j + 6, 2) << 4);
  }
}

}  // namespace

std::vector<float> reference_decode(DType type, const std::uint8_t* row, std::int64_t n) {
  std::vector<float> out(static_cast<std::size_t>(n));
  switch (type) {
    case DType::Q8_0:  // [d:f16][32 x int8]
      for (std::int64_t e = 0; e < n; ++e) {
        const std::uint8_t* b = row + (e / 32) * 34;
        out[e] = half_at(b) * static_cast<std::int8_t>(b[2 + e % 32]);
      }
      return out;
    case DType::Q4_0:  // [d:f16][16 bytes: element i in the low nibble of byte i, element i+16 in the high one]
      for (std::int64_t e = 0; e < n; ++e) {
        const std::uint8_t* b = row + (e / 32) * 18;
        const int i = static_cast<int>(e % 32);
        out[e] = half_at(b) * (bits(b + 2, 8 * (i % 16) + 4 * (i / 16), 4) - 8);
      }
      return out;
    case DType::Q4_K:  // [d][dmin][scales:12][qs:128]; qs byte 32c+l: element 64c+l (low), 64c+32+l (high)
    case DType::Q5_K:  // [d][dmin][scales:12][qh:32][qs:128]; bit j of qh[l] = 5th bit of element 32j + l
      for (std::int64_t e = 0; e < n; ++e) {
        const bool five = type == DType::Q5_K;
        const std::uint8_t* b = row + (e / 256) * (five ? 176 : 144);
        const int i = static_cast<int>(e % 256), j = i / 32, l = i % 32;
        const std::uint8_t* qs = b + (five ? 48 : 16);
        int q = bits(qs, 8 * (32 * (i / 64) + l) + 4 * (j % 2), 4);
        if (five) q |= bits(b + 16, 8 * l + j, 1) << 4;
        int scale, min;
        scale_min(b + 4, j, &scale, &min);
        out[e] = half_at(b) * scale * q - half_at(b + 2) * min;
      }
      return out;
    case DType::Q6_K:  // [ql:128][qh:64][scales:16 x int8][d:f16]
      for (std::int64_t e = 0; e < n; ++e) {
        const std::uint8_t* b = row + (e / 256) * 210;
        const int i = static_cast<int>(e % 256), h = i / 128, kk = (i % 128) / 32, l = i % 32;
        // Quarter kk of a half: low 4 bits from ql byte 64h + 32(kk % 2) + l (low nibble for kk < 2),
        // top 2 bits from bits 2kk..2kk+1 of qh byte 32h + l.
        const int low = bits(b, 8 * (64 * h + 32 * (kk % 2) + l) + 4 * (kk / 2), 4);
        const int high = bits(b + 128, 8 * (32 * h + l) + 2 * kk, 2);
        const float d = half_at(b + 208);
        out[e] = d * static_cast<std::int8_t>(b[192 + i / 16]) * ((low | (high << 4)) - 32);
      }
      return out;
    case DType::Q8_K:  // [d:f32][qs:256 x int8][bsums:16 x int16]
      for (std::int64_t e = 0; e < n; ++e) {
        const std::uint8_t* b = row + (e / 256) * 292;
        float d;
        std::memcpy(&d, b, 4);
        out[e] = d * static_cast<std::int8_t>(b[4 + e % 256]);
      }
      return out;
    default:
      throw std::invalid_argument("reference_decode: unsupported type");
  }
}

std::vector<std::uint8_t> random_blocks(DType type, std::int64_t blocks, std::mt19937& rng) {
  const auto& info = dtype_info(type);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(blocks * info.block_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(byte(rng));
  std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
  for (std::int64_t i = 0; i < blocks; ++i) {
    std::uint8_t* b = bytes.data() + i * info.block_bytes;
    switch (type) {
      case DType::Q8_0:
      case DType::Q4_0:
        set_half(b, scale(rng));
        break;
      case DType::Q4_K:
      case DType::Q5_K:
        set_half(b, std::fabs(scale(rng)) / 8);  // d and dmin: llama.cpp files have them non-negative
        set_half(b + 2, std::fabs(scale(rng)) / 8);
        break;
      case DType::Q6_K:
        set_half(b + 208, scale(rng) / 8);
        break;
      case DType::Q8_K: {  // quants in [-127, 127] and consistent 16-sums, as the activation quantizer makes
        const float d = scale(rng);
        std::memcpy(b, &d, 4);
        for (int g = 0; g < 16; ++g) {
          int sum = 0;
          for (int e = 0; e < 16; ++e) {
            if (b[4 + 16 * g + e] == 0x80) b[4 + 16 * g + e] = 0x81;
            sum += static_cast<std::int8_t>(b[4 + 16 * g + e]);
          }
          const auto s16 = static_cast<std::int16_t>(sum);
          std::memcpy(b + 260 + 2 * g, &s16, 2);
        }
        break;
      }
      default:
        break;
    }
  }
  return bytes;
}

std::vector<float> gaussian(std::int64_t n, std::mt19937& rng, float scale) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace hearth::quant::test
