// ModelPromptFrontend renders and tokenizes chats exactly as transformers' apply_chat_template + encode
// (shared/reference/tokenizer.json, Qwen3's template and tokenizer).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <utility>
#include <nlohmann/json.hpp>

#include "format/model_files.h"
#include "scheduler/model_frontend.h"
#include "server/json_util.h"
#include "server/openai_request.h"
#include "test_support.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::scheduler {
namespace {

// ordered_json keeps the clients' key order, which the template's tojson reproduces.
using json = nlohmann::ordered_json;

server::ChatMessage message(std::string role, std::string content) {
  server::ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

server::ChatPromptInput to_input(const json& chat) {
  server::ChatPromptInput in;
  for (const auto& m : chat["messages"]) {
    server::ChatMessage msg;
    msg.role = m["role"];
    msg.content = m["content"];
    for (const auto& c : m.value("tool_calls", json::array())) {
      server::ToolCall call;
      call.name = c["function"]["name"];
      call.arguments = c["function"]["arguments"].dump();
      msg.tool_calls.push_back(call);
    }
    in.messages.push_back(msg);
  }
  const json& kwargs = chat["kwargs"];
  in.add_generation_prompt = kwargs.value("add_generation_prompt", false);
  if (kwargs.contains("enable_thinking")) in.enable_thinking = kwargs["enable_thinking"].get<bool>();
  for (const auto& t : kwargs.value("tools", json::array())) {
    server::ToolDefinition def;
    def.name = t["function"]["name"];
    def.description = t["function"].value("description", "");
    def.parameters = t["function"]["parameters"].dump();
    in.tools.push_back(def);
  }
  return in;
}

TEST(ModelPromptFrontend, RendersAndTokenizesReferenceChatsExactly) {
  HEARTH_REQUIRE_SHARED();
  const auto model = hearth::test::shared_dir() / "models" / "qwen3moe-tiny";
  ModelFiles files = open_model_files(model.string(), /*load_weights=*/false);
  std::shared_ptr<const Tokenizer> tokenizer = load_tokenizer(files);
  ModelPromptFrontend frontend(tokenizer, files.chat_template, false, files.special_token_strings);
  const json ref = json::parse(std::ifstream(hearth::test::shared_dir() / "reference" / "tokenizer.json"));
  ASSERT_FALSE(ref["chats"].empty());
  for (const auto& chat : ref["chats"]) {
    const std::string rendered = frontend.render_chat(to_input(chat));
    EXPECT_EQ(rendered, chat["rendered"].get<std::string>());
    EXPECT_EQ(frontend.tokenize(rendered), chat["ids"].get<std::vector<std::int32_t>>());
  }
}

// The same chats sent the way a client sends them: as a /v1/chat/completions body whose text has the reference's
// key order, through the server's parser. The tool schemas' keys are not in alphabetical order ("type" before
// "properties"), so a parser that sorts keys renders a different prompt.
TEST(ModelPromptFrontend, ChatRequestBodiesRenderLikeTransformers) {
  HEARTH_REQUIRE_SHARED();
  const auto model = hearth::test::shared_dir() / "models" / "qwen3-tiny";
  ModelFiles files = open_model_files(model.string(), /*load_weights=*/false);
  ModelPromptFrontend frontend(load_tokenizer(files), files.chat_template, false, files.special_token_strings);
  const json ref = json::parse(std::ifstream(hearth::test::shared_dir() / "reference" / "tokenizer.json"));
  int with_tools = 0;
  for (const auto& chat : ref["chats"]) {
    json body = {{"model", "qwen3-tiny"}, {"messages", chat["messages"]}};
    const json& kwargs = chat["kwargs"];
    if (kwargs.contains("tools")) {
      body["tools"] = kwargs["tools"];
      ++with_tools;
    }
    body["add_generation_prompt"] = kwargs.value("add_generation_prompt", false);
    if (kwargs.contains("enable_thinking"))
      body["chat_template_kwargs"] = {{"enable_thinking", kwargs["enable_thinking"]}};
    const server::ChatRequest request = server::parse_openai_chat_request(server::parse_json_object_body(body.dump()));
    EXPECT_EQ(frontend.render_chat(request.prompt), chat["rendered"].get<std::string>()) << body.dump();
  }
  EXPECT_GT(with_tools, 0);
}

TEST(ModelPromptFrontend, ReasoningTagsAreSingleTokens) {
  HEARTH_REQUIRE_SHARED();
  ModelFiles files = open_model_files((hearth::test::shared_dir() / "models" / "qwen3-tiny").string(), false);
  ModelPromptFrontend frontend(load_tokenizer(files), files.chat_template, false, files.special_token_strings);
  const auto tags = frontend.reasoning_tags();
  ASSERT_TRUE(tags.has_value());
  // Qwen3's added tokens (tokenizer_config.json).
  EXPECT_EQ(tags->open, 151667);
  EXPECT_EQ(tags->close, 151668);
}

TEST(ModelPromptFrontend, PromptTemplateSeesInputAndSystem) {
  HEARTH_REQUIRE_SHARED();
  const auto model = hearth::test::shared_dir() / "models" / "qwen3moe-tiny";
  ModelFiles files = open_model_files(model.string(), /*load_weights=*/false);
  ModelPromptFrontend frontend(load_tokenizer(files), "<|im_start|>user\n{{input}}<|im_end|>\n<|im_start|>assistant\n",
                               true, files.special_token_strings);
  server::ChatPromptInput in;
  in.messages = {message("system", "Be brief."), message("user", "Hello there")};
  EXPECT_EQ(frontend.render_chat(in), "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n");
  // Special-token text becomes its id.
  const auto ids = frontend.tokenize("<|im_start|>user");
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids[0], 151644);
  EXPECT_EQ(frontend.detokenize(ids), "<|im_start|>user");
}

TEST(ModelPromptFrontend, WithoutATemplateChatIsAClearError) {
  HEARTH_REQUIRE_SHARED();
  const auto model = hearth::test::shared_dir() / "models" / "qwen3moe-tiny";
  ModelFiles files = open_model_files(model.string(), /*load_weights=*/false);
  ModelPromptFrontend frontend(load_tokenizer(files), "", false, files.special_token_strings);
  server::ChatPromptInput in;
  in.messages = {message("user", "Hello")};
  EXPECT_THROW(frontend.render_chat(in), Error);
}

}  // namespace
}  // namespace hearth::scheduler
