// Robustness: thousands of mutated real templates (bytes dropped, duplicated, tag fragments spliced
// in) must each parse and render or fail with ChatTemplateError — never crash, hang or throw anything
// else. Run under ASan/UBSan in CI (HEARTH_SANITIZE).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

#include "chat/chat_template.h"
#include "test_support.h"

namespace hearth {
namespace {

using nlohmann::ordered_json;

std::vector<std::string> seed_templates() {
  std::vector<std::string> out;
  std::ifstream tc(test::shared_dir() / "models/qwen3-tiny/tokenizer_config.json");
  out.push_back(ordered_json::parse(tc)["chat_template"].get<std::string>());
  std::ifstream ref(test::shared_dir() / "reference/templates.json");
  const ordered_json templates = ordered_json::parse(ref)["templates"];
  for (const auto& t : templates) out.push_back(t["template"].get<std::string>());
  return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
  static const char* kFragments[] = {
      "{%", "%}", "{{", "}}", "{#",   "#}",    "-",    "+",      "(",     ")",    "[",     "]",    "{",
      "}",  "'",  "\"", "|",  " is ", " not ", " in ", "endfor", "endif", "else", "loop.", "\\",   ",",
      ".",  ":",  "*",  "**", "~",    "\n",    "raw",  "endraw", "macro", "0",    "1e309", "\xff", "\xc3"};
  std::uniform_int_distribution<int> kind(0, 3);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % s.size();
    size_t len = 1 + rng() % 16;
    switch (kind(rng)) {
      case 0:
        s.erase(pos, len);
        break;
      case 1:
        s.insert(pos, s.substr(rng() % s.size(), len));
        break;
      case 2:
        s.insert(pos, kFragments[rng() % std::size(kFragments)]);
        break;
      default:
        s[pos] = static_cast<char>(rng() % 256);
        break;
    }
  }
  return s;
}

TEST(JinjaFuzz, MutatedTemplatesFailCleanly) {
  HEARTH_REQUIRE_SHARED();
  const std::vector<std::string> seeds = seed_templates();
  std::ifstream ref(test::shared_dir() / "reference/templates.json");
  const ordered_json cases = ordered_json::parse(ref)["templates"][0]["cases"];
  std::mt19937 rng(20261126);
  ChatRenderOptions options;
  options.max_steps = 100000;
  int parsed = 0, rendered = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string source = mutate(seeds[i % seeds.size()], rng);
    const auto& c = cases[static_cast<size_t>(i) % cases.size()];
    try {
      ChatTemplate tpl(source);
      ++parsed;
      tpl.render(chat_template_context(c["messages"], {{"bos_token", "<s>"}, {"eos_token", "</s>"}}, c["kwargs"]),
                 options);
      ++rendered;
    } catch (const ChatTemplateError&) {
      // expected for most mutations
    } catch (const std::exception& e) {
      ADD_FAILURE() << "unexpected exception type: " << e.what() << "\ntemplate:\n" << source;
    }
  }
  // The mutations are mild enough that many templates still work: the test exercises rendering too.
  EXPECT_GT(parsed, 300);
  EXPECT_GT(rendered, 100);
}

}  // namespace
}  // namespace hearth
