// Hearthfile syntax: instructions, quoting, parameters, and errors with line numbers.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/hearthfile.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::store {
namespace {

TEST(Hearthfile, ParsesEveryInstruction) {
  test::TempDir tmp;
  std::filesystem::create_directory(tmp / "model");
  Hearthfile hf = parse_hearthfile(
      "# a comment\n"
      "from ./model\n"
      "\n"
      "TEMPLATE \"\"\"{% for m in messages %}\n{{ m.content }}{% endfor %}\"\"\"\n"
      "SYSTEM \"Say \\\"hi\\\"\\nthen stop\"\n"
      "PARAMETER temperature 0.6\n"
      "PARAMETER top_k 20\n"
      "PARAMETER stop \"<|im_end|>\"\n"
      "PARAMETER stop <|endoftext|>\n"
      "LICENSE \"\"\"MIT\"\"\"\r\n"
      "LICENSE Apache-2.0\n",
      tmp.path());
  EXPECT_EQ(hf.from, "./model");
  EXPECT_EQ(hf.from_path, tmp.path() / "model");
  EXPECT_EQ(*hf.chat_template, "{% for m in messages %}\n{{ m.content }}{% endfor %}");
  EXPECT_EQ(*hf.system, "Say \"hi\"\nthen stop");
  EXPECT_DOUBLE_EQ(hf.parameters["temperature"].get<double>(), 0.6);
  EXPECT_EQ(hf.parameters["top_k"].get<int>(), 20);
  EXPECT_EQ(hf.parameters["stop"], nlohmann::json::array({"<|im_end|>", "<|endoftext|>"}));
  EXPECT_EQ(hf.licenses, (std::vector<std::string>{"MIT", "Apache-2.0"}));
}

TEST(Hearthfile, FromANameKeepsNoPath) {
  Hearthfile hf = parse_hearthfile("FROM qwen3:30b-a3b\n", "/nonexistent");
  EXPECT_EQ(hf.from, "qwen3:30b-a3b");
  EXPECT_TRUE(hf.from_path.empty());
}

TEST(Hearthfile, ErrorsNameTheLine) {
  auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_hearthfile(text, "/");
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(error_of("FROM x\nFROB y\n"),
            "Hearthfile line 2: unknown instruction 'FROB' (FROM, TEMPLATE, SYSTEM, PARAMETER, LICENSE)");
  EXPECT_EQ(error_of("SYSTEM hi\n"), "Hearthfile has no FROM line");
  EXPECT_EQ(error_of("FROM x\nFROM y\n"), "Hearthfile line 2: FROM given twice");
  EXPECT_EQ(error_of("FROM x\nPARAMETER warmth 3\n"), "Hearthfile line 2: unknown parameter 'warmth'");
  EXPECT_EQ(error_of("FROM x\nPARAMETER top_k 2.5\n"), "Hearthfile line 2: top_k must be an integer, not '2.5'");
  EXPECT_EQ(error_of("FROM x\nPARAMETER temperature hot\n"),
            "Hearthfile line 2: temperature must be a number, not 'hot'");
  EXPECT_EQ(error_of("FROM x\n\nTEMPLATE \"\"\"never closed\n"), "Hearthfile line 3: unterminated \"\"\" block");
  EXPECT_EQ(error_of("FROM x\nSYSTEM \"open\n"), "Hearthfile line 2: unterminated string");
  EXPECT_EQ(error_of("FROM x\nSYSTEM \"a\" trailing\n"), "Hearthfile line 2: unexpected text after the value");
  EXPECT_EQ(error_of("FROM x\nADAPTER ./lora.gguf\n"), "Hearthfile line 2: ADAPTER is not supported by Hearth");
  EXPECT_EQ(error_of("TEMPLATE \"\"\"a\nb\nc\"\"\"\nBAD\n"),
            "Hearthfile line 4: unknown instruction 'BAD' (FROM, TEMPLATE, SYSTEM, PARAMETER, LICENSE)");
}

}  // namespace
}  // namespace hearth::store
