#include "store/model_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include <spdlog/spdlog.h>

#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

constexpr std::string_view kBlobPrefix = "sha256-";

bool is_blob_name(const std::string& name) {
  return name.size() == kBlobPrefix.size() + 64 && name.rfind(kBlobPrefix, 0) == 0 &&
         is_valid_digest("sha256:" + name.substr(kBlobPrefix.size()));
}

bool is_temp_name(const std::string& name) { return name.rfind(kTempPrefix, 0) == 0; }

}  // namespace

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

ModelStore::ModelStore(fs::path root) : root_(std::move(root)) {}

fs::path ModelStore::default_root() {
  if (const char* env = std::getenv("HEARTH_MODELS"); env && *env) return fs::path(env);
  const char* home = std::getenv("HOME");
  require(home && *home, "cannot locate the model store: set HEARTH_MODELS or HOME");
  return fs::path(home) / ".hearth" / "models";
}

fs::path ModelStore::blob_path(std::string_view digest) const {
  return blobs_dir() / (std::string(kBlobPrefix) + digest_hex(digest));
}

bool ModelStore::has_blob(const Descriptor& d) const { return has_blob(d.digest, d.size); }

bool ModelStore::has_blob(std::string_view digest, std::uint64_t size) const {
  std::error_code ec;
  auto actual = fs::file_size(blob_path(digest), ec);
  return !ec && actual == size;
}

void ModelStore::commit_blob(const fs::path& verified_file, std::string_view digest) {
  fs::path dest = blob_path(digest);
  make_dirs(blobs_dir());
  ::chmod(verified_file.c_str(), 0444);
  fsync_path(verified_file);
  crash_point("blob.verified");
  durable_rename(verified_file, dest);
  crash_point("blob.renamed");
}

std::pair<std::string, std::uint64_t> ModelStore::import_file(const fs::path& source) {
  make_dirs(blobs_dir());
  int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("{}: cannot open: {}", source.string(), std::strerror(errno));
  fs::path tmp = temp_path_for(blobs_dir() / "import");
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    int err = errno;
    ::close(in);
    fail("{}: cannot create: {}", tmp.string(), std::strerror(err));
  }
  Sha256 hash;
  std::uint64_t total = 0;
  std::vector<char> buf(1 << 20);
  try {
    ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (;;) {
      ssize_t n = ::read(in, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("{}: read failed: {}", source.string(), std::strerror(errno));
      }
      if (n == 0) break;
      hash.update(buf.data(), static_cast<std::size_t>(n));
      for (ssize_t done = 0; done < n;) {
        ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
        if (w < 0) {
          if (errno == EINTR) continue;
          fail("{}: write failed: {}", tmp.string(), std::strerror(errno));
        }
        done += w;
      }
      total += static_cast<std::uint64_t>(n);
    }
    if (::fsync(out) != 0) fail("{}: fsync failed: {}", tmp.string(), std::strerror(errno));
  } catch (...) {
    ::close(in);
    ::close(out);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(in);
  ::close(out);
  std::string digest = "sha256:" + hash.hex();
  if (has_blob(digest, total)) {
    ::unlink(tmp.c_str());
  } else {
    crash_point("import.temp-written");
    commit_blob(tmp, digest);
  }
  return {digest, total};
}

std::pair<std::string, std::uint64_t> ModelStore::add_blob_bytes(std::string_view bytes) {
  std::string digest = digest_of(bytes);
  if (has_blob(digest, bytes.size())) return {digest, bytes.size()};
  make_dirs(blobs_dir());
  fs::path tmp = temp_path_for(blob_path(digest));
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail("{}: cannot create: {}", tmp.string(), std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail("{}: write failed: {}", tmp.string(), std::strerror(err));
      }
      done += static_cast<std::size_t>(w);
    }
    ::close(fd);
  }
  commit_blob(tmp, digest);
  return {digest, bytes.size()};
}

fs::path ModelStore::manifest_path(const ModelReference& ref) const {
  fs::path p = manifests_dir() / ref.registry;
  // The namespace may have several components ("acme/team"); each becomes a folder.
  p /= fs::path(ref.namespace_);
  return p / ref.name / ref.tag;
}

std::optional<StoredModel> ModelStore::find(const ModelReference& ref) const {
  fs::path p = manifest_path(ref);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  StoredModel m;
  m.ref = ref;
  m.ref.digest.clear();
  m.manifest_bytes = read_small_file(p);
  m.digest = digest_of(m.manifest_bytes);
  if (!ref.digest.empty() && ref.digest != m.digest) return std::nullopt;
  try {
    m.manifest = parse_manifest(m.manifest_bytes);
  } catch (const Error& e) {
    fail("{}: {}", p.string(), e.what());
  }
  m.modified = fs::last_write_time(p, ec);
  return m;
}

StoredModel ModelStore::get(const ModelReference& ref) const {
  auto m = find(ref);
  if (!m) fail("model '{}' not found (see `hearth list`; `hearth pull {}` downloads it)", ref.display(), ref.display());
  return std::move(*m);
}

void ModelStore::write_manifest(const ModelReference& ref, std::string_view manifest_bytes) {
  Manifest m = parse_manifest(manifest_bytes);
  for (const auto& b : m.blobs())
    require(has_blob(b), "cannot save '{}': blob {} is missing from the store", ref.display(), short_digest(b.digest));
  atomic_write_file(manifest_path(ref), manifest_bytes);
}

std::optional<ModelReference> ModelStore::reference_for_path(const fs::path& p) const {
  fs::path rel = p.lexically_relative(manifests_dir());
  std::vector<std::string> parts;
  for (const auto& c : rel) parts.push_back(c.string());
  if (parts.size() < 4 || parts[0] == "..") return std::nullopt;
  std::string text = parts[0];
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) text += "/" + parts[i];
  text += ":" + parts.back();
  try {
    ModelReference ref = parse_reference(text);
    // A path whose components are not canonical (upper case, …) is not a manifest Hearth wrote.
    if (manifest_path(ref) != p) return std::nullopt;
    return ref;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<StoredModel> ModelStore::list() const {
  std::vector<StoredModel> out;
  std::error_code ec;
  if (!fs::is_directory(manifests_dir(), ec)) return out;
  for (auto it = fs::recursive_directory_iterator(manifests_dir(), ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& p = it->path();
    if (!it->is_regular_file(ec) || is_temp_name(p.filename().string())) continue;
    auto ref = reference_for_path(p);
    if (!ref) continue;
    try {
      if (auto m = find(*ref)) out.push_back(std::move(*m));
    } catch (const Error& e) {
      spdlog::warn("skipping {}: {}", p.string(), e.what());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const StoredModel& a, const StoredModel& b) { return a.ref.display() < b.ref.display(); });
  return out;
}

bool ModelStore::remove_manifest(const ModelReference& ref) {
  fs::path p = manifest_path(ref);
  if (::unlink(p.c_str()) != 0) {
    if (errno == ENOENT) return false;
    fail("{}: cannot remove: {}", p.string(), std::strerror(errno));
  }
  fsync_path(p.parent_path());
  crash_point("manifest.removed");
  // Drop folders the removal emptied, up to manifests/ itself.
  std::error_code ec;
  for (fs::path dir = p.parent_path(); dir != manifests_dir() && dir.has_parent_path(); dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || !fs::remove(dir, ec)) break;
  }
  return true;
}

void ModelStore::copy(const ModelReference& from, const ModelReference& to) {
  StoredModel m = get(from);
  write_manifest(to, m.manifest_bytes);
}

StoreLock ModelStore::lock(StoreLock::Mode mode) const {
  make_dirs(root_);
  fs::path p = root_ / ".lock";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("{}: cannot open lock file: {}", p.string(), std::strerror(errno));
  int op = mode == StoreLock::Mode::Shared ? LOCK_SH : LOCK_EX;
  if (::flock(fd, op | LOCK_NB) != 0) {
    spdlog::info("waiting for another hearth process using {}", root_.string());
    while (::flock(fd, op) != 0) {
      if (errno != EINTR) {
        int err = errno;
        ::close(fd);
        fail("{}: cannot lock: {}", p.string(), std::strerror(err));
      }
    }
  }
  return StoreLock(fd);
}

StoreLock ModelStore::try_lock(StoreLock::Mode mode) const {
  make_dirs(root_);
  fs::path p = root_ / ".lock";
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail("{}: cannot open lock file: {}", p.string(), std::strerror(errno));
  if (::flock(fd, (mode == StoreLock::Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    ::close(fd);
    return StoreLock();
  }
  return StoreLock(fd);
}

GcReport ModelStore::gc(bool dry_run, bool include_partial) {
  StoreLock l = lock(StoreLock::Mode::Exclusive);
  return gc_locked(dry_run, include_partial);
}

GcReport ModelStore::gc_locked(bool dry_run, bool include_partial) {
  GcReport report;
  std::error_code ec;
  // What every manifest references. An unreadable manifest under a model name stops gc (its blobs
  // are unknown); files under other names are not Hearth's, but blobs they reference are kept.
  std::set<std::string> referenced_blobs, referenced_folders;
  if (fs::is_directory(manifests_dir(), ec)) {
    for (auto it = fs::recursive_directory_iterator(manifests_dir(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string name = it->path().filename().string();
      if (is_temp_name(name)) {
        ++report.temp_files_removed;
        if (!dry_run) fs::remove(it->path(), ec);
        continue;
      }
      std::string bytes = read_small_file(it->path());
      Manifest m;
      try {
        m = parse_manifest(bytes);
      } catch (const Error& e) {
        if (!reference_for_path(it->path())) continue;
        fail("cannot collect garbage: {} is unreadable ({}); remove that model first", it->path().string(), e.what());
      }
      for (const auto& b : m.blobs()) referenced_blobs.insert(digest_hex(b.digest));
      referenced_folders.insert(sha256_hex(bytes));
    }
  }
  if (fs::is_directory(blobs_dir(), ec)) {
    for (const auto& entry : fs::directory_iterator(blobs_dir(), ec)) {
      std::string name = entry.path().filename().string();
      if (is_temp_name(name)) {
        ++report.temp_files_removed;
        if (!dry_run) fs::remove(entry.path(), ec);
      } else if (is_blob_name(name) && !referenced_blobs.count(name.substr(kBlobPrefix.size()))) {
        std::error_code size_ec;
        auto size = entry.file_size(size_ec);
        ++report.blobs_removed;
        report.bytes_freed += size_ec ? 0 : size;
        if (!dry_run) {
          crash_point("gc.remove-blob");
          fs::remove(entry.path(), ec);
        }
      }
    }
  }
  if (fs::is_directory(folders_dir(), ec)) {
    for (const auto& entry : fs::directory_iterator(folders_dir(), ec)) {
      std::string name = entry.path().filename().string();
      if (is_temp_name(name) || !referenced_folders.count(name)) {
        ++report.folders_removed;
        if (!dry_run) fs::remove_all(entry.path(), ec);
      }
    }
  }
  if (include_partial && fs::is_directory(partial_dir(), ec)) {
    for (const auto& entry : fs::directory_iterator(partial_dir(), ec)) {
      std::error_code size_ec;
      auto size = entry.is_regular_file(size_ec) ? entry.file_size(size_ec) : 0;
      ++report.partial_removed;
      report.bytes_freed += size_ec ? 0 : size;
      if (!dry_run) fs::remove_all(entry.path(), ec);
    }
  }
  if (!dry_run && fs::is_directory(blobs_dir(), ec)) fsync_path(blobs_dir());
  return report;
}

}  // namespace hearth::store
