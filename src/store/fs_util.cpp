#include "store/fs_util.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "util/error.h"

namespace hearth::store {
namespace {

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("{}: write failed: {}", path.string(), errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

namespace {
std::function<void(std::string_view)>& crash_hook() {
  static std::function<void(std::string_view)> hook;
  return hook;
}
}  // namespace

void set_crash_hook(std::function<void(std::string_view step)> hook) { crash_hook() = std::move(hook); }

void crash_point(std::string_view step) {
  if (auto& h = crash_hook()) h(step);
}

fs::path temp_path_for(const fs::path& final_path) {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string name = fmt::format("{}{}-{}-{:x}-{}", kTempPrefix, final_path.filename().string(), ::getpid(),
                                 rng() & 0xffffffffu, counter++);
  return final_path.parent_path() / name;
}

void fsync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open to flush: {}", path.string(), errno_text());
  if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: file system without fsync on folders
    int err = errno;
    ::close(fd);
    fail("{}: fsync failed: {}", path.string(), std::strerror(err));
  }
  ::close(fd);
}

void make_dirs(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  make_dirs(dir.parent_path());
  if (!fs::create_directory(dir, ec) && !fs::is_directory(dir)) {
    fail("{}: cannot create folder: {}", dir.string(), ec ? ec.message() : "a file is in the way");
  }
  if (!dir.parent_path().empty()) fsync_path(dir.parent_path());
}

void durable_rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    fail("cannot rename {} to {}: {}", from.string(), to.string(), errno_text());
  crash_point("rename.done");
  fsync_path(to.parent_path().empty() ? fs::path(".") : to.parent_path());
}

void atomic_write_file(const fs::path& path, std::string_view bytes) {
  make_dirs(path.parent_path());
  fs::path tmp = temp_path_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail("{}: cannot create: {}", tmp.string(), errno_text());
  try {
    write_all(fd, bytes, tmp);
    if (::fsync(fd) != 0) fail("{}: fsync failed: {}", tmp.string(), errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  crash_point("write.temp-written");
  try {
    durable_rename(tmp, path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

std::uint64_t free_disk_bytes(const fs::path& dir) {
  if (const char* sim = std::getenv("HEARTH_FREE_DISK_BYTES"); sim && *sim) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(sim, sim + std::strlen(sim), v);
    require(ec == std::errc() && *p == '\0', "HEARTH_FREE_DISK_BYTES='{}' is not a byte count", sim);
    return v;
  }
  // The folder may not exist yet: measure the nearest existing ancestor.
  fs::path probe = dir.empty() ? fs::path(".") : dir;
  std::error_code ec;
  while (!fs::exists(probe, ec) && probe.has_parent_path() && probe != probe.parent_path()) probe = probe.parent_path();
  struct statvfs st {};
  if (::statvfs(probe.c_str(), &st) != 0) fail("{}: cannot read free disk space: {}", probe.string(), errno_text());
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

fs::path safe_relative_path(std::string_view annotated) {
  require(!annotated.empty(), "empty file path in manifest");
  std::string shown = printable(annotated);
  require(annotated.find('\0') == std::string_view::npos && annotated.find('\\') == std::string_view::npos,
          "unsafe file path '{}' in manifest", shown);
  require(annotated.front() != '/', "unsafe file path '{}' in manifest (absolute)", shown);
  require(annotated.find("//") == std::string_view::npos && annotated.back() != '/',
          "unsafe file path '{}' in manifest", shown);
  fs::path p(std::string{annotated});
  for (const auto& part : p) {
    std::string s = part.string();
    require(!s.empty() && s != "." && s != "..", "unsafe file path '{}' in manifest", shown);
  }
  return p;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (unsigned char c : text.substr(0, max)) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (text.size() > max) out += "…";
  return out;
}

std::string read_small_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path.string(), errno_text());
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail("{}: read failed: {}", path.string(), std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return v < 10 ? fmt::format("{:.1f} {}", v, units[u]) : fmt::format("{:.0f} {}", v, units[u]);
}

std::string human_count(std::uint64_t count) {
  static const struct {
    double scale;
    const char* suffix;
  } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  for (const auto& u : units) {
    if (static_cast<double>(count) >= u.scale) {
      double v = static_cast<double>(count) / u.scale;
      std::string s = v < 100 ? fmt::format("{:.1f}", v) : fmt::format("{:.0f}", v);
      if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
      return s + u.suffix;
    }
  }
  return std::to_string(count);
}

namespace {

// Parses "<number>[suffix]" with a decimal number; returns the number and the suffix.
std::pair<double, std::string> split_number(std::string_view text, const char* what) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  require(i > 0, "'{}' is not a valid {}", s, what);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, v);
  require(ec == std::errc() && p == s.data() + i && std::isfinite(v), "'{}' is not a valid {}", s, what);
  std::string suffix = s.substr(i);
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return {v, suffix};
}

}  // namespace

std::uint64_t parse_count(std::string_view text) {
  auto [v, suffix] = split_number(text, "parameter count (e.g. 32B, 800M)");
  double scale = 1;
  if (suffix == "K")
    scale = 1e3;
  else if (suffix == "M")
    scale = 1e6;
  else if (suffix == "B" || suffix == "G")
    scale = 1e9;
  else if (suffix == "T")
    scale = 1e12;
  else
    require(suffix.empty(), "'{}' is not a valid parameter count (e.g. 32B, 800M)", text);
  return static_cast<std::uint64_t>(std::llround(v * scale));
}

std::uint64_t parse_rate(std::string_view text) {
  auto [v, suffix] = split_number(text, "rate in bytes per second (e.g. 10M, 500K)");
  if (suffix.ends_with("/S")) suffix.resize(suffix.size() - 2);
  if (suffix.ends_with("B") && suffix.size() > 1) suffix.pop_back();
  double scale = 1;
  if (suffix == "K")
    scale = 1024.0;
  else if (suffix == "M")
    scale = 1024.0 * 1024;
  else if (suffix == "G")
    scale = 1024.0 * 1024 * 1024;
  else
    require(suffix.empty() || suffix == "B", "'{}' is not a valid rate in bytes per second (e.g. 10M, 500K)", text);
  auto r = static_cast<std::uint64_t>(std::llround(v * scale));
  require(r > 0, "rate '{}' must be above zero", text);
  return r;
}

}  // namespace hearth::store
