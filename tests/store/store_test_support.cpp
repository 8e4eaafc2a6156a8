#include "store_test_support.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hearth::test {
namespace {

bool can_connect(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

std::string bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt)) throw std::runtime_error("crypt_gensalt failed");
  crypt_data data{};
  const char* h = crypt_r(password.c_str(), salt, &data);
  if (!h || h[0] == '*') throw std::runtime_error("bcrypt is not available in libcrypt");
  return h;
}

}  // namespace

std::string docker_registry_binary() {
  if (const char* env = std::getenv("HEARTH_DOCKER_REGISTRY"); env && *env) return ::access(env, X_OK) == 0 ? env : "";
  for (const char* p : {"/usr/bin/docker-registry", "/usr/local/bin/docker-registry", "/usr/bin/registry"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

int unused_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

LocalRegistry::LocalRegistry(const std::string& user, const std::string& password) {
  std::string binary = docker_registry_binary();
  if (binary.empty()) throw std::runtime_error("docker-registry is not installed");
  if (!user.empty()) std::ofstream(dir_ / "htpasswd") << user << ":" << bcrypt(password) << "\n";
  // The port is chosen now; another process may take it before the registry binds, so retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = unused_port();
    address_ = "127.0.0.1:" + std::to_string(port);
    {
      std::ofstream cfg(dir_ / "config.yml");
      cfg << "version: 0.1\n"
          << "log:\n  level: info\n  accesslog:\n    disabled: false\n"
          << "storage:\n  filesystem:\n    rootdirectory: " << storage().string() << "\n  delete:\n    enabled: true\n"
          << "http:\n  addr: " << address_ << "\n";
      if (!user.empty())
        cfg << "auth:\n  htpasswd:\n    realm: hearth-test\n    path: " << (dir_ / "htpasswd").string() << "\n";
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((dir_ / "registry.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      ::execl(binary.c_str(), binary.c_str(), "serve", (dir_ / "config.yml").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      if (can_connect(port)) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // exited: probably lost the port race
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  throw std::runtime_error("docker-registry did not start; log:\n" + log());
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

fs::path LocalRegistry::blob_file(const std::string& digest) const {
  std::string hex = digest.substr(7);
  return storage() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

std::string LocalRegistry::log() const { return read_bytes(dir_.path() / "registry.log"); }

std::size_t LocalRegistry::log_lines() const {
  std::string l = log();
  return static_cast<std::size_t>(std::count(l.begin(), l.end(), '\n'));
}

void LocalRegistry::wait_for_quiet_log() const {
  std::size_t size = log().size();
  int quiet_ms = 0;
  for (int waited = 0; waited < 15000 && quiet_ms < 500; waited += 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::size_t now = log().size();
    quiet_ms = now == size ? quiet_ms + 100 : 0;
    size = now;
  }
}

namespace {
// Access-log lines: 127.0.0.1 - - [date] "GET /v2/x/blobs/sha256:… HTTP/1.1" 206 1234 "" "hearth/0.1.0"
template <typename F>
void for_each_blob_get(const std::string& log, std::size_t from_line, F f) {
  static const std::regex re(R"re("GET /v2/\S+/blobs/sha256:[0-9a-f]{64} HTTP/[0-9.]+" (\d{3}) (\d+))re");
  std::istringstream in(log);
  std::string line;
  for (std::size_t n = 0; std::getline(in, line); ++n) {
    if (n < from_line) continue;
    std::smatch m;
    if (std::regex_search(line, m, re)) f(std::stoi(m[1]), std::stoull(m[2]));
  }
}
}  // namespace

std::uint64_t LocalRegistry::blob_bytes_sent(std::size_t from_line) const {
  std::uint64_t total = 0;
  for_each_blob_get(log(), from_line, [&](int, std::uint64_t bytes) { total += bytes; });
  return total;
}

std::size_t LocalRegistry::blob_gets(std::size_t from_line) const {
  std::size_t n = 0;
  for_each_blob_get(log(), from_line, [&](int, std::uint64_t) { ++n; });
  return n;
}

CommandResult run_hearth_env(const std::map<std::string, std::string>& env, const std::string& args) {
  std::string prefix = "env";
  for (const auto& [k, v] : env) prefix += " " + k + "=" + shell_quote(v);
  // run_hearth prepends the binary; "env K=V" must come first, so build the command here.
  TempDir tmp;
  std::string cmd = prefix + " " + shell_quote(HEARTH_BINARY) + " " + args + " >" +
                    shell_quote((tmp / "out").string()) + " 2>" + shell_quote((tmp / "err").string()) + " </dev/null";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_bytes(tmp / "out");
  r.err = read_bytes(tmp / "err");
  return r;
}

HearthProcess::HearthProcess(const std::map<std::string, std::string>& env, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], 1);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 2);
    ::close(fds[0]);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string bin = HEARTH_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
}

HearthProcess::~HearthProcess() {
  if (!waited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool HearthProcess::read_line(std::string& line) {
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return true;
    }
    char buf[4096];
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

void HearthProcess::kill9() { ::kill(pid_, SIGKILL); }

int HearthProcess::wait() {
  if (!waited_) {
    ::waitpid(pid_, &status_, 0);
    waited_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string coreutils_sha256(const fs::path& p) {
  FILE* f = ::popen(("sha256sum " + shell_quote(p.string())).c_str(), "r");
  if (!f) return "";
  char buf[65] = {0};
  std::size_t n = std::fread(buf, 1, 64, f);
  ::pclose(f);
  return std::string(buf, n);
}

namespace {
std::uint64_t count_params(const fs::path& file, bool experts_only) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  const nlohmann::json tensors = nlohmann::json::parse(header);
  std::uint64_t total = 0;
  for (const auto& [name, t] : tensors.items()) {
    if (name == "__metadata__" || (experts_only && name.find(".experts.") == std::string::npos)) continue;
    std::uint64_t count = 1;
    for (const auto& d : t["shape"]) count *= d.get<std::uint64_t>();
    total += count;
  }
  return total;
}
}  // namespace

std::uint64_t safetensors_params(const fs::path& file) { return count_params(file, false); }
std::uint64_t safetensors_expert_params(const fs::path& file) { return count_params(file, true); }

void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<std::string> lines = nonempty_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << "expected one error line, got:\n" << r.err;
  EXPECT_EQ(lines[0].rfind("error: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(needle), std::string::npos) << lines[0];
}

std::vector<std::string> nonempty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace hearth::test
