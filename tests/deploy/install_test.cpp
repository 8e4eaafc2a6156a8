// install.sh into a temporary prefix (no systemd): it builds Hearth, installs a working binary, upgrades in
// place when run again, and uninstalls.
#include <unistd.h>
#include <cstdlib>

#include <string>

#include <gtest/gtest.h>

#include "test_support.h"

namespace hearth::test {
namespace {

namespace fs = std::filesystem;

// install.sh builds in this test's own build folder (incrementally: seconds, as an upgrade does), or from
// scratch in a temporary folder when HEARTH_TEST_INSTALL_FRESH_BUILD=1 (what a first install does; minutes).
fs::path build_dir(const fs::path& tmp) {
  const char* fresh = std::getenv("HEARTH_TEST_INSTALL_FRESH_BUILD");
  if (fresh != nullptr && std::string(fresh) == "1") return tmp / "build";
  return HEARTH_BUILD_DIR;
}

TEST(InstallScript, InstallsAWorkingHearthIntoAPrefixAndUpgradesAndUninstalls) {
  TempDir tmp;
  fs::path prefix = tmp / "prefix";
  std::string script = shell_quote((fs::path(HEARTH_SOURCE_DIR) / "deploy" / "install.sh").string());
  // Installing packages needs root; elsewhere the dependencies must already be there.
  std::string deps = ::geteuid() == 0 ? "" : " --skip-deps";
  std::string install = "bash " + script + " --no-systemd --jobs 2 --prefix " + shell_quote(prefix.string()) +
                        " --build-dir " + shell_quote(build_dir(tmp.path()).string()) + deps;
  CommandResult r = run_shell(install);
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0);
  fs::path hearth = prefix / "bin" / "hearth";
  ASSERT_TRUE(fs::exists(hearth));
  EXPECT_TRUE(fs::exists(prefix / "share/hearth/config.yaml.example"));
  EXPECT_FALSE(fs::exists(tmp / "etc"));

  // The installed binary works on its own: version, an empty store, a model's metadata.
  CommandResult v = run_shell(shell_quote(hearth.string()) + " --version");
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("hearth"), std::string::npos);
  std::string env = "HEARTH_MODELS=" + shell_quote((tmp / "models").string()) + " ";
  CommandResult list = run_shell(env + shell_quote(hearth.string()) + " list --json");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "{\"models\":[]}\n");
  if (fs::exists(shared_dir() / "models/qwen3-tiny")) {
    CommandResult show = run_shell(env + shell_quote(hearth.string()) + " show --json " +
                                   shell_quote((shared_dir() / "models/qwen3-tiny").string()));
    EXPECT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("\"architecture\":\"qwen3\""), std::string::npos) << show.out;
  }

  // Running it again upgrades in place (the build is incremental) and leaves a working binary.
  CommandResult again = run_shell(install);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(run_shell(shell_quote(hearth.string()) + " --version").exit_code, 0);

  CommandResult un = run_shell("bash " + script + " --uninstall --no-systemd --prefix " + shell_quote(prefix.string()));
  EXPECT_EQ(un.exit_code, 0) << un.err;
  EXPECT_FALSE(fs::exists(hearth));
  EXPECT_FALSE(fs::exists(prefix / "share/hearth"));
}

}  // namespace
}  // namespace hearth::test
