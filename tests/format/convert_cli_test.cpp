// `hearth convert` from the command line: success writes a loadable file and keeps stdout empty;
// bad arguments give one "error: ..." line and exit code 1.
#include <gtest/gtest.h>

#include <filesystem>

#include "format/gguf_reader.h"
#include "test_support.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using test::run_hearth;
using test::shell_quote;
using test::TempDir;

fs::path model_dir(const std::string& model) { return test::shared_dir() / "models" / model; }

TEST(ConvertCli, WritesAGguf) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  const fs::path out = dir / "qwen3.gguf";
  auto r = run_hearth("convert " + shell_quote(model_dir("qwen3-tiny").string()) + " -o " + shell_quote(out.string()) +
                      " --type f16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("token_embd.weight"), std::string::npos) << r.err;  // progress on stderr
  GgufFile f(out.string());
  EXPECT_EQ(f.get_string("general.architecture"), "qwen3");
  EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->dtype, DType::F16);
}

TEST(ConvertCli, RefusesBadArguments) {
  HEARTH_REQUIRE_SHARED();
  TempDir dir;
  const std::string model = shell_quote(model_dir("qwen3-tiny").string());
  const std::string out = shell_quote((dir / "x.gguf").string());
  auto bad_type = run_hearth("convert " + model + " -o " + out + " --type q3_k_xl");
  EXPECT_EQ(bad_type.exit_code, 1);
  EXPECT_EQ(bad_type.err,
            "error: unsupported --type 'q3_k_xl' (expected one of: f32, f16, bf16, q8_0, q4_0, q4_k_s, q4_k_m, q5_k_m, "
            "q6_k)\n");
  auto missing = run_hearth("convert " + shell_quote((dir / "none").string()) + " -o " + out);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u) << missing.err;
  EXPECT_NE(missing.err.find("not a folder"), std::string::npos) << missing.err;
  auto no_output = run_hearth("convert " + model);
  EXPECT_NE(no_output.exit_code, 0);
  EXPECT_FALSE(fs::exists(dir / "x.gguf"));
}

}  // namespace
}  // namespace hearth
