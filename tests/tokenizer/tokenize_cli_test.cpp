// hearth tokenize / detokenize: JSON on stdout, one-line errors, exit codes (DESIGN.md section 5).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

#include "test_support.h"
#include "tokenizer_test_data.h"

namespace hearth {
namespace {

using nlohmann::json;
using test::ids_of;
using test::run_hearth;
using test::shell_quote;

std::string model() { return shell_quote(test::qwen_model_dir()); }

json stdout_json(const test::CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

void expect_one_line_error(const test::CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(TokenizeCli, TextToIds) {
  HEARTH_REQUIRE_SHARED();
  const auto r = run_hearth("tokenize " + model() + " --text 'Hello world'");
  EXPECT_EQ(stdout_json(r), json::parse(R"({"ids":[9707,1879]})"));
  EXPECT_EQ(r.out, "{\"ids\":[9707,1879]}\n");
}

TEST(TokenizeCli, SpecialTokensUnlessNoSpecial) {
  HEARTH_REQUIRE_SHARED();
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    const std::string text = c["text"].get<std::string>();
    if (text.find("<|im_start|>") == std::string::npos) continue;
    EXPECT_EQ(ids_of(stdout_json(run_hearth("tokenize " + model() + " --text " + shell_quote(text)))["ids"]),
              ids_of(c["ids"]));
    const json plain = stdout_json(run_hearth("tokenize " + model() + " --no-special --text " + shell_quote(text)));
    for (const auto& id : plain["ids"]) EXPECT_NE(id.get<int>(), 151644);
  }
}

TEST(TokenizeCli, EmptyTextAndFileInput) {
  HEARTH_REQUIRE_SHARED();
  EXPECT_EQ(run_hearth("tokenize " + model() + " --text ''").out, "{\"ids\":[]}\n");
  // A reference text with newlines, tabs and trailing spaces, read from a file.
  test::TempDir dir;
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    const std::string text = c["text"].get<std::string>();
    if (text.find('\t') == std::string::npos) continue;
    std::ofstream(dir / "input.txt", std::ios::binary) << text;
    const auto r = run_hearth("tokenize " + model() + " --file " + shell_quote((dir / "input.txt").string()));
    EXPECT_EQ(ids_of(stdout_json(r)["ids"]), ids_of(c["ids"]));
  }
}

TEST(TokenizeCli, IdsToText) {
  HEARTH_REQUIRE_SHARED();
  // The library suite checks every case; here the ones that exercise JSON escaping and UTF-8
  // (special tokens, CJK, emoji, NFC, control characters).
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    const std::string text = c["text"].get<std::string>();
    const bool interesting = text.find("<|") != std::string::npos || text.find('\r') != std::string::npos ||
                             std::any_of(text.begin(), text.end(), [](char ch) { return ch & 0x80; });
    if (!interesting) continue;
    std::string list;
    for (const auto& id : c["ids"]) list += (list.empty() ? "" : ",") + std::to_string(id.get<int>());
    const auto r = run_hearth("detokenize " + model() + " --ids " + shell_quote(list));
    EXPECT_EQ(stdout_json(r)["text"].get<std::string>(), c["decoded"].get<std::string>());
  }
  // Padding rows of the embedding decode to nothing.
  EXPECT_EQ(run_hearth("detokenize " + model() + " --ids 9707,151700,1879").out, "{\"text\":\"Hello world\"}\n");
  EXPECT_EQ(run_hearth("detokenize " + model() + " --ids ''").out, "{\"text\":\"\"}\n");
}

TEST(TokenizeCli, BadInputIsAOneLineError) {
  HEARTH_REQUIRE_SHARED();
  expect_one_line_error(run_hearth("detokenize " + model() + " --ids 9707,151936"), "151936");
  expect_one_line_error(run_hearth("detokenize " + model() + " --ids 1,-3"), "-3");
  expect_one_line_error(run_hearth("detokenize " + model() + " --ids 1,abc"), "abc");
  expect_one_line_error(run_hearth("detokenize " + model() + " --ids 99999999999999999999"), "99999999999999999999");
  expect_one_line_error(run_hearth("tokenize /nonexistent/model --text hi"), "/nonexistent/model");
  expect_one_line_error(run_hearth("tokenize " + model()), "--text");
  expect_one_line_error(run_hearth("tokenize " + model() + " --file /nonexistent/input.txt"), "/nonexistent/input.txt");
}

// The same commands on the GGUF that `hearth convert` writes from the tiny model.
TEST(TokenizeCli, ConvertedGgufModel) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const std::string gguf = shell_quote((dir / "tiny.gguf").string());
  const auto converted = run_hearth("convert " + model() + " -o " + gguf + " --type bf16 -q");
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  for (const auto& c : test::tokenizer_reference()["texts"]) {
    const std::string text = c["text"].get<std::string>();
    if (text.find("<|im_start|>") == std::string::npos && text.find("\xCC\x81") == std::string::npos) continue;
    EXPECT_EQ(ids_of(stdout_json(run_hearth("tokenize " + gguf + " --text " + shell_quote(text)))["ids"]),
              ids_of(c["ids"]));
  }
  EXPECT_EQ(run_hearth("detokenize " + gguf + " --ids 9707,151700,1879").out, "{\"text\":\"Hello world\"}\n");
  expect_one_line_error(run_hearth("detokenize " + gguf + " --ids 151936"), "151936");
}

}  // namespace
}  // namespace hearth
