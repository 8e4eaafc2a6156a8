#pragma once
// Helpers for the store's integration tests: a real registry (Debian's docker-registry, the CNCF
// distribution server) on 127.0.0.1 with its storage in a temporary folder, and hearth runs with
// their own environment.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace hearth::test {

namespace fs = std::filesystem;

// The docker-registry binary ("" when not installed). HEARTH_DOCKER_REGISTRY overrides the search.
std::string docker_registry_binary();

// Skips the current test with a clear message when docker-registry is not installed.
#define HEARTH_REQUIRE_DOCKER_REGISTRY()                                                                     \
  do {                                                                                                       \
    if (::hearth::test::docker_registry_binary().empty())                                                    \
      GTEST_SKIP() << "docker-registry is not installed (apt-get install -y docker-registry); skipping the " \
                      "registry integration test";                                                           \
  } while (0)

class LocalRegistry {
 public:
  // With `user`, the registry requires HTTP Basic authentication (htpasswd, bcrypt).
  explicit LocalRegistry(const std::string& user = "", const std::string& password = "");
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  fs::path storage() const { return dir_.path() / "data"; }
  // The registry's file for a blob ("sha256:…").
  fs::path blob_file(const std::string& digest) const;
  std::string log() const;
  // Bytes the registry sent in answers to blob GETs, from its access log (lines after `from_line`).
  std::uint64_t blob_bytes_sent(std::size_t from_line = 0) const;
  std::size_t blob_gets(std::size_t from_line = 0) const;
  std::size_t log_lines() const;
  // Waits until the log has not grown for half a second (requests cut off by a killed client are
  // logged when the registry notices), at most 15 s.
  void wait_for_quiet_log() const;

 private:
  TempDir dir_;
  std::string address_;
  pid_t pid_ = -1;
};

// A port on 127.0.0.1 with nothing listening (bound, then released).
int unused_port();

// Runs hearth with extra environment variables; stdin is /dev/null.
CommandResult run_hearth_env(const std::map<std::string, std::string>& env, const std::string& args);

// A hearth process running in the background, its stdout read line by line.
class HearthProcess {
 public:
  HearthProcess(const std::map<std::string, std::string>& env, const std::vector<std::string>& args);
  ~HearthProcess();
  // Next stdout line; false at end of output.
  bool read_line(std::string& line);
  void kill9();
  int wait();  // exit code, or 128 + signal

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  bool waited_ = false;
  int status_ = 0;
};

std::string read_bytes(const fs::path& p);
// SHA-256 hex by coreutils' sha256sum: an implementation independent of Hearth's.
std::string coreutils_sha256(const fs::path& p);
// Parameter counts read from a safetensors header (8-byte length + JSON) of a reference model:
// all tensors, and only the per-expert tensors (".experts." in their names).
std::uint64_t safetensors_params(const fs::path& file);
std::uint64_t safetensors_expert_params(const fs::path& file);

// Checks that `r` failed with exit code 1 and exactly one stderr line "error: …" containing `needle`.
void expect_one_line_error(const CommandResult& r, const std::string& needle);

// Lines of `text` that are not empty.
std::vector<std::string> nonempty_lines(const std::string& text);

}  // namespace hearth::test
