// The JSON automaton on documents fed byte by byte: a table of valid and invalid JSON (RFC 8259) for "any
// value" ({} schema) and json_object mode. Expected verdicts are RFC 8259 facts, cross-checked against
// nlohmann::json's parser where it is a strict RFC parser.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "constrain/json_grammar.h"
#include "constrain/token_constraint.h"
#include "constrain_test_util.h"

namespace hearth::constrain::test {
namespace {

struct Case {
  std::string text;
  bool valid;
};

// Valid and invalid JSON texts for the "any value" grammar.
const Case kAnyValueCases[] = {
    {"0", true},
    {"-0", true},
    {"-0.5e+10", true},
    {"1E-7", true},
    {"12.25", true},
    {"123456789012345678", true},  // 18 digits: the cap
    {"01", false},                 // leading zero
    {"-", false},
    {"+1", false},
    {".5", false},
    {"1.", false},
    {"1e", false},
    {"1e+", false},
    {"--1", false},
    {"0x10", false},
    {"true", true},
    {"false", true},
    {"null", true},
    {"nul", false},
    {"True", false},
    {"\"\"", true},
    {"\"plain text\"", true},
    {R"("esc \" \\ \/ \b \f \n \r \t")", true},
    {R"("\u00e9\u4e2D")", true},
    {R"("\ud83d\ude00")", true},   // surrogate pair
    {R"("\ud83d")", false},        // lone high surrogate
    {R"("\ude00")", false},        // lone low surrogate
    {R"("\ud83d\u0041")", false},  // high surrogate followed by a non-surrogate
    {R"("\x41")", false},
    {R"("\u12")", false},
    {R"("\u12G4")", false},
    {"\"caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"", true},  // 2-, 3- and 4-byte UTF-8
    {"\"\xC3\"", false},                                      // truncated sequence
    {"\"\xC0\xAF\"", false},                                  // overlong
    {"\"\xE0\x80\xAF\"", false},                              // overlong 3-byte
    {"\"\xED\xA0\x80\"", false},                              // UTF-8 encoded surrogate
    {"\"\xF4\x90\x80\x80\"", false},                          // above U+10FFFF
    {"\"\x80\"", false},                                      // stray continuation
    {"\"tab\there\"", false},                                 // raw control character
    {"\"line\nbreak\"", false},
    {"\"unterminated", false},
    {"[]", true},
    {"[1,2,3]", true},
    {"[ 1 , [ 2 , { } ] ]", true},
    {"[1,]", false},
    {"[,1]", false},
    {"[1 2]", false},
    {"{}", true},
    {R"({"a":1})", true},
    {R"({"a":{"b":[true,null,"x"]},"c":-1.5})", true},
    {"{\n  \"a\": 1,\n  \"b\": [1, 2]\n}", true},
    {R"({"a":1,})", false},
    {R"({"a" 1})", false},
    {R"({a:1})", false},
    {R"({'a':1})", false},
    {R"({"a":1 "b":2})", false},
    {"[1]]", false},
    {"{}{}", false},
    {"1 2", false},
    {"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", true},
    {"", false},
};

TEST(JsonAutomaton, AnyValueAcceptsExactlyValidJson) {
  const auto grammar = schema("{}");
  for (const Case& c : kAnyValueCases) {
    EXPECT_EQ(generates(grammar, c.text), c.valid) << c.text;
    // The verdicts agree with a strict parser (the digit cap aside, which only our cases stay within).
    EXPECT_EQ(nlohmann::json::accept(c.text), c.valid) << c.text;
  }
}

TEST(JsonAutomaton, JsonObjectModeRequiresAnObject) {
  const auto grammar = JsonGrammar::json_object();
  EXPECT_TRUE(generates(grammar, "{}"));
  EXPECT_TRUE(generates(grammar, R"({"k": [1, {"x": "\u00e9"}], "n": null})"));
  EXPECT_TRUE(generates(grammar, "  {\"a\":1}"));  // leading whitespace is JSON too
  EXPECT_FALSE(generates(grammar, "[1]"));
  EXPECT_FALSE(generates(grammar, "\"text\""));
  EXPECT_FALSE(generates(grammar, "42"));
  EXPECT_FALSE(generates(grammar, "{\"a\":1} "));  // nothing but the end after the document
  EXPECT_FALSE(generates(grammar, "{\"a\":1"));
}

TEST(JsonAutomaton, NumberAtTopLevelMayEndOrContinue) {
  const auto grammar = schema(R"({"type":"number"})");
  TokenConstraint c(grammar, byte_vocabulary());
  ASSERT_TRUE(c.accept('1'));
  EXPECT_TRUE(c.complete());
  EXPECT_FALSE(c.finished());  // more digits may follow
  EXPECT_TRUE(c.allows('2'));
  EXPECT_TRUE(c.allows('.'));
  EXPECT_TRUE(c.allows(kByteEos));
  EXPECT_FALSE(c.allows(' '));
}

TEST(JsonAutomaton, CompleteObjectAllowsOnlyTheEnd) {
  TokenConstraint c(JsonGrammar::json_object(), byte_vocabulary());
  for (char b : std::string("{\"a\":1}")) ASSERT_TRUE(c.accept(static_cast<unsigned char>(b)));
  EXPECT_TRUE(c.complete());
  EXPECT_TRUE(c.finished());
  std::vector<std::uint64_t> words;
  c.allowed(words);
  int allowed = 0;
  for (int t = 0; t <= kByteEos; ++t) allowed += (words[t / 64] >> (t % 64)) & 1;
  EXPECT_EQ(allowed, 1);
  EXPECT_TRUE(c.allows(kByteEos));
}

TEST(JsonAutomaton, EndOfGenerationOnlyWhenComplete) {
  TokenConstraint c(JsonGrammar::json_object(), byte_vocabulary());
  EXPECT_FALSE(c.allows(kByteEos));
  EXPECT_FALSE(c.accept(kByteEos));
  ASSERT_TRUE(c.accept('{'));
  EXPECT_FALSE(c.accept(kByteEos));
  EXPECT_FALSE(c.accept('x'));  // rejected tokens change nothing
  ASSERT_TRUE(c.accept('}'));
  EXPECT_TRUE(c.accept(kByteEos));
  EXPECT_FALSE(c.accept('{'));  // nothing after the end
}

TEST(JsonAutomaton, WhitespaceRunsAreCapped) {
  const auto grammar = JsonGrammar::json_object();
  const std::string ok = "{" + std::string(kMaxWhitespace, ' ') + "}";
  const std::string too_long = "{" + std::string(kMaxWhitespace + 1, ' ') + "}";
  EXPECT_TRUE(generates(grammar, ok));
  EXPECT_FALSE(generates(grammar, too_long));
  // The cap is per run: whitespace between every pair of tokens is fine.
  EXPECT_TRUE(generates(grammar, "{\n    \"a\" :\n      [\n        1 ,\n        2\n      ]\n}"));
}

TEST(JsonAutomaton, NestingIsCapped) {
  const auto grammar = schema("{}");
  const std::string deep = std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']');
  const std::string too_deep = std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']');
  EXPECT_TRUE(generates(grammar, deep));
  EXPECT_FALSE(generates_prefix(grammar, too_deep));
}

TEST(JsonAutomaton, NumberDigitCaps) {
  const auto grammar = schema("{}");
  EXPECT_FALSE(generates(grammar, "1234567890123456789"));  // 19 integer digits
  EXPECT_TRUE(generates(grammar, "0.123456789012345678"));
  EXPECT_FALSE(generates(grammar, "0.1234567890123456789"));
  EXPECT_TRUE(generates(grammar, "1e99"));
  EXPECT_FALSE(generates(grammar, "1e100"));  // three exponent digits could overflow a double
}

TEST(JsonAutomaton, LongSessionsCompactTheirState) {
  // Many tokens in one request: the arena is compacted and the state stays correct.
  TokenConstraint c(schema(R"({"type":"array","items":{"type":"string"}})"), byte_vocabulary());
  ASSERT_TRUE(c.accept('['));
  for (int i = 0; i < 40000; ++i) {
    for (char b : std::string(i == 0 ? "\"ab\"" : ",\"ab\"")) ASSERT_TRUE(c.accept(static_cast<unsigned char>(b)));
  }
  EXPECT_FALSE(c.complete());
  ASSERT_TRUE(c.accept(']'));
  EXPECT_TRUE(c.complete());
}

}  // namespace
}  // namespace hearth::constrain::test
