// The JSON Schema compiler: each supported keyword shapes what can be generated (checked by feeding
// documents byte by byte), unsupported keywords and broken schemas fail at creation with a message that
// names the problem.
#include <gtest/gtest.h>

#include <string>

#include "constrain/json_grammar.h"
#include "constrain/token_constraint.h"
#include "constrain_test_util.h"
#include "util/error.h"

namespace hearth::constrain::test {
namespace {

std::string compile_error(std::string_view text) {
  try {
    JsonGrammar::from_schema(text);
  } catch (const hearth::Error& e) {
    return e.what();
  }
  return "";
}

TEST(SchemaCompile, Type) {
  const auto s = schema(R"({"type":"string"})");
  EXPECT_TRUE(generates(s, R"("hi")"));
  EXPECT_FALSE(generates(s, "1"));
  EXPECT_FALSE(generates(s, "null"));

  const auto b = schema(R"({"type":"boolean"})");
  EXPECT_TRUE(generates(b, "true"));
  EXPECT_TRUE(generates(b, "false"));
  EXPECT_FALSE(generates(b, "null"));

  const auto n = schema(R"({"type":"null"})");
  EXPECT_TRUE(generates(n, "null"));
  EXPECT_FALSE(generates(n, "0"));
}

TEST(SchemaCompile, TypeList) {
  const auto s = schema(R"({"type":["string","null"]})");
  EXPECT_TRUE(generates(s, R"("x")"));
  EXPECT_TRUE(generates(s, "null"));
  EXPECT_FALSE(generates(s, "1"));
  EXPECT_FALSE(generates(s, "{}"));
}

TEST(SchemaCompile, IntegerVersusNumber) {
  const auto i = schema(R"({"type":"integer"})");
  EXPECT_TRUE(generates(i, "-42"));
  EXPECT_TRUE(generates(i, "0"));
  EXPECT_FALSE(generates(i, "1.5"));
  EXPECT_FALSE(generates(i, "1e3"));
  const auto n = schema(R"({"type":"number"})");
  EXPECT_TRUE(generates(n, "-0.5e+10"));
  EXPECT_TRUE(generates(n, "7"));
  const auto both = schema(R"({"type":["integer","number"]})");
  EXPECT_TRUE(generates(both, "1.25"));
}

TEST(SchemaCompile, PropertiesInSchemaOrderWithRequired) {
  const auto s = schema(R"({"type":"object",
    "properties":{"name":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}},
    "required":["name","email"]})");
  EXPECT_TRUE(generates(s, R"({"name":"Al","age":3,"email":"a@b"})"));
  EXPECT_TRUE(generates(s, R"({"name":"Al","email":"a@b"})"));  // optional one skipped
  EXPECT_TRUE(generates(s, "{ \"name\" : \"Al\" , \"email\" : \"a@b\" }"));
  EXPECT_FALSE(generates(s, R"({"name":"Al"})"));                         // required email missing
  EXPECT_FALSE(generates(s, R"({"email":"a@b","name":"Al"})"));           // out of schema order
  EXPECT_FALSE(generates(s, R"({"name":"Al","name":"B","email":"x"})"));  // repeated
  EXPECT_FALSE(generates(s, R"({"name":"Al","age":"3","email":"x"})"));   // wrong value type
  EXPECT_FALSE(generates(s, R"({"name":"Al","nick":"x","email":"x"})"));  // undeclared
}

TEST(SchemaCompile, KeysWithEscapesAndUnicode) {
  const auto s = schema(R"({"type":"object","properties":{"a\"b":{"type":"integer"},"caf\u00e9":{"type":"integer"}},
    "required":["a\"b","caf\u00e9"]})");
  EXPECT_TRUE(generates(s, "{\"a\\\"b\":1,\"caf\xC3\xA9\":2}"));
  EXPECT_FALSE(generates(s, "{\"a\\\"b\":1,\"cafe\":2}"));
}

TEST(SchemaCompile, AdditionalProperties) {
  const auto closed = schema(R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false})");
  EXPECT_TRUE(generates(closed, R"({"a":1})"));
  EXPECT_TRUE(generates(closed, "{}"));
  EXPECT_FALSE(generates(closed, R"({"a":1,"b":2})"));

  const auto open = schema(R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":true})");
  EXPECT_TRUE(generates(open, R"({"a":1,"b":[2],"c":"x"})"));
  EXPECT_TRUE(generates(open, R"({"b":2})"));
  EXPECT_TRUE(generates(open, R"({"ab":2})"));        // a declared name's extension is a new name
  EXPECT_FALSE(generates(open, R"({"b":2,"a":1})"));  // declared ones come first
  EXPECT_FALSE(generates(open, R"({"a":1,"a":2})"));  // no repeats of declared names
  EXPECT_FALSE(generates(open, R"({"b":1,"a":2})"));
  EXPECT_FALSE(generates(open, R"({"\u0061":1})"));  // no escapes in extra keys: could spell "a"

  const auto typed = schema(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(generates(typed, R"({"x":1,"y\n":2})"));
  EXPECT_FALSE(generates(typed, R"({"x":"1"})"));

  // `properties` without additionalProperties: only the declared ones are generated.
  const auto implicit = schema(R"({"type":"object","properties":{"a":{"type":"integer"}}})");
  EXPECT_FALSE(generates(implicit, R"({"a":1,"b":2})"));
  // No `properties`: any object.
  EXPECT_TRUE(generates(schema(R"({"type":"object"})"), R"({"b":{"c":[]}})"));
}

TEST(SchemaCompile, RequiredButUndeclared) {
  const auto s = schema(R"({"type":"object","required":["id"],"additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(generates(s, R"({"id":5})"));
  EXPECT_TRUE(generates(s, R"({"id":5,"x":6})"));
  EXPECT_FALSE(generates(s, R"({"x":6})"));
  EXPECT_NE(compile_error(R"({"type":"object","required":["id"],"additionalProperties":false})")
                .find("required property 'id'"),
            std::string::npos);
}

TEST(SchemaCompile, ItemsAndCounts) {
  const auto s = schema(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})");
  EXPECT_FALSE(generates(s, "[]"));
  EXPECT_FALSE(generates(s, "[1]"));
  EXPECT_TRUE(generates(s, "[1,2]"));
  EXPECT_TRUE(generates(s, "[1, 2, 3]"));
  EXPECT_FALSE(generates(s, "[1,2,3,4]"));
  EXPECT_FALSE(generates(s, "[1,\"2\"]"));
  EXPECT_FALSE(generates(schema(R"({"type":"array","items":false})"), "[1]"));
  EXPECT_TRUE(generates(schema(R"({"type":"array","items":false})"), "[]"));
}

TEST(SchemaCompile, PrefixItems) {
  const auto s = schema(R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})");
  EXPECT_TRUE(generates(s, R"(["a",1])"));
  EXPECT_TRUE(generates(s, R"(["a"])"));
  EXPECT_FALSE(generates(s, R"([1,"a"])"));
  EXPECT_FALSE(generates(s, R"(["a",1,2])"));
  // Draft-4 tuple form.
  const auto t = schema(R"({"type":"array","items":[{"type":"null"}],"additionalItems":{"type":"boolean"}})");
  EXPECT_TRUE(generates(t, "[null,true,false]"));
  EXPECT_FALSE(generates(t, "[true]"));
}

TEST(SchemaCompile, StringLength) {
  const auto s = schema(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_FALSE(generates(s, R"("a")"));
  EXPECT_TRUE(generates(s, R"("ab")"));
  EXPECT_TRUE(generates(s, R"("abc")"));
  EXPECT_FALSE(generates(s, R"("abcd")"));
  // Lengths count code points of the decoded string: an escape, a surrogate pair and a 4-byte character
  // are one each.
  EXPECT_TRUE(generates(s, R"("\n\ud83d\ude00")"));
  EXPECT_TRUE(generates(s, "\"\xF0\x9F\x98\x80\xC3\xA9\""));
  EXPECT_FALSE(generates(s, "\"\xF0\x9F\x98\x80\xC3\xA9xy\""));
}

TEST(SchemaCompile, EnumAndConst) {
  const auto e = schema(R"({"enum":["red","green",1,12,null,{"a":[1]}]})");
  for (const char* ok : {R"("red")", R"("green")", "1", "12", "null", R"({"a":[1]})"})
    EXPECT_TRUE(generates(e, ok)) << ok;
  for (const char* bad : {R"("blue")", "2", "123", R"("re")", R"({"a": [1]})"}) EXPECT_FALSE(generates(e, bad)) << bad;

  const auto c = schema(R"({"const":"fixed"})");
  EXPECT_TRUE(generates(c, R"("fixed")"));
  EXPECT_FALSE(generates(c, R"("fixe")"));

  // enum values that break the schema's other keywords are never offered.
  const auto typed = schema(R"({"type":"string","maxLength":3,"enum":["abc","abcd",5]})");
  EXPECT_TRUE(generates(typed, R"("abc")"));
  EXPECT_FALSE(generates(typed, R"("abcd")"));
  EXPECT_FALSE(generates(typed, "5"));
  EXPECT_NE(compile_error(R"({"type":"integer","enum":["a"]})").find("no JSON document"), std::string::npos);
}

TEST(SchemaCompile, AnyOfAndOneOf) {
  const auto s = schema(R"({"anyOf":[{"type":"object","properties":{"kind":{"const":"a"},"x":{"type":"integer"}},
      "required":["kind","x"]},{"type":"object","properties":{"kind":{"const":"b"},"y":{"type":"string"}},
      "required":["kind","y"]}]})");
  EXPECT_TRUE(generates(s, R"({"kind":"a","x":1})"));
  EXPECT_TRUE(generates(s, R"({"kind":"b","y":"t"})"));
  EXPECT_FALSE(generates(s, R"({"kind":"a","y":"t"})"));
  EXPECT_FALSE(generates(s, R"({"kind":"c","x":1})"));

  const auto o = schema(R"({"oneOf":[{"type":"integer"},{"type":"string","maxLength":1}]})");
  EXPECT_TRUE(generates(o, "5"));
  EXPECT_TRUE(generates(o, R"("z")"));
  EXPECT_FALSE(generates(o, R"("zz")"));
}

TEST(SchemaCompile, RefToDefsAndDefinitions) {
  const auto s = schema(R"({"$defs":{"Point":{"type":"object","properties":{"x":{"type":"number"},
      "y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}},
      "definitions":{"Name":{"type":"string"}},
      "type":"object","properties":{"p":{"$ref":"#/$defs/Point"},"n":{"$ref":"#/definitions/Name"}},
      "required":["p","n"]})");
  EXPECT_TRUE(generates(s, R"({"p":{"x":1,"y":2.5},"n":"a"})"));
  EXPECT_FALSE(generates(s, R"({"p":{"x":1},"n":"a"})"));
  EXPECT_FALSE(generates(s, R"({"p":{"x":1,"y":2},"n":3})"));
}

TEST(SchemaCompile, RecursiveRef) {
  const auto tree = schema(R"({"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#"}}},"required":["v"]})");
  EXPECT_TRUE(generates(tree, R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[{"v":4}]}]})"));
  EXPECT_FALSE(generates(tree, R"({"v":1,"kids":[{"w":2}]})"));
  // A cycle through anyOf alone adds nothing and must not loop.
  const auto loop = schema(R"({"anyOf":[{"$ref":"#"},{"type":"integer"}]})");
  EXPECT_TRUE(generates(loop, "3"));
  EXPECT_FALSE(generates(loop, R"("s")"));
  // Required infinite recursion has no finite document.
  EXPECT_NE(
      compile_error(R"({"type":"object","properties":{"c":{"$ref":"#"}},"required":["c"]})").find("no JSON document"),
      std::string::npos);
}

TEST(SchemaCompile, UnsatisfiableBranchesArePruned) {
  // The optional property and the anyOf branch can never be completed, so they are never started.
  const auto s = schema(R"({"type":"object","properties":{"bad":{"type":"string","minLength":3,"maxLength":1},
      "ok":{"anyOf":[{"type":"array","items":false,"minItems":1},{"type":"integer"}]}}})");
  EXPECT_FALSE(generates_prefix(s, R"({"bad")"));
  EXPECT_TRUE(generates(s, R"({"ok":3})"));
  EXPECT_FALSE(generates_prefix(s, R"({"ok":[)"));
}

TEST(SchemaCompile, NullableAndAllOfOfOne) {
  const auto s = schema(R"({"type":"string","nullable":true})");
  EXPECT_TRUE(generates(s, "null"));
  EXPECT_TRUE(generates(s, R"("a")"));
  const auto a = schema(R"({"$defs":{"E":{"enum":["x","y"]}},"allOf":[{"$ref":"#/$defs/E"}],"description":"d"})");
  EXPECT_TRUE(generates(a, R"("y")"));
  EXPECT_FALSE(generates(a, R"("z")"));
}

TEST(SchemaCompile, AnnotationsAndFormatAreIgnored) {
  const auto s = schema(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"D",
      "type":"string","format":"date-time","default":"x","examples":["y"],"x-custom":1})");
  EXPECT_TRUE(generates(s, R"("anything")"));
}

TEST(SchemaCompile, BooleanSchemasAndEmptySchema) {
  EXPECT_TRUE(generates(schema("true"), "[1]"));
  EXPECT_TRUE(generates(schema("{}"), R"({"a":null})"));
  EXPECT_NE(compile_error("false").find("no JSON document"), std::string::npos);
}

TEST(SchemaCompile, TypeInferredFromKeywords) {
  const auto s = schema(R"({"properties":{"a":{"type":"integer"}},"required":["a"]})");
  EXPECT_TRUE(generates(s, R"({"a":1})"));
  EXPECT_FALSE(generates(s, "1"));
}

TEST(SchemaCompile, UnsupportedKeywordsAreNamed) {
  for (const char* keyword : {"pattern", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "not",
                              "patternProperties", "minProperties", "if", "contains", "propertyNames"}) {
    const std::string text = fmt::format(R"({{"type":"object","properties":{{"x":{{"{}":1}}}}}})", keyword);
    const std::string error = compile_error(text);
    EXPECT_NE(error.find(fmt::format("'{}' is not supported", keyword)), std::string::npos) << error;
    EXPECT_NE(error.find("#/properties/x"), std::string::npos) << error;
  }
  EXPECT_NE(compile_error(R"({"type":"array","uniqueItems":true})").find("uniqueItems"), std::string::npos);
  EXPECT_EQ(compile_error(R"({"type":"array","uniqueItems":false})"), "");
  EXPECT_NE(compile_error(R"({"allOf":[{"type":"string"},{"maxLength":2}]})").find("allOf"), std::string::npos);
}

TEST(SchemaCompile, InvalidSchemasAreReported) {
  EXPECT_NE(compile_error("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(compile_error(R"({"type":"strin"})").find("unknown type 'strin'"), std::string::npos);
  EXPECT_NE(compile_error(R"({"$ref":"#/$defs/Missing"})").find("does not resolve"), std::string::npos);
  EXPECT_NE(compile_error(R"({"$ref":"https://example.com/s.json"})").find("only local"), std::string::npos);
  EXPECT_NE(compile_error(R"({"type":"string","minLength":-1})").find("minLength"), std::string::npos);
  EXPECT_NE(compile_error(R"({"type":"object","required":"a"})").find("required"), std::string::npos);
  EXPECT_NE(compile_error(R"({"anyOf":[]})").find("anyOf"), std::string::npos);
  EXPECT_NE(compile_error("[1]").find("must be an object or a boolean"), std::string::npos);
}

TEST(SchemaCompile, CreateFromOutputConstraint) {
  server::OutputConstraint none;
  EXPECT_EQ(TokenConstraint::create(none, byte_vocabulary()), nullptr);
  server::OutputConstraint object;
  object.kind = server::OutputConstraint::Kind::kJsonObject;
  EXPECT_NE(TokenConstraint::create(object, byte_vocabulary()), nullptr);
  server::OutputConstraint bad;
  bad.kind = server::OutputConstraint::Kind::kJsonSchema;
  bad.json_schema = R"({"type":"string","pattern":"a+"})";
  EXPECT_THROW(TokenConstraint::create(bad, byte_vocabulary()), hearth::Error);
}

}  // namespace
}  // namespace hearth::constrain::test
