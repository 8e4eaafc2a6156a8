// Dequantization against an independent decoding of ggml's layouts, and known answers on hand-built blocks.
#include <gtest/gtest.h>

#include <cstring>

#include "quant/quant.h"
#include "reference_decode.h"
#include "util/error.h"

namespace hearth::quant {
namespace {

using test::random_blocks;
using test::reference_decode;

class LayoutTest : public ::testing::TestWithParam<DType> {};

TEST_P(LayoutTest, DequantizeMatchesReferenceDecodingOnRandomBlocks) {
  const DType type = GetParam();
  std::mt19937 rng(1234 + static_cast<int>(type));
  for (std::int64_t blocks : {1, 3, 16}) {
    const std::int64_t n = blocks * dtype_info(type).block_size;
    const auto bytes = random_blocks(type, blocks, rng);
    std::vector<float> got(static_cast<std::size_t>(n));
    dequantize_row(type, bytes.data(), got.data(), n);
    const auto want = reference_decode(type, bytes.data(), n);
    for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(got[i], want[i]) << dtype_name(type) << " element " << i;
  }
}

TEST_P(LayoutTest, RowBytesFollowTheBlockGeometry) {
  const DType type = GetParam();
  const auto& info = dtype_info(type);
  EXPECT_EQ(row_bytes(type, 4096), 4096 / info.block_size * info.block_bytes);
  std::vector<float> x(static_cast<std::size_t>(info.block_size) + 1, 0.0f);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(2 * info.block_bytes));
  EXPECT_THROW(quantize_row(type, x.data(), out.data(), info.block_size + 1), Error);
  EXPECT_THROW(dequantize_row(type, out.data(), x.data(), info.block_size - 1), Error);
}

INSTANTIATE_TEST_SUITE_P(Types, LayoutTest,
                         ::testing::Values(DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Layout, BlockSizesAreGgmls) {
  EXPECT_EQ(row_bytes(DType::Q8_0, 32), 34);
  EXPECT_EQ(row_bytes(DType::Q4_0, 32), 18);
  EXPECT_EQ(row_bytes(DType::Q4_K, 256), 144);
  EXPECT_EQ(row_bytes(DType::Q5_K, 256), 176);
  EXPECT_EQ(row_bytes(DType::Q6_K, 256), 210);
  EXPECT_EQ(row_bytes(DType::Q8_K, 256), 292);
}

TEST(Layout, UnsupportedTypesAreRefused) {
  float x[256] = {};
  std::uint8_t out[512] = {};
  EXPECT_THROW(quantize_row(DType::Q2_K, x, out, 256), Error);
  EXPECT_THROW(dequantize_row(DType::Q3_K, out, x, 256), Error);
  EXPECT_FALSE(is_supported(DType::I32));
}

// --- Known answers, worked out by hand from the format description ---

TEST(KnownAnswer, Q8_0) {
  std::uint8_t b[34] = {0x00, 0x38};  // d = 0.5
  b[2] = 0x80;                         // -128
  b[3] = 0x7f;                         // 127
  b[4] = 0xfe;                         // -2
  float y[32];
  dequantize_row(DType::Q8_0, b, y, 32);
  EXPECT_EQ(y[0], -64.0f);
  EXPECT_EQ(y[1], 63.5f);
  EXPECT_EQ(y[2], -1.0f);
  EXPECT_EQ(y[31], 0.0f);
}

TEST(KnownAnswer, Q4_0) {
  std::uint8_t b[18] = {0x00, 0x40};  // d = 2
  b[2] = 0x2f;                         // element 0: 15 - 8 = 7; element 16: 2 - 8 = -6
  float y[32];
  dequantize_row(DType::Q4_0, b, y, 32);
  EXPECT_EQ(y[0], 14.0f);
  EXPECT_EQ(y[16], -12.0f);
  EXPECT_EQ(y[1], -16.0f);  // nibble 0
}

// scales = {1, 2, 3, 4, 40, 5, 6, 63}, mins = {0, 1, 2, 3, 4, 33, 0, 63}, packed by hand:
// bytes 0-3 = sc[0..3] | (sc[4..7] >> 4) << 6 = 0x81 0x02 0x03 0xc4; bytes 4-7 = m[0..3] | (m[4..7] >> 4) << 6 =
// 0x00 0x81 0x02 0xc3; bytes 8-11 = (sc[4..7] & 15) | (m[4..7] & 15) << 4 = 0x48 0x15 0x06 0xff.
constexpr std::uint8_t kScales[12] = {0x81, 0x02, 0x03, 0xc4, 0x00, 0x81, 0x02, 0xc3, 0x48, 0x15, 0x06, 0xff};

// qs byte l = (l % 16) | (15 - l % 16) << 4: low-nibble elements count up, high-nibble ones count down.
void fill_test_nibbles(std::uint8_t* qs) {
  for (int l = 0; l < 128; ++l) qs[l] = static_cast<std::uint8_t>((l % 16) | ((15 - l % 16) << 4));
}

TEST(KnownAnswer, Q4_K) {
  std::uint8_t b[144] = {0x00, 0x3c, 0x00, 0x38};  // d = 1, dmin = 0.5
  std::memcpy(b + 4, kScales, 12);
  fill_test_nibbles(b + 16);
  float y[256];
  dequantize_row(DType::Q4_K, b, y, 256);
  EXPECT_EQ(y[0], 0.0f);     // sub-block 0, q 0
  EXPECT_EQ(y[5], 5.0f);     // 1 * 5
  EXPECT_EQ(y[40], 13.5f);   // sub-block 1 (high nibbles of bytes 0-31), q = 15 - 8: 2 * 7 - 0.5 * 1
  EXPECT_EQ(y[130], 78.0f);  // sub-block 4, q 2: 40 * 2 - 0.5 * 4
  EXPECT_EQ(y[170], 8.5f);   // sub-block 5, q = 15 - 10: 5 * 5 - 0.5 * 33
  EXPECT_EQ(y[200], 48.0f);  // sub-block 6, q 8: 6 * 8
  EXPECT_EQ(y[255], -31.5f); // sub-block 7, q 0: -0.5 * 63
}

TEST(KnownAnswer, Q5_K) {
  std::uint8_t b[176] = {0x00, 0x3c, 0x00, 0x38};
  std::memcpy(b + 4, kScales, 12);
  b[16 + 8] = 0x02;  // qh[8] bit 1: fifth bit of element 32 + 8
  b[16 + 2] = 0x10;  // qh[2] bit 4: fifth bit of element 128 + 2
  fill_test_nibbles(b + 48);
  float y[256];
  dequantize_row(DType::Q5_K, b, y, 256);
  EXPECT_EQ(y[5], 5.0f);
  EXPECT_EQ(y[40], 45.5f);    // q = 7 + 16: 2 * 23 - 0.5
  EXPECT_EQ(y[130], 718.0f);  // q = 2 + 16: 40 * 18 - 2
  EXPECT_EQ(y[170], 8.5f);
}

TEST(KnownAnswer, Q6_K) {
  std::uint8_t b[210] = {};
  b[0] = 0x3a;    // ql[0]: element 0 low bits 10, element 64 low bits 3
  b[32] = 0x05;   // ql[32]: element 32 low bits 5, element 96 low bits 0
  b[128] = 0xe4;  // qh[0] = 0b11'10'01'00: top bits 0, 1, 2, 3 of elements 0, 32, 64, 96
  for (int j = 0; j < 16; ++j) b[192 + j] = static_cast<std::uint8_t>(static_cast<std::int8_t>(j - 8));
  b[208] = 0x00;
  b[209] = 0x34;  // d = 0.25
  float y[256];
  dequantize_row(DType::Q6_K, b, y, 256);
  EXPECT_EQ(y[0], 44.0f);    // q 10 - 32 = -22, scale -8: 0.25 * -8 * -22
  EXPECT_EQ(y[32], 16.5f);   // q 21 - 32 = -11, scale -6
  EXPECT_EQ(y[64], -3.0f);   // q 35 - 32 = 3, scale -4
  EXPECT_EQ(y[96], -8.0f);   // q 48 - 32 = 16, scale -2
  EXPECT_EQ(y[1], 64.0f);    // q 0 - 32, scale -8
  EXPECT_EQ(y[200], -32.0f); // q 0 - 32, scale 4
}

TEST(KnownAnswer, Q8_K) {
  std::uint8_t b[292] = {};
  const float d = 0.125f;
  std::memcpy(b, &d, 4);
  b[4] = 0x7f;
  b[4 + 255] = 0x81;  // -127
  float y[256];
  dequantize_row(DType::Q8_K, b, y, 256);
  EXPECT_EQ(y[0], 15.875f);
  EXPECT_EQ(y[255], -15.875f);
}

}  // namespace
}  // namespace hearth::quant
