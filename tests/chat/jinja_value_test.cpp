// The interpreter's value type: JSON in and out with key order kept, Python equality and repr.
#include <gtest/gtest.h>

#include "chat/jinja_error.h"
#include "chat/jinja_value.h"

namespace hearth::jinja {
namespace {

using nlohmann::ordered_json;

TEST(JinjaValue, JsonRoundTripKeepsKeyOrderAndTypes) {
  const ordered_json j = ordered_json::parse(
      R"({"z": 1, "a": [true, null, 2.5, "é", -7], "m": {"y": {}, "b": []}, "big": 18446744073709551615})");
  Value v = Value::from_json(j);
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.as_dict().entries()[0].first.as_string(), "z");
  EXPECT_EQ(v.as_dict().entries()[1].first.as_string(), "a");
  EXPECT_TRUE(v.as_dict().find("a")->as_list()[0].is_bool());
  EXPECT_TRUE(v.as_dict().find("a")->as_list()[1].is_none());
  EXPECT_TRUE(v.as_dict().find("a")->as_list()[2].is_float());
  EXPECT_TRUE(v.as_dict().find("a")->as_list()[4].is_int());
  EXPECT_TRUE(v.as_dict().find("big")->is_float());  // past int64: kept as a number, not wrapped
  ordered_json back = v.to_json();
  back.erase("big");
  ordered_json expected = j;
  expected.erase("big");
  EXPECT_EQ(back.dump(), expected.dump());
  EXPECT_THROW(Value().to_json(), RenderError);
}

TEST(JinjaValue, PythonEqualityAndRepr) {
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_EQ(Value(true), Value(1));
  EXPECT_NE(Value::list({Value(1)}), Value::tuple({Value(1)}));
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_EQ(Value(), Value());  // Undefined equals Undefined
  EXPECT_NE(Value(), Value::none());
  EXPECT_EQ(Value::tuple({Value("it's"), Value(1.5), Value::none(), Value(false)}).repr(),
            R"(("it's", 1.5, None, False))");
  EXPECT_EQ(Value(std::string("a'b\"c")).repr(), R"('a\'b"c')");
  EXPECT_EQ(Value(1e16).str(), "1e+16");
  EXPECT_EQ(Value(123.0).str(), "123.0");
  EXPECT_EQ(Value().str(), "");
}

TEST(JinjaValue, DeepJsonIsRefused) {
  std::string deep(600, '[');
  deep += std::string(600, ']');
  EXPECT_THROW(Value::from_json(ordered_json::parse(deep)), RenderError);
}

}  // namespace
}  // namespace hearth::jinja
