// GgufWriter -> GgufFile round trips: every metadata type (arrays of arrays included), tensor
// data and alignment, plus the writer's refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numbers>

#include "format/gguf_reader.h"
#include "format/gguf_writer.h"
#include "gguf_bytes.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth {
namespace {

using test::TempDir;

std::vector<std::pair<std::string, GgufValue>> all_types() {
  std::vector<std::pair<std::string, GgufValue>> kv;
  kv.emplace_back("t.u8", GgufValue{GgufType::UINT8, std::uint64_t{255}});
  kv.emplace_back("t.i8", GgufValue{GgufType::INT8, std::int64_t{-128}});
  kv.emplace_back("t.u16", GgufValue{GgufType::UINT16, std::uint64_t{65535}});
  kv.emplace_back("t.i16", GgufValue{GgufType::INT16, std::int64_t{-32768}});
  kv.emplace_back("t.u32", GgufValue::u32(4000000000u));
  kv.emplace_back("t.i32", GgufValue::i32(-2000000000));
  kv.emplace_back("t.f32", GgufValue::f32(1.5f));
  kv.emplace_back("t.bool_true", GgufValue::boolean(true));
  kv.emplace_back("t.bool_false", GgufValue::boolean(false));
  kv.emplace_back("t.string", GgufValue::str(std::string("h\xC3\xA9llo\0world", 12)));
  kv.emplace_back("t.empty_string", GgufValue::str(""));
  kv.emplace_back("t.u64", GgufValue::u64(std::numeric_limits<std::uint64_t>::max()));
  kv.emplace_back("t.i64", GgufValue::i64(std::numeric_limits<std::int64_t>::min()));
  kv.emplace_back("t.f64", GgufValue::f64(std::numbers::pi));
  kv.emplace_back("t.array_u8", GgufValue::array(GgufType::UINT8, {GgufValue{GgufType::UINT8, std::uint64_t{1}},
                                                                   GgufValue{GgufType::UINT8, std::uint64_t{2}}}));
  kv.emplace_back("t.array_str", GgufValue::string_array({"a", "", "ccc"}));
  kv.emplace_back("t.array_empty", GgufValue::array(GgufType::FLOAT32, {}));
  kv.emplace_back("t.array_f64", GgufValue::array(GgufType::FLOAT64, {GgufValue::f64(-0.25), GgufValue::f64(1e300)}));
  kv.emplace_back("t.array_bool",
                  GgufValue::array(GgufType::BOOL, {GgufValue::boolean(true), GgufValue::boolean(false)}));
  kv.emplace_back("t.nested",
                  GgufValue::array(GgufType::ARRAY, {GgufValue::int32_array({1, -2, 3}), GgufValue::int32_array({}),
                                                     GgufValue::array(GgufType::STRING, {GgufValue::str("x")})}));
  kv.emplace_back(
      "t.nested3",
      GgufValue::array(GgufType::ARRAY, {GgufValue::array(GgufType::ARRAY, {GgufValue::string_array({"deep"})})}));
  return kv;
}

void expect_same_value(const GgufValue& want, const GgufValue& got, const std::string& key) {
  ASSERT_EQ(want.type, got.type) << key;
  switch (want.type) {
    case GgufType::FLOAT32:
    case GgufType::FLOAT64:
      EXPECT_EQ(std::get<double>(want.value), std::get<double>(got.value)) << key;
      break;
    case GgufType::ARRAY: {
      const auto& a = std::get<GgufArray>(want.value);
      const auto& b = std::get<GgufArray>(got.value);
      ASSERT_EQ(a.element_type, b.element_type) << key;
      ASSERT_EQ(a.items.size(), b.items.size()) << key;
      for (std::size_t i = 0; i < a.items.size(); ++i)
        expect_same_value(a.items[i], b.items[i], key + "[" + std::to_string(i) + "]");
      break;
    }
    case GgufType::BOOL:
      EXPECT_EQ(std::get<bool>(want.value), std::get<bool>(got.value)) << key;
      break;
    case GgufType::STRING:
      EXPECT_EQ(std::get<std::string>(want.value), std::get<std::string>(got.value)) << key;
      break;
    case GgufType::UINT64:
      EXPECT_EQ(std::get<std::uint64_t>(want.value), std::get<std::uint64_t>(got.value)) << key;
      break;
    default:
      EXPECT_EQ(want.as_int(key), got.as_int(key)) << key;
  }
}

struct TestTensor {
  std::string name;
  DType type;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
};

std::vector<TestTensor> test_tensors() {
  std::vector<TestTensor> ts = {
      {"a.f32", DType::F32, {3, 5}, {}},    {"b.f16", DType::F16, {2, 4}, {}},        {"c.bf16", DType::BF16, {7}, {}},
      {"d.q8_0", DType::Q8_0, {2, 64}, {}}, {"e.stacked", DType::F32, {2, 3, 4}, {}},
  };
  std::uint8_t seed = 1;
  for (auto& t : ts) {
    TensorView v;
    v.dtype = t.type;
    v.shape = t.shape;
    t.data.resize(static_cast<std::size_t>(row_bytes(t.type, v.row_length()) * v.rows()));
    for (auto& b : t.data) b = seed = static_cast<std::uint8_t>(seed * 37 + 11);
  }
  return ts;
}

void write_file(const std::filesystem::path& path, std::uint64_t alignment) {
  GgufWriter w(path.string(), alignment);
  for (const auto& [k, v] : all_types()) w.add_metadata(k, v);
  auto ts = test_tensors();
  for (const auto& t : ts) w.add_tensor(t.name, t.type, t.shape);
  for (const auto& t : ts) {
    // In two pieces, as the converter writes one expert at a time.
    w.write_tensor_data(t.data.data(), t.data.size() / 2);
    w.write_tensor_data(t.data.data() + t.data.size() / 2, t.data.size() - t.data.size() / 2);
  }
  w.finish();
}

class GgufRoundTrip : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(GgufRoundTrip, EveryMetadataTypeAndTensorSurvives) {
  const std::uint64_t alignment = GetParam();
  TempDir dir;
  const auto path = dir / "t.gguf";
  write_file(path, alignment);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));

  GgufFile f(path.string());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), alignment);
  auto want = all_types();
  // The writer records a non-default alignment as the first key.
  std::size_t first = alignment == 32 ? 0 : 1;
  ASSERT_EQ(f.metadata().size(), want.size() + first);
  if (alignment != 32) {
    EXPECT_EQ(f.metadata()[0].first, "general.alignment");
    EXPECT_EQ(f.metadata()[0].second.type, GgufType::UINT32);
    EXPECT_EQ(f.get_int("general.alignment"), static_cast<std::int64_t>(alignment));
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(f.metadata()[i + first].first, want[i].first);
    expect_same_value(want[i].second, f.metadata()[i + first].second, want[i].first);
  }

  auto ts = test_tensors();
  ASSERT_EQ(f.tensors().size(), ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const TensorView& v = f.tensors()[i];
    EXPECT_EQ(v.name, ts[i].name);
    EXPECT_EQ(v.dtype, ts[i].type);
    EXPECT_EQ(v.shape, ts[i].shape);
    ASSERT_EQ(static_cast<std::size_t>(v.nbytes), ts[i].data.size());
    EXPECT_EQ(std::memcmp(v.data, ts[i].data.data(), ts[i].data.size()), 0) << v.name;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data) % alignment, 0u) << v.name;
    EXPECT_EQ(f.find_tensor(ts[i].name), &v);
  }
  EXPECT_EQ(f.find_tensor("nope"), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Alignments, GgufRoundTrip, ::testing::Values(32, 8, 64, 256));

TEST(GgufRoundTrip, TypedAccessors) {
  TempDir dir;
  write_file(dir / "t.gguf", 32);
  GgufFile f((dir / "t.gguf").string());
  EXPECT_EQ(f.get_int("t.u8"), 255);
  EXPECT_EQ(f.get_int("t.i8"), -128);
  EXPECT_EQ(f.get_int("t.u32"), 4000000000LL);
  EXPECT_EQ(f.get_int("t.i32"), -2000000000LL);
  EXPECT_EQ(f.get_int("t.i64"), std::numeric_limits<std::int64_t>::min());
  EXPECT_DOUBLE_EQ(f.get_float("t.f32"), 1.5);
  EXPECT_DOUBLE_EQ(f.get_float("t.u16"), 65535.0);  // integers read as floats
  EXPECT_TRUE(f.get_bool("t.bool_true"));
  EXPECT_FALSE(f.get_bool("t.bool_false"));
  EXPECT_EQ(f.get_string("t.string"), std::string("h\xC3\xA9llo\0world", 12));
  EXPECT_EQ(f.get_string_array("t.array_str"), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(f.get_int_array("t.array_u8"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(f.get_float_array("t.array_f64"), (std::vector<float>{-0.25f, std::numeric_limits<float>::infinity()}));
  EXPECT_EQ(f.get_int_or("absent", 7), 7);
  EXPECT_EQ(f.get_string_or("absent", "x"), "x");
  EXPECT_TRUE(f.get_bool_or("absent", true));
  EXPECT_DOUBLE_EQ(f.get_float_or("absent", 2.5), 2.5);

  auto message = [&](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { f.get_int("absent.key"); }), "absent.key: missing");
  EXPECT_EQ(message([&] { f.get_int("t.string"); }), "t.string: expected an integer, found string");
  EXPECT_EQ(message([&] { f.get_string("t.u8"); }), "t.u8: expected a string, found uint8");
  EXPECT_EQ(message([&] { f.get_bool("t.f32"); }), "t.f32: expected a bool, found float32");
  EXPECT_EQ(message([&] { f.get_string_array("t.array_u8"); }),
            "t.array_u8: expected an array of strings, found an array of uint8");
  EXPECT_NE(message([&] { f.get_int("t.u64"); }).find("too large"), std::string::npos);
  EXPECT_EQ(message([&] { f.get_int_or("t.string", 1); }), "t.string: expected an integer, found string");
}

TEST(GgufWriter, RefusesInconsistentUse) {
  TempDir dir;
  const auto path = (dir / "w.gguf").string();
  {
    GgufWriter w(path);
    w.add_metadata("k", GgufValue::u32(1));
    EXPECT_THROW(w.add_metadata("k", GgufValue::u32(2)), Error);
    EXPECT_THROW(w.add_metadata("general.alignment", GgufValue::u32(64)), Error);
    EXPECT_THROW(w.add_metadata("big", GgufValue{GgufType::UINT32, std::uint64_t{1} << 40}), Error);
    EXPECT_THROW(w.add_metadata("neg", GgufValue{GgufType::UINT8, std::int64_t{-1}}), Error);
    EXPECT_THROW(w.add_metadata("mixed", GgufValue::array(GgufType::INT32, {GgufValue::u32(1)})), Error);
    w.add_tensor("t", DType::F32, {2, 2});
    EXPECT_THROW(w.add_tensor("t", DType::F32, {2}), Error);
    EXPECT_THROW(w.add_tensor("q", DType::Q8_0, {2, 33}), Error);  // rows must hold whole blocks
    EXPECT_THROW(w.add_tensor("z", DType::F32, {0, 2}), Error);
    EXPECT_THROW(w.add_tensor("five", DType::F32, {1, 1, 1, 1, 1}), Error);
    EXPECT_THROW(w.add_tensor(std::string(64, 'n'), DType::F32, {1}), Error);  // ggml names hold 63 bytes
    float data[4] = {1, 2, 3, 4};
    w.write_tensor_data(data, 8);
    EXPECT_THROW(w.write_tensor_data(data, 12), Error);  // 8 + 12 > 16 bytes
    EXPECT_THROW(w.add_metadata("late", GgufValue::u32(1)), Error);
    EXPECT_THROW(w.finish(), Error);  // tensor t got 8 of 16 bytes
    EXPECT_TRUE(std::filesystem::exists(path + ".tmp"));
  }
  // Without finish() nothing is left behind, under either name.
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  EXPECT_THROW(GgufWriter((dir / "x.gguf").string(), 24), Error);
  EXPECT_THROW(GgufWriter((dir / "missing-dir" / "x.gguf").string()), Error);
}

TEST(GgufWriter, EmptyFileAndReplacesExisting) {
  TempDir dir;
  const auto path = (dir / "e.gguf").string();
  test::GgufBytes().raw("old", 3).write(path);
  {
    GgufWriter w(path);
    w.add_metadata("general.architecture", GgufValue::str("qwen3"));
    w.finish();
    EXPECT_THROW(w.finish(), Error);
  }
  GgufFile f(path);
  EXPECT_EQ(f.get_string("general.architecture"), "qwen3");
  EXPECT_TRUE(f.tensors().empty());
  // Header: magic, version, counts, one key-value pair; padded to 32 bytes.
  auto bytes = test::GgufBytes::read_bytes(path);
  EXPECT_EQ(bytes.size() % 32, 0u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "GGUF");
}

}  // namespace
}  // namespace hearth
