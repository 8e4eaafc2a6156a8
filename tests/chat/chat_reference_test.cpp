// The reference renders in ../shared: the Qwen3 template of the tiny models against transformers'
// renders (reference/tokenizer.json), and five more templates users' GGUF files carry against real
// Jinja2 (reference/templates.json), each byte for byte or with the template's own error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "chat/chat_template.h"
#include "chat_test_util.h"
#include "test_support.h"

namespace hearth {
namespace {

using nlohmann::ordered_json;

ordered_json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  return ordered_json::parse(in);
}

std::string qwen3_template() {
  return load_json(test::shared_dir() / "models/qwen3-tiny/tokenizer_config.json")["chat_template"].get<std::string>();
}

// The special tokens transformers passes for the tiny models (tokenizer_config.json; bos_token is null).
nlohmann::json qwen3_specials() {
  return nlohmann::json{{"bos_token", nullptr}, {"eos_token", "<|im_end|>"}, {"pad_token", "<|endoftext|>"}};
}

TEST(ChatTemplateReference, Qwen3ChatsMatchTransformers) {
  HEARTH_REQUIRE_SHARED();
  const ChatTemplate tpl(qwen3_template());
  const ordered_json ref = load_json(test::shared_dir() / "reference/tokenizer.json");
  ASSERT_FALSE(ref["chats"].empty());
  for (const auto& chat : ref["chats"]) {
    SCOPED_TRACE(chat["name"].get<std::string>());
    const ordered_json context = chat_template_context(chat["messages"], qwen3_specials(), chat["kwargs"]);
    EXPECT_EQ(tpl.render(context), chat["rendered"].get<std::string>());
  }
}

TEST(ChatTemplateReference, FiveMoreTemplatesMatchJinja2) {
  HEARTH_REQUIRE_SHARED();
  const ordered_json ref = load_json(test::shared_dir() / "reference/templates.json");
  ASSERT_EQ(ref["templates"].size(), 5u);
  int rendered = 0, errors = 0;
  for (const auto& t : ref["templates"]) {
    const ChatTemplate tpl(t["template"].get<std::string>());
    for (const auto& c : t["cases"]) {
      SCOPED_TRACE(t["name"].get<std::string>() + " / " + c["name"].get<std::string>());
      const ordered_json context = chat_template_context(c["messages"], t["specials"], c["kwargs"]);
      if (c.contains("rendered")) {
        EXPECT_EQ(tpl.render(context, test::fixed_now()), c["rendered"].get<std::string>());
        ++rendered;
        continue;
      }
      // The template's raise_exception(msg): transformers reports "TemplateError: msg"; Hearth's
      // message is exactly msg.
      std::string expected = c["error"].get<std::string>();
      const std::string prefix = "TemplateError: ";
      if (expected.rfind(prefix, 0) == 0) expected.erase(0, prefix.size());
      try {
        tpl.render(context, test::fixed_now());
        ADD_FAILURE() << "expected the error: " << expected;
      } catch (const ChatTemplateError& e) {
        EXPECT_EQ(std::string(e.what()), expected);
        EXPECT_TRUE(e.raised_by_template());
      }
      ++errors;
    }
  }
  EXPECT_EQ(rendered + errors, 40);
  EXPECT_GE(errors, 1);
}

// One ChatTemplate rendered from several threads at once gives every thread the same prompt.
TEST(ChatTemplateReference, ConcurrentRendersAgree) {
  HEARTH_REQUIRE_SHARED();
  const ChatTemplate tpl(qwen3_template());
  const ordered_json ref = load_json(test::shared_dir() / "reference/tokenizer.json");
  std::vector<std::pair<ordered_json, std::string>> cases;
  for (const auto& chat : ref["chats"])
    cases.emplace_back(chat_template_context(chat["messages"], qwen3_specials(), chat["kwargs"]),
                       chat["rendered"].get<std::string>());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round)
        for (const auto& [context, expected] : cases)
          if (tpl.render(context) != expected) ++mismatches;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ChatTemplateReference, ReferencedVariables) {
  HEARTH_REQUIRE_SHARED();
  const ChatTemplate qwen3(qwen3_template());
  EXPECT_TRUE(qwen3.references("tools"));
  EXPECT_TRUE(qwen3.references("enable_thinking"));
  EXPECT_TRUE(qwen3.references("messages"));
  EXPECT_FALSE(qwen3.references("bos_token"));
  EXPECT_FALSE(qwen3.references("ns.multi_step_tool"));
}

TEST(ChatTemplateContext, TransformersDefaultsThenSpecialsThenKwargs) {
  const ordered_json messages = ordered_json::parse(R"([{"role":"user","content":"hi"}])");
  const nlohmann::json specials = {{"bos_token", nullptr}, {"eos_token", "</s>"}};
  const ordered_json kwargs = ordered_json::parse(R"({"eos_token":"<eot>","add_generation_prompt":true,"x":1})");
  const ordered_json ctx = chat_template_context(messages, specials, kwargs);
  EXPECT_EQ(ctx["messages"], messages);
  EXPECT_TRUE(ctx["tools"].is_null());
  EXPECT_TRUE(ctx["documents"].is_null());
  EXPECT_EQ(ctx["add_generation_prompt"], true);
  EXPECT_EQ(ctx["eos_token"], "<eot>");
  EXPECT_FALSE(ctx.contains("bos_token"));  // a null special token stays undefined, as in transformers
  EXPECT_EQ(ctx["x"], 1);
  // Rendered: the undefined bos_token prints nothing; tools is none, not undefined.
  EXPECT_EQ(ChatTemplate("[{{ bos_token }}|{{ tools is none }}|{{ add_generation_prompt }}]").render(ctx),
            "[|True|True]");
}

}  // namespace
}  // namespace hearth
