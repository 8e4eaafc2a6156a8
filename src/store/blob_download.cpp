#include "store/blob_download.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "store/fs_util.h"
#include "store/rate_limiter.h"
#include "store/sha256.h"
#include "util/error.h"

namespace hearth::store {
namespace {

using nlohmann::json;

struct Part {
  std::uint64_t start = 0, length = 0;
  std::atomic<std::uint64_t> done{0};
  std::uint64_t done_at_start = 0;
};

struct Job {
  BlobTarget target;
  fs::path data_path, state_path;
  int fd = -1;
  std::vector<std::unique_ptr<Part>> parts;
  std::atomic<int> parts_left{0};
  std::atomic<bool> dirty{false};
  std::mutex persist_mutex;
  bool finished = false;  // guarded by persist_mutex
  std::uint64_t resumed = 0;

  std::uint64_t completed() const {
    std::uint64_t c = 0;
    for (const auto& p : parts) c += p->done.load(std::memory_order_acquire);
    return c;
  }
};

struct WorkItem {
  Job* job;
  Part* part;  // nullptr: every part is already on disk, only verification is left
};

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 10);
  require(end && *end == '\0', "{}='{}' is not a number", name, v);
  return x;
}

// Loads a saved state when it matches the blob and the data file; otherwise returns false.
bool load_state(Job& job) {
  std::error_code ec;
  if (!fs::is_regular_file(job.state_path, ec) || !fs::is_regular_file(job.data_path, ec)) return false;
  try {
    json j = json::parse(read_small_file(job.state_path));
    if (j.value("digest", "") != job.target.blob.digest || j.value("size", 0ull) != job.target.blob.size) return false;
    if (fs::file_size(job.data_path) != job.target.blob.size) return false;
    std::uint64_t expect = 0;
    for (const auto& p : j.at("parts")) {
      auto part = std::make_unique<Part>();
      part->start = p.at("start").get<std::uint64_t>();
      part->length = p.at("length").get<std::uint64_t>();
      std::uint64_t done = p.at("done").get<std::uint64_t>();
      if (part->start != expect || done > part->length) return false;
      part->done = done;
      part->done_at_start = done;
      expect += part->length;
      job.parts.push_back(std::move(part));
    }
    if (expect != job.target.blob.size) {
      job.parts.clear();
      return false;
    }
    return true;
  } catch (const std::exception&) {
    job.parts.clear();
    return false;
  }
}

void plan_parts(Job& job, const DownloadOptions& options) {
  std::uint64_t size = job.target.blob.size;
  std::uint64_t min_part = std::max<std::uint64_t>(options.min_part_size, 1);
  std::uint64_t n = std::clamp<std::uint64_t>((size + min_part - 1) / min_part, 1, std::max(options.max_parts, 1));
  std::uint64_t part_len = (size + n - 1) / n;
  for (std::uint64_t start = 0; start < size || (size == 0 && job.parts.empty()); start += part_len) {
    auto part = std::make_unique<Part>();
    part->start = start;
    part->length = std::min(part_len, size - start);
    job.parts.push_back(std::move(part));
    if (size == 0) break;
  }
}

// Writes the state file. REQUIRES: job.persist_mutex held. Data first, then the record of it.
void persist(Job& job) {
  if (job.finished || job.fd < 0) return;
  std::vector<std::uint64_t> done;
  for (const auto& p : job.parts) done.push_back(p->done.load(std::memory_order_acquire));
  if (::fdatasync(job.fd) != 0) fail("{}: fdatasync failed: {}", job.data_path.string(), std::strerror(errno));
  json j = {{"version", 1}, {"digest", job.target.blob.digest}, {"size", job.target.blob.size}};
  j["parts"] = json::array();
  for (std::size_t i = 0; i < job.parts.size(); ++i)
    j["parts"].push_back({{"start", job.parts[i]->start}, {"length", job.parts[i]->length}, {"done", done[i]}});
  atomic_write_file(job.state_path, j.dump());
}

class Downloader {
 public:
  Downloader(RegistryClient& client, std::string repo, const DownloadOptions& options, Progress& progress)
      : client_(client), repo_(std::move(repo)), options_(options), progress_(progress), limiter_(options.limit_rate) {}
  ~Downloader() {
    for (auto& job : jobs_)
      if (job->fd >= 0) ::close(job->fd);
  }

  DownloadStats run(const fs::path& partial_dir, std::vector<BlobTarget> targets) {
    make_dirs(partial_dir);
    for (auto& t : targets) {
      auto job = std::make_unique<Job>();
      std::string hex = digest_hex(t.blob.digest);
      job->data_path = partial_dir / ("sha256-" + hex + ".data");
      job->state_path = partial_dir / ("sha256-" + hex + ".state");
      job->target = std::move(t);
      jobs_.push_back(std::move(job));
      open_job(*jobs_.back());
    }
    for (auto& job : jobs_) {
      progress_.start(job->target.blob.digest, job->target.blob.size, job->resumed);
      int pending = 0;
      for (auto& p : job->parts)
        if (p->done < p->length) {
          queue_.push_back({job.get(), p.get()});
          ++pending;
        }
      job->parts_left = pending;
      if (pending == 0) queue_.push_back({job.get(), nullptr});
    }
    int n_workers = std::max(1, std::min<int>(options_.connections, static_cast<int>(queue_.size())));
    std::vector<std::thread> workers;
    for (int i = 0; i < n_workers; ++i) workers.emplace_back([this] { work(); });
    std::thread monitor([this] { watch(); });
    for (auto& w : workers) w.join();
    {
      std::lock_guard<std::mutex> lock(monitor_mutex_);
      workers_done_ = true;
    }
    monitor_cv_.notify_all();
    monitor.join();
    // Whatever did not finish is saved for the next attempt.
    DownloadStats stats;
    for (auto& job : jobs_) {
      {
        std::lock_guard<std::mutex> lock(job->persist_mutex);
        try {
          persist(*job);
        } catch (const std::exception& e) {
          spdlog::warn("cannot save download state of {}: {}", short_digest(job->target.blob.digest), e.what());
        }
        if (job->fd >= 0) ::close(job->fd);
        job->fd = -1;
      }
      stats.resumed_bytes += job->resumed;
      for (auto& p : job->parts) stats.downloaded_bytes += p->done - p->done_at_start;
    }
    if (first_error_) std::rethrow_exception(first_error_);
    return stats;
  }

 private:
  void open_job(Job& job) {
    bool resumed = load_state(job);
    // Lock before truncating: a second process pulling the same blob must not clobber this one.
    job.fd = ::open(job.data_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (job.fd < 0) fail("{}: cannot open: {}", job.data_path.string(), std::strerror(errno));
    if (::flock(job.fd, LOCK_EX | LOCK_NB) != 0)
      fail("blob {} is being downloaded by another hearth process; let it finish (or stop it) and retry",
           short_digest(job.target.blob.digest));
    if (!resumed && ::ftruncate(job.fd, 0) != 0)
      fail("{}: cannot truncate: {}", job.data_path.string(), std::strerror(errno));
    if (!resumed) {
      std::error_code ec;
      fs::remove(job.state_path, ec);
      plan_parts(job, options_);
      // Reserve the space now: a full disk fails here, not half-way through.
      if (job.target.blob.size > 0 && ::fallocate(job.fd, 0, 0, static_cast<off_t>(job.target.blob.size)) != 0) {
        if (errno == ENOSPC)
          fail("not enough disk space for blob {} ({})", short_digest(job.target.blob.digest),
               human_bytes(job.target.blob.size));
        if (::ftruncate(job.fd, static_cast<off_t>(job.target.blob.size)) != 0)
          fail("{}: cannot size the file: {}", job.data_path.string(), std::strerror(errno));
      }
    }
    job.resumed = job.completed();
  }

  bool cancelled() const { return cancel_.load(std::memory_order_relaxed); }

  void record_error(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!first_error_) first_error_ = e;
    cancel_ = true;
  }

  void work() {
    HttpClient http(client_.verify_tls());
    for (;;) {
      WorkItem item;
      {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        if (queue_.empty() || cancelled()) return;
        item = queue_.front();
        queue_.pop_front();
      }
      try {
        if (item.part) {
          fetch_part(http, *item.job, *item.part);
          if (--item.job->parts_left == 0) finalize(*item.job);
        } else {
          finalize(*item.job);
        }
      } catch (...) {
        if (!cancelled() || !is_cancellation(std::current_exception())) record_error(std::current_exception());
        return;
      }
    }
  }

  static bool is_cancellation(std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      return std::string_view(ex.what()) == "cancelled";
    }
  }

  void fetch_part(HttpClient& http, Job& job, Part& part) {
    const Descriptor& blob = job.target.blob;
    RetryPolicy policy = RetryPolicy::from_env();
    int failures = 0;
    while (part.done < part.length) {
      std::uint64_t from = part.start + part.done;
      std::uint64_t to = part.start + part.length - 1;
      bool whole = from == 0 && part.length == blob.size;
      HttpRequest req;
      req.url = client_.blob_url(repo_, blob.digest);
      req.headers.push_back(fmt::format("Range: bytes={}-{}", from, to));
      req.cancelled = [this] { return cancelled(); };
      req.on_headers = [&](const HttpResponse& r, long status) {
        if (status == 206) {
          std::string cr = r.header("content-range");  // "bytes 100-199/1000"
          unsigned long long a = 0, b = 0;
          require(std::sscanf(cr.c_str(), "bytes %llu-%llu", &a, &b) == 2 && a == from,
                  "registry {} answered a range request for blob {} with Content-Range '{}'", client_.host(),
                  short_digest(blob.digest), cr.substr(0, 100));
        } else {
          require(whole,
                  "registry {} ignores HTTP Range requests (status {}): cannot download blob {} in parts or resume it",
                  client_.host(), status, short_digest(blob.digest));
        }
        return true;
      };
      req.sink = [&](const char* data, std::size_t n) {
        std::uint64_t done = part.done.load(std::memory_order_relaxed);
        if (done + n > part.length)
          fail("registry {} sent more data than requested for blob {}", client_.host(), short_digest(blob.digest));
        for (std::size_t written = 0; written < n;) {
          ssize_t w = ::pwrite(job.fd, data + written, n - written, static_cast<off_t>(part.start + done + written));
          if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOSPC) fail("disk full while downloading blob {}", short_digest(blob.digest));
            fail("{}: write failed: {}", job.data_path.string(), std::strerror(errno));
          }
          written += static_cast<std::size_t>(w);
        }
        part.done.store(done + n, std::memory_order_release);
        job.dirty = true;
        return limiter_.consume(n, [this] { return cancelled(); }) && !cancelled();
      };
      std::uint64_t before = part.done;
      std::string problem;
      try {
        HttpResponse r = client_.send(http, req, RegistryClient::pull_scope(repo_));
        if (r.status >= 200 && r.status < 300) {
          if (part.done == part.length) break;
          problem = "connection closed early";
        } else if (r.status == 404) {
          fail("blob {} not found in registry {} ({})", short_digest(blob.digest), client_.host(),
               RegistryClient::describe(r));
        } else if (is_transient_status(r.status)) {
          problem = RegistryClient::describe(r);
        } else {
          fail("registry {} answered {} for blob {}", client_.host(), RegistryClient::describe(r),
               short_digest(blob.digest));
        }
      } catch (const TransportError& e) {
        problem = e.what();
      }
      if (cancelled()) throw Error("cancelled");
      if (part.done > before) failures = 0;
      if (++failures > policy.max_retries)
        fail("download of blob {} from registry {} failed after {} attempts: {}", short_digest(blob.digest),
             client_.host(), failures, problem);
      auto delay = policy.delay(failures - 1);
      spdlog::info("blob {}: {}; retrying in {} ms", short_digest(blob.digest), problem, delay.count());
      auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until && !cancelled())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (cancelled()) throw Error("cancelled");
    }
  }

  void finalize(Job& job) {
    const Descriptor& blob = job.target.blob;
    std::lock_guard<std::mutex> lock(job.persist_mutex);
    progress_.update(blob.digest, job.completed());
    if (::fdatasync(job.fd) != 0) fail("{}: fdatasync failed: {}", job.data_path.string(), std::strerror(errno));
    ::close(job.fd);
    job.fd = -1;
    job.finished = true;
    progress_.verifying(blob.digest);
    std::uint64_t size = 0;
    std::string hex = sha256_file_hex(job.data_path.string(), &size);
    if ("sha256:" + hex != blob.digest || size != blob.size) {
      std::error_code ec;
      fs::remove(job.data_path, ec);
      fs::remove(job.state_path, ec);
      fail(
          "digest mismatch for blob {} from registry {}: the data received hashes to sha256:{}; it was deleted and "
          "nothing was stored",
          short_digest(blob.digest), client_.host(), hex.substr(0, 12));
    }
    crash_point("download.verified");
    job.target.commit(job.data_path);
    std::error_code ec;
    fs::remove(job.state_path, ec);
    progress_.finish(blob.digest, "done");
  }

  // Progress every 200 ms, durable state every second.
  void watch() {
    auto last_persist = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(monitor_mutex_);
    while (!workers_done_) {
      monitor_cv_.wait_for(lock, std::chrono::milliseconds(200));
      for (auto& job : jobs_) {
        std::lock_guard<std::mutex> jl(job->persist_mutex);
        if (!job->finished) progress_.update(job->target.blob.digest, job->completed());
      }
      if (std::chrono::steady_clock::now() - last_persist >= std::chrono::seconds(1)) {
        last_persist = std::chrono::steady_clock::now();
        for (auto& job : jobs_) {
          if (!job->dirty.exchange(false)) continue;
          std::lock_guard<std::mutex> jl(job->persist_mutex);
          try {
            persist(*job);
          } catch (...) {
            record_error(std::current_exception());
          }
        }
      }
    }
  }

 private:
  RegistryClient& client_;
  std::string repo_;
  DownloadOptions options_;
  Progress& progress_;
  RateLimiter limiter_;
  std::vector<std::unique_ptr<Job>> jobs_;
  std::deque<WorkItem> queue_;
  std::mutex queue_mutex_;
  std::atomic<bool> cancel_{false};
  std::mutex error_mutex_;
  std::exception_ptr first_error_;
  std::mutex monitor_mutex_;
  std::condition_variable monitor_cv_;
  bool workers_done_ = false;
};

}  // namespace

DownloadOptions DownloadOptions::from_env() {
  DownloadOptions o;
  o.connections = static_cast<int>(std::clamp<std::uint64_t>(env_u64("HEARTH_PULL_CONNECTIONS", 4), 1, 64));
  o.min_part_size = std::max<std::uint64_t>(env_u64("HEARTH_PULL_PART_SIZE", o.min_part_size), 1);
  return o;
}

DownloadStats download_blobs(RegistryClient& client, const std::string& repo, const fs::path& partial_dir,
                             std::vector<BlobTarget> targets, const DownloadOptions& options, Progress& progress) {
  Downloader d(client, repo, options, progress);
  return d.run(partial_dir, std::move(targets));
}

std::uint64_t resumable_bytes(const fs::path& partial_dir, const Descriptor& blob) {
  Job job;
  job.target.blob = blob;
  std::string hex = digest_hex(blob.digest);
  job.data_path = partial_dir / ("sha256-" + hex + ".data");
  job.state_path = partial_dir / ("sha256-" + hex + ".state");
  return load_state(job) ? job.completed() : 0;
}

}  // namespace hearth::store
