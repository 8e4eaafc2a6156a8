// `hearth logits` end to end: the JSON contract of DESIGN.md section 5 against the reference, the
// --dump-last file, and its error messages.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reference_data.h"
#include "test_support.h"

namespace hearth::test {
namespace {

std::string join_ids(const std::vector<std::int32_t>& ids) {
  std::string s;
  for (auto id : ids) {
    if (!s.empty()) s += ',';
    s += std::to_string(id);
  }
  return s;
}

std::string model_arg(const std::string& name) { return shell_quote((shared_dir() / "models" / name).string()); }

TEST(LogitsCommand, PrintsTopLogitsAndGreedyContinuation) {
  HEARTH_REQUIRE_SHARED();
  const Reference ref = load_reference(shared_dir() / "reference", "qwen3moe-tiny");
  const ReferencePrompt& p = ref.prompts[6];  // chat-multi-turn
  TempDir tmp;
  auto dump = tmp / "last.f32";
  auto r = run_hearth("logits " + model_arg("qwen3moe-tiny") + " --ids " + join_ids(p.ids) + " --greedy 24 -t 2" +
                      " --dump-last " + shell_quote(dump.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["positions"].size(), p.ids.size());
  for (std::size_t t = 0; t < p.ids.size(); ++t) {
    const auto& top = j["positions"][t]["top"];
    ASSERT_EQ(top.size(), 10u);
    // A logits row holding just the listed entries is enough for the top-10 check.
    std::vector<float> row(static_cast<std::size_t>(ref.vocab_size), -1e30f);
    for (const auto& e : top) row[e[0].get<std::size_t>()] = e[1].get<float>();
    EXPECT_EQ(check_topk(row, p.topk_ids[t], p.topk_logits[t], kF32Tolerance), "") << "position " << t;
  }
  EXPECT_EQ(j["greedy"].get<std::vector<std::int32_t>>(), p.greedy);

  std::ifstream in(dump, std::ios::binary);
  std::vector<float> last(static_cast<std::size_t>(ref.vocab_size));
  in.read(reinterpret_cast<char*>(last.data()), static_cast<std::streamsize>(last.size() * sizeof(float)));
  ASSERT_TRUE(in.good());
  in.get();
  EXPECT_TRUE(in.eof()) << "dump is longer than one row of logits";
  EXPECT_LE(relative_error(last, ref.last(6)), kF32Tolerance);
}

TEST(LogitsCommand, TopAndGreedyOptions) {
  HEARTH_REQUIRE_SHARED();
  auto r = run_hearth("logits " + model_arg("qwen2-tiny") + " --ids 785,6722 --top 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["positions"].size(), 2u);
  EXPECT_EQ(j["positions"][1]["top"].size(), 3u);
  EXPECT_TRUE(j["greedy"].is_array());
  EXPECT_TRUE(j["greedy"].empty());
}

TEST(LogitsCommand, BadInputGivesOneLineErrors) {
  HEARTH_REQUIRE_SHARED();
  const std::string m = model_arg("qwen3-tiny");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"--ids 1,x", "error: --ids: 'x' is not a token id\n"},
      {"--ids ''", "error: --ids: no token ids given\n"},
      {"--ids 1,,2", "error: --ids: empty item in '1,,2' (expected comma-separated token ids)\n"},
      {"--ids 151936", "error: --ids: token id 151936 is outside the vocabulary (0..151935)\n"},
      {"--ids 1,2 --greedy 4096",
       "error: 2 input ids plus 4096 greedy tokens need 4097 positions, more than the model's context length of "
       "4096\n"},
  };
  for (const auto& c : cases) {
    auto r = run_hearth("logits " + m + " " + c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, c.message) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
  auto r = run_hearth("logits /nonexistent/model --ids 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hearth::test
