// `hearth run` end to end: greedy text equals the reference continuation decoded by the tokenizer, chat
// mode renders the template, bad input gives one-line errors.
#include <gtest/gtest.h>

#include "reference_data.h"
#include "test_support.h"
#include "format/model_files.h"
#include "tokenizer/tokenizer_loader.h"

namespace hearth::test {
namespace {

std::string model_arg(const std::string& name) { return shell_quote((shared_dir() / "models" / name).string()); }

TEST(RunCommand, GreedyTextMatchesTheReferenceContinuation) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3-tiny");
  const ReferencePrompt& p = ref.prompts[0];  // "capital", raw text
  // As `hearth run` loads it: ids past the tokenizer's table (the padded embedding rows) are valid.
  auto tokenizer = load_tokenizer(open_model_files((shared_dir() / "models" / "qwen3-tiny").string(), false));
  const std::string prompt = tokenizer->decode(p.ids);
  ASSERT_EQ(tokenizer->encode(prompt), p.ids);
  auto r = run_hearth("run " + model_arg("qwen3-tiny") + " -p " + shell_quote(prompt) + " -n 24 --temp 0 -t 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // None of the 24 reference tokens ends generation; ids past the tokenizer's table decode to nothing.
  EXPECT_EQ(r.out, tokenizer->decode(p.greedy, /*skip_special=*/true) + "\n");
  EXPECT_NE(r.err.find("24 generated"), std::string::npos) << r.err;
}

TEST(RunCommand, ChatModeAndSampling) {
  HEARTH_REQUIRE_SHARED();
  const std::string base =
      "run " + model_arg("qwen3moe-tiny") + " --chat --no-think --system 'Be brief.' -p 'Hi' -n 5 -q";
  auto a = run_hearth(base + " --seed 7 --temp 0.8 --top-k 40 --top-p 0.9 --min-p 0.01 --repeat-penalty 1.1");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.err, "");
  auto b = run_hearth(base + " --seed 7 --temp 0.8 --top-k 40 --top-p 0.9 --min-p 0.01 --repeat-penalty 1.1");
  EXPECT_EQ(a.out, b.out);  // same seed, same text
}

TEST(RunCommand, BadInputGivesOneLineErrors) {
  HEARTH_REQUIRE_SHARED();
  const std::string m = model_arg("qwen3-tiny");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"-p ''", "error: the prompt is empty\n"},
      {"-p hi --system x", "error: --system and --no-think need --chat\n"},
      {"-p hi --top-p 0", "error: top_p must be in (0, 1], got 0\n"},
      {"-p hi --temp -1", "error: temperature must be >= 0, got -1\n"},
  };
  for (const auto& c : cases) {
    auto r = run_hearth("run " + m + " " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.message) << c.args;
  }
}

}  // namespace
}  // namespace hearth::test
