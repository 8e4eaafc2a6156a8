#pragma once
// Parallel, resumable, verified blob downloads.
//
// Each blob is split into parts (at most 16, at least HEARTH_PULL_PART_SIZE bytes, default 16 MiB)
// fetched with HTTP Range requests by a pool of connections (HEARTH_PULL_CONNECTIONS, default 4)
// into <partial_dir>/sha256-<hex>.data, written in place with pwrite. Every second the data file is
// flushed (fdatasync) and then <hex>.state records how much of each part is on disk, so after an
// interruption (kill -9 or power loss included) a new pull continues each part where the state
// says; the state never claims bytes that are not on disk. Transient failures (connection resets,
// timeouts, 5xx, 429) are retried with exponential backoff from the current offset.
//
// When every part is complete the file is hashed (SHA-256, streamed) and compared with the digest:
// a match is handed to the commit callback (which renames it into place); a mismatch deletes the
// data and state and fails with "digest mismatch", so a bad blob never becomes visible.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "store/manifest.h"
#include "store/progress.h"
#include "store/registry_client.h"

namespace hearth::store {

namespace fs = std::filesystem;

struct BlobTarget {
  Descriptor blob;
  // Makes the verified file visible (renames it into the store or the output folder). Runs on a
  // download thread; must be thread-safe with respect to other targets.
  std::function<void(const fs::path& verified_file)> commit;
};

struct DownloadOptions {
  int connections = 4;
  std::uint64_t limit_rate = 0;  // bytes/s over all connections; 0 = unlimited
  std::uint64_t min_part_size = 16ull << 20;
  int max_parts = 16;
  // HEARTH_PULL_CONNECTIONS and HEARTH_PULL_PART_SIZE override the defaults.
  static DownloadOptions from_env();
};

struct DownloadStats {
  std::uint64_t downloaded_bytes = 0;  // bytes received in this run
  std::uint64_t resumed_bytes = 0;     // bytes found on disk from an interrupted run
};

// Downloads, verifies and commits every target from `repo` on `client`. Throws hearth::Error (the
// first failure, after all connections have stopped and resumable state has been saved).
DownloadStats download_blobs(RegistryClient& client, const std::string& repo, const fs::path& partial_dir,
                             std::vector<BlobTarget> targets, const DownloadOptions& options, Progress& progress);

// Bytes of `blob` already downloaded into `partial_dir` by an interrupted run (0 when none).
std::uint64_t resumable_bytes(const fs::path& partial_dir, const Descriptor& blob);

}  // namespace hearth::store
