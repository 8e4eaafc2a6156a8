#pragma once
// Helpers shared by test suites: where ../shared is, temporary folders, running the CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hearth::test {

// The shared reference folder (HEARTH_SHARED, else the configured default).
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("HEARTH_SHARED"); env && *env) return env;
  return HEARTH_DEFAULT_SHARED;
}

// Skips the current test with a clear message when ../shared is not available.
#define HEARTH_REQUIRE_SHARED()                                                              \
  do {                                                                                       \
    if (!std::filesystem::exists(::hearth::test::shared_dir() / "models")) {                 \
      GTEST_SKIP() << "shared reference data not found at " << ::hearth::test::shared_dir() \
                   << " (set HEARTH_SHARED)";                                                \
    }                                                                                        \
  } while (0)

// A fresh temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a /bin/sh command line (already quoted) with no standard input and captures its output.
CommandResult run_shell(const std::string& command);
// Runs the hearth binary with `args` (already shell-quoted) and captures its output.
CommandResult run_hearth(const std::string& args);
// Single-quotes a string for /bin/sh.
std::string shell_quote(const std::string& s);

}  // namespace hearth::test
