// Broken GGUF files, built byte by byte: each must give one hearth::Error naming the file and the
// problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "format/gguf_reader.h"
#include "gguf_bytes.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth {
namespace {

using test::GgufBytes;
using test::TempDir;

constexpr std::uint32_t kF32 = 0;
constexpr std::uint32_t kQ8_0 = 8;

// Loads `bytes` and returns the error message (or "loaded").
std::string load_error(GgufBytes& bytes) {
  TempDir dir;
  const auto path = dir / "broken.gguf";
  bytes.write(path);
  try {
    GgufFile f(path.string());
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path.string() + ": ", 0), 0u) << "message does not start with the path: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    return msg;
  }
  return "loaded";
}

#define EXPECT_LOAD_ERROR(bytes, fragment)                                                               \
  do {                                                                                                   \
    std::string _msg = load_error(bytes);                                                                \
    EXPECT_NE(_msg.find(fragment), std::string::npos) << "expected '" << (fragment) << "' in: " << _msg; \
  } while (0)

// One F32 tensor {4} at offset 0, 16 bytes of data.
GgufBytes one_tensor_file(std::uint32_t type = kF32, std::vector<std::uint64_t> ne = {4}, std::uint64_t offset = 0,
                          std::size_t data_bytes = 16) {
  GgufBytes b;
  b.header(1, 1).kv_str("general.architecture", "qwen3").tensor("t", ne, type, offset).pad_to(32).zeros(data_bytes);
  return b;
}

TEST(GgufReaderErrors, ValidMinimalFileLoads) {
  GgufBytes b = one_tensor_file();
  EXPECT_EQ(load_error(b), "loaded");
}

TEST(GgufReaderErrors, MissingOrEmptyFile) {
  TempDir dir;
  try {
    GgufFile f((dir / "absent.gguf").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.gguf"), std::string::npos);
  }
  GgufBytes empty;
  EXPECT_LOAD_ERROR(empty, "not a GGUF file");
}

TEST(GgufReaderErrors, HeaderProblems) {
  GgufBytes magic;
  magic.raw("GGUX", 4).u32(3).u64(0).u64(0);
  EXPECT_LOAD_ERROR(magic, "not a GGUF file");
  GgufBytes v1;
  v1.header(0, 0, 1);
  EXPECT_LOAD_ERROR(v1, "version 1 is not supported");
  GgufBytes v9;
  v9.header(0, 0, 9);
  EXPECT_LOAD_ERROR(v9, "unsupported GGUF version 9");
  GgufBytes big_endian;
  big_endian.header(0, 0, 0x03000000u);
  EXPECT_LOAD_ERROR(big_endian, "big-endian");
  GgufBytes short_header;
  short_header.raw("GGUF", 4).u32(3).u32(0);
  EXPECT_LOAD_ERROR(short_header, "truncated");
  // v2 has the same layout as v3.
  GgufBytes v2;
  v2.header(0, 1, 2).kv_u32("a.b", 1);
  EXPECT_EQ(load_error(v2), "loaded");
}

TEST(GgufReaderErrors, HugeCountsFailBeforeAllocating) {
  GgufBytes kvs;
  kvs.header(0, std::uint64_t{1} << 60);
  EXPECT_LOAD_ERROR(kvs, "metadata entries");
  GgufBytes tensors;
  tensors.header(std::uint64_t{1} << 60, 0);
  EXPECT_LOAD_ERROR(tensors, "tensors");
  GgufBytes key_len;
  key_len.header(0, 1).u64(std::uint64_t{1} << 60).raw("abc", 3).u32(4).u32(0);
  EXPECT_LOAD_ERROR(key_len, "metadata entry 0: truncated");
  GgufBytes str_len;
  str_len.header(0, 1).str("k").u32(8).u64(~std::uint64_t{0}).raw("abc", 3);
  EXPECT_LOAD_ERROR(str_len, "metadata entry 0 ('k'): truncated");
  GgufBytes array_len;
  array_len.header(0, 1).str("k").u32(9).u32(4).u64(std::uint64_t{1} << 60).u32(1);
  EXPECT_LOAD_ERROR(array_len, "array of 1152921504606846976 uint32 values");
  GgufBytes max_array_len;  // count * element size overflows 64 bits
  max_array_len.header(0, 1).str("k").u32(9).u32(10).u64(~std::uint64_t{0}).u64(1);
  EXPECT_LOAD_ERROR(max_array_len, "truncated");
  GgufBytes name_len;
  name_len.header(1, 0).u64(std::uint64_t{1} << 62).raw("t", 1).u32(1).u64(4).u32(0).u64(0).zeros(64);
  EXPECT_LOAD_ERROR(name_len, "tensor info 0: truncated");
}

TEST(GgufReaderErrors, BadMetadataValues) {
  GgufBytes type;
  type.header(0, 1).str("k").u32(13).u32(0);
  EXPECT_LOAD_ERROR(type, "unknown metadata value type 13");
  GgufBytes array_type;
  array_type.header(0, 1).str("k").u32(9).u32(99).u64(1).u32(0);
  EXPECT_LOAD_ERROR(array_type, "unknown metadata value type 99");
  GgufBytes boolean;
  boolean.header(0, 1).str("flag").u32(7).u8(2);
  EXPECT_LOAD_ERROR(boolean, "neither 0 nor 1");
  GgufBytes empty_key;
  empty_key.header(0, 1).str("").u32(4).u32(1);
  EXPECT_LOAD_ERROR(empty_key, "empty key");
  GgufBytes duplicate;
  duplicate.header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2);
  EXPECT_LOAD_ERROR(duplicate, "metadata entry 1 ('a.b'): duplicate key");
  GgufBytes control_chars;  // names in messages are escaped: the message stays one line
  control_chars.header(0, 2).kv_u32("a\nb", 1).kv_u32("a\nb", 2);
  EXPECT_LOAD_ERROR(control_chars, "a\\x0ab");
  // Arrays nested 100 deep would recurse 100 times: refused.
  GgufBytes deep;
  deep.header(0, 1).str("k").u32(9);
  for (int i = 0; i < 100; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  EXPECT_LOAD_ERROR(deep, "nested deeper");
}

TEST(GgufReaderErrors, Alignment) {
  for (std::uint32_t bad : {0u, 3u, 48u, 1u << 30}) {
    GgufBytes b;
    b.header(0, 1).kv_u32("general.alignment", bad);
    EXPECT_LOAD_ERROR(b, "general.alignment");
  }
  GgufBytes wrong_type;
  wrong_type.header(0, 1).kv_str("general.alignment", "32");
  EXPECT_LOAD_ERROR(wrong_type, "general.alignment: expected an integer, found string");
  // Alignment 8: a tensor at offset 8 is fine, at 12 it is not.
  GgufBytes ok;
  ok.header(2, 1)
      .kv_u32("general.alignment", 8)
      .tensor("a", {1}, kF32, 0)
      .tensor("b", {1}, kF32, 8)
      .pad_to(8)
      .zeros(16);
  EXPECT_EQ(load_error(ok), "loaded");
  GgufBytes misaligned;
  misaligned.header(2, 1)
      .kv_u32("general.alignment", 8)
      .tensor("a", {1}, kF32, 0)
      .tensor("b", {1}, kF32, 12)
      .pad_to(8)
      .zeros(16);
  EXPECT_LOAD_ERROR(misaligned, "tensor b: data offset 12 is not a multiple of the alignment 8");
}

TEST(GgufReaderErrors, BadTensorInfos) {
  GgufBytes dims0 = one_tensor_file(kF32, {});
  EXPECT_LOAD_ERROR(dims0, "tensor t has 0 dimensions");
  GgufBytes dims5 = one_tensor_file(kF32, {1, 1, 1, 1, 1});
  EXPECT_LOAD_ERROR(dims5, "tensor t has 5 dimensions");
  GgufBytes zero_dim = one_tensor_file(kF32, {4, 0});
  EXPECT_LOAD_ERROR(zero_dim, "invalid dimension 0");
  GgufBytes retired_type = one_tensor_file(4);  // Q4_2, removed from ggml
  EXPECT_LOAD_ERROR(retired_type, "unknown or unsupported type id 4");
  GgufBytes partial_block = one_tensor_file(kQ8_0, {33, 1}, 0, 64);
  EXPECT_LOAD_ERROR(partial_block, "row length 33 is not a multiple of the q8_0 block size 32");
  GgufBytes huge_shape = one_tensor_file(kF32, {std::uint64_t{1} << 40, std::uint64_t{1} << 40});
  EXPECT_LOAD_ERROR(huge_shape, "shape is too large");
  GgufBytes past_end = one_tensor_file(kF32, {4}, 0, 15);
  EXPECT_LOAD_ERROR(past_end, "tensor t needs bytes [0, 16) of the data section, which holds 15");
  GgufBytes far_offset = one_tensor_file(kF32, {4}, std::uint64_t{1} << 62, 16);
  EXPECT_LOAD_ERROR(far_offset, "truncated: tensor t");
  GgufBytes wrapping_offset = one_tensor_file(kF32, {4}, ~std::uint64_t{0} - 31, 16);
  EXPECT_LOAD_ERROR(wrapping_offset, "tensor t");
  GgufBytes empty_name;
  empty_name.header(1, 0).tensor("", {4}, kF32, 0).pad_to(32).zeros(16);
  EXPECT_LOAD_ERROR(empty_name, "empty tensor name");
}

TEST(GgufReaderErrors, OverlappingAndDuplicateTensors) {
  GgufBytes overlap;
  overlap.header(2, 0).tensor("a", {16}, kF32, 0).tensor("b", {4}, kF32, 32).pad_to(32).zeros(64);
  EXPECT_LOAD_ERROR(overlap, "tensors a and b overlap");
  GgufBytes duplicate;
  duplicate.header(2, 0).tensor("a", {4}, kF32, 0).tensor("a", {4}, kF32, 32).pad_to(32).zeros(64);
  EXPECT_LOAD_ERROR(duplicate, "duplicate tensor a");
  GgufBytes fine;  // listed out of order but disjoint: allowed
  fine.header(2, 0).tensor("a", {4}, kF32, 32).tensor("b", {8}, kF32, 0).pad_to(32).zeros(64);
  EXPECT_EQ(load_error(fine), "loaded");
}

TEST(GgufReaderErrors, TensorDataLocation) {
  TempDir dir;
  GgufBytes b;
  b.header(1, 0).tensor("t", {2, 3}, kF32, 0).pad_to(32);
  const std::size_t data_start = b.size();
  for (int i = 0; i < 6; ++i) b.f32(static_cast<float>(i) + 0.5f);
  b.write(dir / "t.gguf");
  GgufFile f((dir / "t.gguf").string());
  const TensorView& t = f.tensors().at(0);
  EXPECT_EQ(t.shape, (std::vector<std::int64_t>{3, 2}));  // GGUF's ne {2, 3} is 3 rows of 2
  EXPECT_EQ(t.nbytes, 24);
  EXPECT_EQ(data_start % 32, 0u);
  EXPECT_EQ(static_cast<const float*>(t.data)[5], 5.5f);
}

}  // namespace
}  // namespace hearth
