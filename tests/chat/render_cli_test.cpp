// hearth render: the prompt on stdout byte for byte, errors as one line on stderr.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_support.h"

namespace hearth {
namespace {

using nlohmann::ordered_json;
using test::run_hearth;
using test::shell_quote;

std::string model() { return shell_quote((test::shared_dir() / "models/qwen3-tiny").string()); }

ordered_json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return ordered_json::parse(in);
}

std::string write_file(const test::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return shell_quote((dir / name).string());
}

void expect_one_line_error(const test::CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: " + message + "\n");
}

TEST(RenderCli, Qwen3ReferenceChats) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const ordered_json ref = load_json(test::shared_dir() / "reference/tokenizer.json");
  for (const auto& chat : ref["chats"]) {
    SCOPED_TRACE(chat["name"].get<std::string>());
    // Tools travel in --kwargs here; the messages file is a plain array.
    const std::string messages = write_file(dir, "messages.json", chat["messages"].dump());
    const auto r =
        run_hearth("render " + model() + " --messages " + messages + " --kwargs " + shell_quote(chat["kwargs"].dump()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, chat["rendered"].get<std::string>());
    EXPECT_EQ(r.err, "");
  }
}

// The template and special tokens also come from a GGUF file (here the one `hearth convert` writes).
TEST(RenderCli, GgufModel) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const std::string gguf = shell_quote((dir / "qwen3-tiny.gguf").string());
  const auto convert = run_hearth("convert " + model() + " -o " + gguf + " --type f32");
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const ordered_json ref = load_json(test::shared_dir() / "reference/tokenizer.json");
  for (const auto& chat : ref["chats"]) {
    SCOPED_TRACE(chat["name"].get<std::string>());
    const std::string messages = write_file(dir, "messages.json", chat["messages"].dump());
    const auto r =
        run_hearth("render " + gguf + " --messages " + messages + " --kwargs " + shell_quote(chat["kwargs"].dump()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, chat["rendered"].get<std::string>());
  }
}

TEST(RenderCli, MessagesObjectWithToolsAndOtherTemplates) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const ordered_json ref = load_json(test::shared_dir() / "reference/templates.json");
  for (const auto& t : ref["templates"]) {
    const std::string tpl = write_file(dir, "template.jinja", t["template"].get<std::string>());
    for (const auto& c : t["cases"]) {
      SCOPED_TRACE(t["name"].get<std::string>() + " / " + c["name"].get<std::string>());
      // {"messages": [...], "tools": [...]} form; the other kwargs and the template's specials via --kwargs.
      ordered_json file = {{"messages", c["messages"]}};
      ordered_json kwargs = c["kwargs"];
      if (kwargs.contains("tools")) {
        file["tools"] = kwargs["tools"];
        kwargs.erase("tools");
      }
      for (const auto& [k, v] : t["specials"].items()) kwargs[k] = v;
      const auto r = run_hearth("render " + model() + " --messages " + write_file(dir, "m.json", file.dump()) +
                                " --template " + tpl + " --kwargs " + shell_quote(kwargs.dump()));
      if (c.contains("rendered")) {
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, c["rendered"].get<std::string>());
      } else {
        std::string error = c["error"].get<std::string>();
        expect_one_line_error(r, error.substr(error.find(": ") + 2));
      }
    }
  }
}

TEST(RenderCli, BadInputIsOneLineError) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const std::string messages = write_file(dir, "m.json", R"([{"role":"user","content":"hi"}])");
  auto expect_error_containing = [](const test::CommandResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  };
  expect_error_containing(run_hearth("render " + model() + " --messages " + write_file(dir, "bad.json", "[{")),
                          "not valid JSON");
  expect_error_containing(run_hearth("render " + model() + " --messages " + write_file(dir, "obj.json", "{\"x\":1}")),
                          "expected a JSON array of messages or an object with \"messages\"");
  expect_error_containing(run_hearth("render " + model() + " --messages " + messages + " --kwargs '[1]'"),
                          "--kwargs must be a JSON object");
  expect_error_containing(
      run_hearth("render " + model() + " --messages " + shell_quote((dir / "missing.json").string())), "missing.json");
  expect_one_line_error(run_hearth("render " + model() + " --messages " + messages + " --template " +
                                   write_file(dir, "syntax.jinja", "ok\n{% foo %}")),
                        "chat template line 2: unknown tag 'foo'");
  expect_one_line_error(run_hearth("render " + model() + " --messages " + messages + " --template " +
                                   write_file(dir, "unsupported.jinja", "{{ messages[0].content|wordwrap(3) }}")),
                        "chat template line 1: unsupported filter 'wordwrap'");
  expect_one_line_error(run_hearth("render " + model() + " --messages " + messages + " --template " +
                                   write_file(dir, "raise.jinja",
                                              "{{ raise_exception('Only user and assistant roles are supported!') }}")),
                        "Only user and assistant roles are supported!");
  // A model folder without a chat template.
  const auto bare = dir / "bare-model";
  std::filesystem::create_directory(bare);
  std::filesystem::copy_file(test::shared_dir() / "models/qwen3-tiny/config.json", bare / "config.json");
  expect_error_containing(run_hearth("render " + shell_quote(bare.string()) + " --messages " + messages),
                          "the model has no chat template (give one with --template FILE.jinja)");
}

TEST(RenderCli, SpecialTokensAreVariablesAndKwargsOverrideThem) {
  HEARTH_REQUIRE_SHARED();
  test::TempDir dir;
  const std::string messages = write_file(dir, "m.json", "[]");
  const std::string tpl = write_file(dir, "t.jinja", "[{{ bos_token }}|{{ eos_token }}|{{ pad_token }}]");
  auto r = run_hearth("render " + model() + " --messages " + messages + " --template " + tpl);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[|<|im_end|>|<|endoftext|>]");  // bos_token is null for Qwen3: undefined, prints nothing
  r = run_hearth("render " + model() + " --messages " + messages + " --template " + tpl +
                 " --kwargs '{\"eos_token\":\"</s>\",\"bos_token\":\"<s>\"}'");
  EXPECT_EQ(r.out, "[<s>|</s>|<|endoftext|>]");
}

}  // namespace
}  // namespace hearth
