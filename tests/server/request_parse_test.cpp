// OpenAI and Ollama request bodies -> typed requests, and the errors for everything else.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/json_util.h"
#include "server/ollama_request.h"
#include "server/openai_request.h"

namespace hearth::server {
namespace {

using nlohmann::json;

// The error a parse throws; fails the test when it does not throw.
template <typename Fn>
ApiError error_of(Fn fn) {
  try {
    fn();
  } catch (const ApiException& e) {
    return e.error();
  }
  ADD_FAILURE() << "no ApiException";
  return {};
}

json chat(json extra = json::object()) {
  json j = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

TEST(ParseChat, EverySamplingFieldIsTyped) {
  ChatRequest r = parse_openai_chat_request(chat({{"temperature", 0.5},
                                                  {"top_p", 0.9},
                                                  {"top_k", 40},
                                                  {"min_p", 0.05},
                                                  {"seed", 42},
                                                  {"presence_penalty", 0.5},
                                                  {"frequency_penalty", -0.5},
                                                  {"repetition_penalty", 1.1},
                                                  {"max_tokens", 100},
                                                  {"n", 3},
                                                  {"stop", "END"},
                                                  {"logprobs", true},
                                                  {"top_logprobs", 5},
                                                  {"stream", true},
                                                  {"stream_options", {{"include_usage", true}}},
                                                  {"logit_bias", {{"15", -100}, {"7", 2.5}}},
                                                  {"user", "ignored"},
                                                  {"metadata", {{"any", "thing"}}}}));
  const SamplingParams& s = r.options.sampling;
  EXPECT_FLOAT_EQ(*s.temperature, 0.5f);
  EXPECT_FLOAT_EQ(*s.top_p, 0.9f);
  EXPECT_EQ(*s.top_k, 40);
  EXPECT_FLOAT_EQ(*s.min_p, 0.05f);
  EXPECT_EQ(*s.seed, 42u);
  EXPECT_FLOAT_EQ(s.presence_penalty.value_or(0), 0.5f);
  EXPECT_FLOAT_EQ(s.frequency_penalty.value_or(0), -0.5f);
  EXPECT_FLOAT_EQ(*s.repetition_penalty, 1.1f);
  ASSERT_EQ(s.logit_bias.size(), 2u);
  EXPECT_EQ(*r.options.max_tokens, 100);
  EXPECT_EQ(r.options.n, 3);
  EXPECT_EQ(r.options.stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(r.options.logprobs);
  EXPECT_EQ(r.options.top_logprobs, 5);
  EXPECT_TRUE(r.options.stream);
  EXPECT_TRUE(r.options.include_usage);
  EXPECT_EQ(r.options.model, "m");
}

TEST(ParseChat, DefaultsLeaveSamplingToTheModel) {
  ChatRequest r = parse_openai_chat_request(chat());
  EXPECT_FALSE(r.options.sampling.temperature.has_value());
  EXPECT_FALSE(r.options.max_tokens.has_value());
  EXPECT_EQ(r.options.n, 1);
  EXPECT_FALSE(r.options.stream);
  EXPECT_TRUE(r.prompt.add_generation_prompt);
  EXPECT_FALSE(r.prompt.enable_thinking.has_value());
}

TEST(ParseChat, NullMeansNotGiven) {
  ChatRequest r =
      parse_openai_chat_request(chat({{"temperature", nullptr}, {"stop", nullptr}, {"max_tokens", nullptr}}));
  EXPECT_FALSE(r.options.sampling.temperature.has_value());
  EXPECT_TRUE(r.options.stop.empty());
}

TEST(ParseChat, MaxCompletionTokensWinsOverMaxTokens) {
  EXPECT_EQ(*parse_openai_chat_request(chat({{"max_tokens", 10}, {"max_completion_tokens", 20}})).options.max_tokens,
            20);
}

TEST(ParseChat, TypeErrorsNameTheParameter) {
  ApiError e = error_of([] { parse_openai_chat_request(chat({{"temperature", "hot"}})); });
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.param, "temperature");
  EXPECT_EQ(e.code, "invalid_type");
  EXPECT_EQ(e.message, "Invalid type for 'temperature': expected a number, but got a string instead.");
  e = error_of([] { parse_openai_chat_request(chat({{"max_tokens", 1.5}})); });
  EXPECT_EQ(e.message, "Invalid type for 'max_tokens': expected an integer, but got a number instead.");
  e = error_of([] { parse_openai_chat_request(chat({{"stream", "yes"}})); });
  EXPECT_EQ(e.param, "stream");
  e = error_of([] { parse_openai_chat_request(chat({{"stop", {"a", 1}}})); });
  EXPECT_EQ(e.param, "stop[1]");
  e = error_of([] { parse_openai_chat_request(chat({{"stream_options", {{"include_usage", 1}}}, {"stream", true}})); });
  EXPECT_EQ(e.param, "stream_options.include_usage");
}

TEST(ParseChat, RangeErrorsNameTheParameter) {
  ApiError e = error_of([] { parse_openai_chat_request(chat({{"temperature", 2.5}})); });
  EXPECT_EQ(e.message, "Invalid value for 'temperature': must be between 0 and 2, got 2.5.");
  EXPECT_EQ(e.code, "invalid_value");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"top_p", 1.5}})); }).param, "top_p");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"max_tokens", 0}})); }).param, "max_tokens");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"presence_penalty", 3}})); }).param, "presence_penalty");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(chat({{"top_logprobs", 21}, {"logprobs", true}}));
            }).param,
            "top_logprobs");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"logit_bias", {{"x", 1}}}})); }).param, "logit_bias");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"logit_bias", {{"5", 101}}}})); }).param, "logit_bias.5");
}

TEST(ParseChat, CombinationsThatMakeNoSense) {
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"top_logprobs", 2}})); }).param, "top_logprobs");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(chat({{"stream_options", {{"include_usage", true}}}}));
            }).param,
            "stream_options");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"tool_choice", "required"}})); }).param, "tool_choice");
  EXPECT_EQ(error_of([] { parse_openai_chat_request(chat({{"n", 2}, {"best_of", 3}})); }).param, "best_of");
}

TEST(ParseChat, TopPZeroMeansGreedy) {
  ChatRequest r = parse_openai_chat_request(chat({{"top_p", 0}}));
  EXPECT_EQ(*r.options.sampling.temperature, 0.0f);
  EXPECT_FALSE(r.options.sampling.top_p.has_value());
}

TEST(ParseChat, Messages) {
  json body = {
      {"messages",
       {{{"role", "developer"}, {"content", "be brief"}},
        {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"reasoning_content", "hmm"},
         {"tool_calls",
          {{{"id", "call_1"},
            {"type", "function"},
            {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}}}}},
        {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}}}}};
  ChatRequest r = parse_openai_chat_request(body);
  ASSERT_EQ(r.prompt.messages.size(), 4u);
  EXPECT_EQ(r.prompt.messages[0].role, "system");
  EXPECT_EQ(r.prompt.messages[1].content, "a\nb");
  const ChatMessage& a = r.prompt.messages[2];
  EXPECT_TRUE(a.content_is_null);
  EXPECT_EQ(*a.reasoning_content, "hmm");
  ASSERT_EQ(a.tool_calls.size(), 1u);
  EXPECT_EQ(a.tool_calls[0].name, "get_weather");
  EXPECT_EQ(a.tool_calls[0].arguments, "{\"city\":\"Paris\"}");
  EXPECT_EQ(r.prompt.messages[3].tool_call_id, "call_1");

  EXPECT_EQ(error_of([] { parse_openai_chat_request(json{{"messages", json::array()}}); }).param, "messages");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(json{{"messages", {{{"role", "user"}}}}});
            }).param,
            "messages[0].content");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(json{{"messages", {{{"content", "x"}}}}});
            }).param,
            "messages[0].role");
  EXPECT_EQ(
      error_of([] {
        parse_openai_chat_request(json{{"messages", {{{"role", "user"}, {"content", {{{"type", "input_audio"}}}}}}}});
      }).code,
      "unsupported_parameter");
}

TEST(ParseChat, ToolsToolChoiceAndTemplateKwargs) {
  json tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather", "description": "Weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  ChatRequest r =
      parse_openai_chat_request(chat({{"tools", tools},
                                      {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}},
                                      {"chat_template_kwargs", {{"enable_thinking", false}, {"custom", 1}}}}));
  ASSERT_EQ(r.prompt.tools.size(), 1u);
  EXPECT_EQ(r.prompt.tools[0].name, "get_weather");
  EXPECT_EQ(json::parse(r.prompt.tools[0].parameters)["type"], "object");
  EXPECT_EQ(r.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(r.prompt.enable_thinking, false);
  EXPECT_EQ(json::parse(r.prompt.template_kwargs), json({{"custom", 1}}));
  EXPECT_EQ(error_of([&] {
              parse_openai_chat_request(chat({{"tools", tools}, {"tool_choice", {{"function", {{"name", "nope"}}}}}}));
            }).param,
            "tool_choice");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(chat({{"tools", {{{"type", "function"}, {"function", json::object()}}}}}));
            }).param,
            "tools[0].function.name");
  // tool_choice none: the tools are not offered to the model at all
  EXPECT_TRUE(parse_openai_chat_request(chat({{"tools", tools}, {"tool_choice", "none"}})).prompt.tools.empty());
}

TEST(ParseChat, ResponseFormat) {
  EXPECT_EQ(parse_openai_chat_request(chat({{"response_format", {{"type", "text"}}}})).options.constraint.kind,
            OutputConstraint::Kind::kNone);
  EXPECT_EQ(parse_openai_chat_request(chat({{"response_format", {{"type", "json_object"}}}})).options.constraint.kind,
            OutputConstraint::Kind::kJsonObject);
  auto c = parse_openai_chat_request(
               chat({{"response_format",
                      {{"type", "json_schema"},
                       {"json_schema", {{"name", "x"}, {"schema", {{"type", "object"}}}, {"strict", true}}}}}}))
               .options.constraint;
  EXPECT_EQ(c.kind, OutputConstraint::Kind::kJsonSchema);
  EXPECT_EQ(json::parse(c.json_schema), json({{"type", "object"}}));
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(chat({{"response_format", {{"type", "yaml"}}}}));
            }).param,
            "response_format.type");
  EXPECT_EQ(error_of([] {
              parse_openai_chat_request(chat({{"response_format", {{"type", "json_schema"}}}}));
            }).param,
            "response_format.json_schema");
}

TEST(ParseCompletion, PromptForms) {
  auto r = parse_openai_completion_request(json{{"prompt", "hello"}});
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0].text, "hello");
  r = parse_openai_completion_request(json{{"prompt", {"a", "b"}}});
  EXPECT_EQ(r.prompts.size(), 2u);
  r = parse_openai_completion_request(json{{"prompt", {1, 2, 3}}});
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0].tokens, (std::vector<TokenId>{1, 2, 3}));
  r = parse_openai_completion_request(json{{"prompt", {{1, 2}, {3}}}});
  EXPECT_EQ(r.prompts.size(), 2u);
  r = parse_openai_completion_request(json{{"prompt", "x"}, {"logprobs", 3}, {"echo", true}});
  EXPECT_TRUE(r.options.logprobs);
  EXPECT_EQ(r.options.top_logprobs, 3);
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(error_of([] { parse_openai_completion_request(json::object()); }).param, "prompt");
  EXPECT_EQ(error_of([] { parse_openai_completion_request(json{{"prompt", 5}}); }).param, "prompt");
  EXPECT_EQ(error_of([] { parse_openai_completion_request(json{{"prompt", {"a", 5}}}); }).param, "prompt[1]");
  EXPECT_EQ(error_of([] { parse_openai_completion_request(json{{"prompt", "x"}, {"suffix", "y"}}); }).param, "suffix");
}

TEST(ParseOllama, OptionsMapToSampling) {
  OllamaChatRequest r = parse_ollama_chat_request(json{{"model", "m"},
                                                       {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                                       {"options",
                                                        {{"num_predict", 64},
                                                         {"temperature", 0.2},
                                                         {"top_k", 20},
                                                         {"top_p", 0.8},
                                                         {"min_p", 0.1},
                                                         {"seed", 7},
                                                         {"stop", {"\n\n"}},
                                                         {"repeat_penalty", 1.2},
                                                         {"repeat_last_n", 32},
                                                         {"num_ctx", 2048},
                                                         {"num_gpu", 99}}},
                                                       {"keep_alive", "10m"},
                                                       {"think", true},
                                                       {"format", "json"}});
  EXPECT_TRUE(r.options.stream);  // Ollama streams unless told not to
  EXPECT_EQ(*r.options.max_tokens, 64);
  EXPECT_FLOAT_EQ(*r.options.sampling.temperature, 0.2f);
  EXPECT_EQ(*r.options.sampling.top_k, 20);
  EXPECT_EQ(*r.options.sampling.seed, 7u);
  EXPECT_FLOAT_EQ(*r.options.sampling.repetition_penalty, 1.2f);
  EXPECT_EQ(r.options.sampling.repeat_last_n, 32);
  EXPECT_EQ(r.options.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(*r.options.context_limit, 2048);
  EXPECT_EQ(*r.keep_alive, config::Duration(600'000));
  EXPECT_EQ(r.prompt.enable_thinking, true);
  EXPECT_EQ(r.options.constraint.kind, OutputConstraint::Kind::kJsonObject);

  auto unlimited = parse_ollama_generate_request(json{{"prompt", "x"}, {"options", {{"num_predict", -1}}}});
  EXPECT_FALSE(unlimited.options.max_tokens.has_value());
  auto schema =
      parse_ollama_generate_request(json{{"prompt", "x"}, {"format", {{"type", "object"}}}, {"stream", false}});
  EXPECT_EQ(schema.options.constraint.kind, OutputConstraint::Kind::kJsonSchema);
  EXPECT_FALSE(schema.options.stream);
}

TEST(ParseOllama, KeepAliveForms) {
  EXPECT_EQ(parse_keep_alive(json("5m"), "keep_alive"), config::Duration(300'000));
  EXPECT_EQ(parse_keep_alive(json(30), "keep_alive"), config::Duration(30'000));
  EXPECT_EQ(parse_keep_alive(json(0), "keep_alive"), config::Duration(0));
  EXPECT_LT(parse_keep_alive(json(-1), "keep_alive").count(), 0);
  EXPECT_LT(parse_keep_alive(json("-1m"), "keep_alive").count(), 0);
  EXPECT_EQ(error_of([] { parse_keep_alive(json("later"), "keep_alive"); }).param, "keep_alive");
  EXPECT_EQ(error_of([] { parse_keep_alive(json::array(), "keep_alive"); }).param, "keep_alive");
}

TEST(ParseOllama, Errors) {
  EXPECT_EQ(error_of([] { parse_ollama_chat_request(json{{"messages", "hi"}}); }).param, "messages");
  EXPECT_EQ(error_of([] { parse_ollama_chat_request(json{{"options", {{"top_k", "many"}}}}); }).param, "options.top_k");
  EXPECT_EQ(error_of([] { parse_ollama_generate_request(json{{"format", "xml"}}); }).param, "format");
  EXPECT_EQ(error_of([] { parse_ollama_generate_request(json{{"template", "{{ .Prompt }}"}}); }).param, "template");
  EXPECT_EQ(error_of([] { parse_ollama_generate_request(json{{"context", {1, "x"}}}); }).param, "context[1]");
}

TEST(JsonBody, MalformedAndDeeplyNestedBodiesAre400) {
  EXPECT_EQ(error_of([] { parse_json_object_body("{\"a\":"); }).status, 400);
  EXPECT_NE(error_of([] { parse_json_object_body("{\"a\":"); }).message.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(error_of([] { parse_json_object_body("  "); }).status, 400);
  EXPECT_EQ(error_of([] { parse_json_object_body("\"text\""); }).message,
            "The request body must be a JSON object, got a string.");
  const std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_NE(error_of([&] { parse_json_object_body(deep); }).message.find("nested deeper"), std::string::npos);
}

// Objects keep the client's key order from the body text to the typed request (nlohmann::json would sort
// them, and chat templates render tool schemas with tojson in the order they get).
TEST(JsonBody, ObjectsKeepTheClientsKeyOrder) {
  const std::string params = R"({"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"integer"}},)"
                             R"("required":["zeta"]})";
  const std::string args = R"({"unit":"celsius","city":"Paris"})";
  const std::string schema = R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}}})";
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,)"
      R"("tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":)" +
      args + R"(}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":)" + params +
      R"(}}],"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":)" + schema +
      R"(}},"chat_template_kwargs":{"zz":1,"aa":2}})";
  ChatRequest r = parse_openai_chat_request(parse_json_object_body(body));
  ASSERT_EQ(r.prompt.tools.size(), 1u);
  EXPECT_EQ(r.prompt.tools[0].parameters, params);
  ASSERT_EQ(r.prompt.messages.size(), 2u);
  ASSERT_EQ(r.prompt.messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(r.prompt.messages[1].tool_calls[0].arguments, args);
  EXPECT_EQ(r.options.constraint.json_schema, schema);
  EXPECT_EQ(r.prompt.template_kwargs, R"({"zz":1,"aa":2})");

  const std::string ollama_body = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"format":)" + schema +
                                  R"(,"tools":[{"type":"function","function":{"name":"f","parameters":)" + params +
                                  "}}]}";
  OllamaChatRequest o = parse_ollama_chat_request(parse_json_object_body(ollama_body));
  EXPECT_EQ(o.options.constraint.json_schema, schema);
  ASSERT_EQ(o.prompt.tools.size(), 1u);
  EXPECT_EQ(o.prompt.tools[0].parameters, params);
}

std::string object_with_keys(int n) {
  std::string s = "{";
  for (int i = 0; i < n; ++i) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  return s + "}";
}

// Keeping the order costs a linear scan per key, so a body whose objects have huge numbers of keys is refused
// rather than parsed in quadratic time; realistic sizes (a logit_bias of 2000 tokens) parse.
TEST(JsonBody, ObjectsWithHugeNumbersOfKeysAre400) {
  EXPECT_EQ(parse_json_object_body(R"({"logit_bias":)" + object_with_keys(2000) + "}")["logit_bias"].size(), 2000u);
  const ApiError e = error_of([] { parse_json_object_body(R"({"a":)" + object_with_keys(20000) + "}"); });
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.message.find("too many keys"), std::string::npos) << e.message;
  // Many smaller objects add up to the same work.
  std::string many = R"({"a":[)";
  for (int i = 0; i < 40; ++i) many += (i ? "," : "") + object_with_keys(2000);
  EXPECT_EQ(error_of([&] { parse_json_object_body(many + "]}"); }).status, 400);
}

}  // namespace
}  // namespace hearth::server
