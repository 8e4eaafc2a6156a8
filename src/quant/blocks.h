#pragma once
// Block layouts of ggml's quantized types, byte for byte (ggml-common.h). A row of n elements is n / block
// elements consecutive blocks; every multi-byte field is little-endian; `d`/`dmin` fields of type uint16_t
// hold IEEE half floats.
//
// This header is included by the ISA-specific kernel files (compiled with -mavx2 / -mavx512*), so it must not
// define non-static inline functions: the linker would merge the copies and might keep an AVX-512 one.
// Helpers live in an unnamed namespace (one private copy per translation unit).
#include <bit>
#include <cstdint>
#include <cstring>

namespace hearth::quant {

inline constexpr int kQK8_0 = 32;  // elements per Q8_0 / Q4_0 block
inline constexpr int kQKK = 256;   // elements per K-quant super-block

// Q8_0 ("type-0", 8.5 bits/weight): x[i] = d * qs[i].
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[kQK8_0];
};

// Q4_0 (4.5 bits/weight): x[i] = d * ((qs[i] & 15) - 8), x[i + 16] = d * ((qs[i] >> 4) - 8), i < 16.
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[kQK8_0 / 2];
};

// Q4_K ("type-1", 4.5 bits/weight): 8 sub-blocks of 32 with 6-bit scale sc[j] and 6-bit min m[j] packed in
// `scales` (see unpack_scales_k4). Element e of sub-block j: x = d * sc[j] * q - dmin * m[j], where the
// 4-bit q of elements 64c + l and 64c + 32 + l (c < 4, l < 32) are the low and high nibbles of qs[32c + l].
struct BlockQ4_K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[12];
  std::uint8_t qs[kQKK / 2];
};

// Q5_K (5.5 bits/weight): as Q4_K, plus a fifth bit: bit 2c of qh[l] for element 64c + l and bit 2c + 1
// for element 64c + 32 + l.
struct BlockQ5_K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[12];
  std::uint8_t qh[kQKK / 8];
  std::uint8_t qs[kQKK / 2];
};

// Q6_K ("type-0", 6.5625 bits/weight): 16 sub-blocks of 16 with signed 8-bit scales; x = d * scales[e / 16] *
// (q - 32). In half h (elements 128h .. 128h + 127), l < 32: the low 4 bits of elements l, l+32, l+64, l+96 are
// ql[64h + l] & 15, ql[64h + 32 + l] & 15, ql[64h + l] >> 4, ql[64h + 32 + l] >> 4; their top 2 bits are bits
// (0-1), (2-3), (4-5), (6-7) of qh[32h + l].
struct BlockQ6_K {
  std::uint8_t ql[kQKK / 2];
  std::uint8_t qh[kQKK / 4];
  std::int8_t scales[kQKK / 16];
  std::uint16_t d;
};

// Q8_K: activation format of the K-quant dot products. x[i] = d * qs[i] (d is f32), bsums[j] = sum of qs in
// the j-th group of 16 (lets the dot products apply mins and offsets without touching the quants again).
struct BlockQ8_K {
  float d;
  std::int8_t qs[kQKK];
  std::int16_t bsums[kQKK / 16];
};

static_assert(std::endian::native == std::endian::little, "ggml blocks are little-endian");
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

namespace {

// The 12-byte `scales` field of Q4_K/Q5_K holds eight 6-bit scales and eight 6-bit mins:
//   bytes 0-3:  low 6 bits = sc[0..3], top 2 bits = bits 4-5 of sc[4..7]
//   bytes 4-7:  low 6 bits = m[0..3],  top 2 bits = bits 4-5 of m[4..7]
//   bytes 8-11: low nibble = bits 0-3 of sc[4..7], high nibble = bits 0-3 of m[4..7]
// Unpacks to out[0..7] = sc, out[8..15] = m, four bytes at a time.
inline void unpack_scales_k4(const std::uint8_t* packed, std::uint8_t* out) {
  std::uint32_t a, b, c;
  std::memcpy(&a, packed, 4);
  std::memcpy(&b, packed + 4, 4);
  std::memcpy(&c, packed + 8, 4);
  const std::uint32_t words[4] = {
      a & 0x3f3f3f3fu,
      (c & 0x0f0f0f0fu) | ((a >> 2) & 0x30303030u),
      b & 0x3f3f3f3fu,
      ((c >> 4) & 0x0f0f0f0fu) | ((b >> 2) & 0x30303030u),
  };
  std::memcpy(out, words, 16);
}

// Inverse of unpack_scales_k4; every input must be < 64.
inline void pack_scales_k4(const std::uint8_t* sc, const std::uint8_t* m, std::uint8_t* packed) {
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<std::uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<std::uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<std::uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
}

}  // namespace
}  // namespace hearth::quant
