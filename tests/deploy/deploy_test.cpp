// deploy/: the systemd unit passes systemd-analyze, the example config is what the server's own
// config loader accepts, and install.sh refuses bad options with one line.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::test {
namespace {

namespace fs = std::filesystem;

fs::path deploy_dir() { return fs::path(HEARTH_SOURCE_DIR) / "deploy"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SystemdUnit, SystemdAnalyzeVerifyAcceptsIt) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "systemd-analyze is not installed (apt-get install -y systemd)";
  // As install.sh does: ExecStart points at the installed binary (here: the one just built).
  TempDir tmp;
  std::string unit = slurp(deploy_dir() / "hearth.service");
  std::string rewritten =
      std::regex_replace(unit, std::regex("^ExecStart=/usr/local/bin/hearth ", std::regex::multiline),
                         "ExecStart=" + std::string(HEARTH_BINARY) + " ");
  ASSERT_NE(rewritten, unit) << "hearth.service has no ExecStart=/usr/local/bin/hearth line";
  std::ofstream(tmp / "hearth.service") << rewritten;
  CommandResult r = run_shell("systemd-analyze verify " + shell_quote((tmp / "hearth.service").string()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ((r.out + r.err).find("hearth.service"), std::string::npos) << r.out << r.err;
  // The unmodified unit names a binary that is not installed here: verify must notice (the check is real).
  CommandResult original =
      run_shell("systemd-analyze verify " + shell_quote((deploy_dir() / "hearth.service").string()));
  if (!fs::exists("/usr/local/bin/hearth")) {
    EXPECT_NE(original.exit_code, 0);
  }
}

TEST(ExampleConfig, TheServerConfigLoaderAcceptsIt) {
  std::string text = slurp(deploy_dir() / "config.yaml");
  config::Config c = config::parse_config_yaml(text, "deploy/config.yaml");
  EXPECT_EQ(c.engine.max_batch_tokens, 4096);
  EXPECT_EQ(c.engine.precision, "fp16");
  EXPECT_DOUBLE_EQ(c.engine.gpu_memory, 0.8);
  EXPECT_EQ(c.server.port, 11434);
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_TRUE(c.prompt_template.empty());  // the model's own template by default

  // The commented examples are valid too once a user uncomments them.
  std::string uncommented =
      std::regex_replace(text, std::regex("^# (model:|prompt_template:)", std::regex::multiline), "$1");
  uncommented = std::regex_replace(uncommented, std::regex("^#   ", std::regex::multiline), "  ");
  uncommented =
      std::regex_replace(uncommented, std::regex("^  # (api_keys|cors_origins)", std::regex::multiline), "  $1");
  config::Config u = config::parse_config_yaml(uncommented, "deploy/config.yaml (uncommented)");
  EXPECT_EQ(u.model, "qwen3:30b-a3b");
  EXPECT_EQ(u.prompt_template, "<|im_start|>user\n{{input}}<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(u.server.api_keys, std::vector<std::string>{"change-me"});
}

TEST(InstallScript, RefusesBadOptionsWithOneLine) {
  std::string script = shell_quote((deploy_dir() / "install.sh").string());
  for (const char* args : {"--bogus", "--purge", "--jobs x", "--prefix"}) {
    CommandResult r = run_shell("bash " + script + " " + args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
  CommandResult help = run_shell("bash " + script + " --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--no-systemd"), std::string::npos) << help.out;
}

TEST(InstallScript, UninstallOfNothingSucceeds) {
  TempDir tmp;
  CommandResult r = run_shell("bash " + shell_quote((deploy_dir() / "install.sh").string()) +
                              " --uninstall --no-systemd --prefix " + shell_quote((tmp / "prefix").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace hearth::test
