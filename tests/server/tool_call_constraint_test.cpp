// tool_choice enforcement: the call object's schema (checked by the grammar it compiles to) and the frame.
#include "server/tool_call_constraint.h"

#include <gtest/gtest.h>

#include "constrain/token_constraint.h"
#include "constrain_test_util.h"
#include "server/api_error.h"
#include "server/fake_engine.h"

namespace hearth::server {
namespace {

using constrain::test::generates;

std::vector<ToolDefinition> tools() {
  ToolDefinition lookup;
  lookup.name = "lookup";
  lookup.parameters =
      R"({"type":"object","properties":{"who":{"$ref":"#/$defs/name"},"limit":{"type":"integer"}},)"
      R"("required":["who","limit"],"$defs":{"name":{"type":"string","maxLength":3}}})";
  ToolDefinition clock;
  clock.name = "clock";
  clock.parameters = "{}";
  return {lookup, clock};
}

std::shared_ptr<const constrain::JsonGrammar> grammar_for(const ToolChoice& choice) {
  OutputConstraint c;
  c.kind = OutputConstraint::Kind::kJsonSchema;
  c.json_schema = tool_call_schema(tools(), choice);
  return constrain::compile_constraint(c);
}

TEST(ToolCallSchema, ANamedFunctionAllowsOnlyThatToolWithValidArguments) {
  const auto g = grammar_for({ToolChoice::Mode::kFunction, "lookup"});
  EXPECT_TRUE(generates(g, R"({"name":"lookup","arguments":{"who":"Ann","limit":3}})"));
  EXPECT_TRUE(generates(g, R"({"name": "lookup", "arguments": {"who": "Al", "limit": 0}})"));
  EXPECT_FALSE(generates(g, R"({"name":"clock","arguments":{}})"));
  EXPECT_FALSE(generates(g, R"({"name":"lookup","arguments":{"who":"Ann"}})"));              // limit is required
  EXPECT_FALSE(generates(g, R"({"name":"lookup","arguments":{"who":"Annie","limit":3}})"));  // $ref'd maxLength
  EXPECT_FALSE(generates(g, R"({"name":"lookup","arguments":{"who":"Ann","limit":3},"x":1})"));
  EXPECT_FALSE(generates(g, R"({"arguments":{"who":"Ann","limit":3}})"));
}

TEST(ToolCallSchema, RequiredAllowsAnyToolAndAnEmptySchemaMeansAnyObject) {
  const auto g = grammar_for({ToolChoice::Mode::kRequired, ""});
  EXPECT_TRUE(generates(g, R"({"name":"lookup","arguments":{"who":"Ann","limit":3}})"));
  EXPECT_TRUE(generates(g, R"({"name":"clock","arguments":{}})"));
  EXPECT_TRUE(generates(g, R"({"name":"clock","arguments":{"tz":"UTC"}})"));
  EXPECT_FALSE(generates(g, R"({"name":"clock","arguments":"now"})"));
  EXPECT_FALSE(generates(g, R"({"name":"other","arguments":{}})"));
}

TEST(ToolCallSchema, ParametersThatAreNotASchemaObjectAreA400) {
  std::vector<ToolDefinition> bad(1);
  bad[0].name = "f";
  bad[0].parameters = "[1]";
  try {
    tool_call_schema(bad, {ToolChoice::Mode::kRequired, ""});
    FAIL() << "expected a 400";
  } catch (const ApiException& e) {
    EXPECT_EQ(e.error().status, 400);
    EXPECT_EQ(e.error().param, "tools");
  }
}

// A frontend whose vocabulary has the tags as tokens 40 and 41 and "\n" as token 10.
class TaggedFrontend final : public PromptFrontend {
 public:
  std::string render_chat(const ChatPromptInput&) const override { return {}; }
  std::vector<TokenId> tokenize(std::string_view text) const override {
    std::vector<TokenId> ids;
    for (unsigned char ch : text) ids.push_back(ch);
    return ids;
  }
  std::string detokenize(const std::vector<TokenId>&) const override { return {}; }
  std::unique_ptr<OutputParser> make_output_parser(const OutputParserOptions&) const override { return nullptr; }
  std::optional<ToolCallTags> tool_call_tags() const override { return ToolCallTags{40, 41}; }
};

TEST(ForcedToolCallConstraint, FramesTheSchemaWithTheTemplateTags) {
  const OutputConstraint c =
      forced_tool_call_constraint(TaggedFrontend{}, tools(), {ToolChoice::Mode::kRequired, ""}, false);
  EXPECT_EQ(c.kind, OutputConstraint::Kind::kJsonSchema);
  ASSERT_TRUE(c.frame.has_value());
  EXPECT_EQ(c.frame->open, (std::vector<TokenId>{40, 10}));
  EXPECT_EQ(c.frame->close, 41);
  EXPECT_FALSE(c.frame->repeat);
}

TEST(ForcedToolCallConstraint, ParallelCallsRepeatTheFrameAfterANewline) {
  const OutputConstraint c =
      forced_tool_call_constraint(TaggedFrontend{}, tools(), {ToolChoice::Mode::kRequired, ""}, true);
  ASSERT_TRUE(c.frame.has_value());
  EXPECT_TRUE(c.frame->repeat);
  EXPECT_EQ(c.frame->between, (std::vector<TokenId>{10}));
}

TEST(ForcedToolCallConstraint, AModelWithoutTagTokensOrAnUnenforceableSchemaIsA400) {
  try {
    forced_tool_call_constraint(FakePromptFrontend{}, tools(), {ToolChoice::Mode::kRequired, ""}, true);
    FAIL() << "expected a 400";
  } catch (const ApiException& e) {
    EXPECT_EQ(e.error().status, 400);
    EXPECT_EQ(e.error().param, "tool_choice");
  }
  std::vector<ToolDefinition> pattern(1);
  pattern[0].name = "f";
  pattern[0].parameters = R"({"type":"object","properties":{"a":{"type":"string","pattern":"x"}}})";
  try {
    forced_tool_call_constraint(TaggedFrontend{}, pattern, {ToolChoice::Mode::kFunction, "f"}, true);
    FAIL() << "expected a 400";
  } catch (const ApiException& e) {
    EXPECT_EQ(e.error().param, "tools");
    EXPECT_NE(std::string(e.what()).find("pattern"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::server
