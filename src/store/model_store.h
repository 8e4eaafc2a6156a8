#pragma once
// The local model store: content-addressed blobs plus manifests by name, laid out like Ollama's
// (so HEARTH_MODELS=~/.ollama/models reads Ollama's downloads):
//
//   <root>/blobs/sha256-<hex>                                  immutable, read-only, verified
//   <root>/manifests/<registry>/<namespace>/<name>/<tag>       the manifest bytes, exactly as pulled
//   <root>/partial/sha256-<hex>.{data,state}                   resumable downloads (not visible)
//   <root>/folders/<manifest hex>/…                            Hugging Face folders materialised as
//                                                              symlinks to blobs (for multi-file models)
//   <root>/.lock                                               flock: writers shared, gc exclusive
//
// Invariants, kept at every instant (a kill -9 or power loss at any point leaves a usable store):
//   - a file named blobs/sha256-<hex> holds exactly the bytes whose SHA-256 is <hex>: blobs are
//     verified in partial/ or a temporary file and renamed into place;
//   - every manifest's blobs exist: a manifest is written (temp + fsync + rename) only after all of
//     its blobs are in place, and blobs are deleted only by gc, after their manifests are gone;
//   - temporary files (".tmp-…") are never read and are removed by gc.
//
// Thread safety: a ModelStore is a set of paths; concurrent processes coordinate with StoreLock.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/fs_util.h"
#include "store/manifest.h"
#include "store/reference.h"

namespace hearth::store {

namespace fs = std::filesystem;

struct StoredModel {
  ModelReference ref;
  std::string manifest_bytes;
  std::string digest;  // sha256 of manifest_bytes
  Manifest manifest;
  fs::file_time_type modified;
};

struct GcReport {
  std::uint64_t blobs_removed = 0;
  std::uint64_t bytes_freed = 0;
  std::uint64_t temp_files_removed = 0;
  std::uint64_t partial_removed = 0;
  std::uint64_t folders_removed = 0;
};

// An flock on <root>/.lock, released on destruction.
class StoreLock {
 public:
  enum class Mode { Shared, Exclusive };
  StoreLock() = default;
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&& other) noexcept;
  ~StoreLock();
  bool held() const { return fd_ >= 0; }

 private:
  friend class ModelStore;
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class ModelStore {
 public:
  explicit ModelStore(fs::path root);
  // HEARTH_MODELS, else ~/.hearth/models. Throws hearth::Error when neither HOME nor HEARTH_MODELS is set.
  static fs::path default_root();

  const fs::path& root() const { return root_; }
  fs::path blobs_dir() const { return root_ / "blobs"; }
  fs::path manifests_dir() const { return root_ / "manifests"; }
  fs::path partial_dir() const { return root_ / "partial"; }
  fs::path folders_dir() const { return root_ / "folders"; }

  // --- blobs ---
  fs::path blob_path(std::string_view digest) const;
  // True when the blob file exists with the descriptor's size (contents were verified on entry).
  bool has_blob(const Descriptor& d) const;
  bool has_blob(std::string_view digest, std::uint64_t size) const;
  // Moves `verified_file` (same file system; its SHA-256 already checked by the caller against
  // `digest`) into blobs/, read-only. An existing blob is kept and the file removed.
  void commit_blob(const fs::path& verified_file, std::string_view digest);
  // Copies `source` into the store while hashing it; returns the digest and size.
  std::pair<std::string, std::uint64_t> import_file(const fs::path& source);
  // Stores small content (config JSON, template text); returns its descriptor fields.
  std::pair<std::string, std::uint64_t> add_blob_bytes(std::string_view bytes);

  // --- manifests ---
  fs::path manifest_path(const ModelReference& ref) const;
  // Throws hearth::Error "model NAME not found" (or a parse error naming the file).
  StoredModel get(const ModelReference& ref) const;
  std::optional<StoredModel> find(const ModelReference& ref) const;
  // Writes the manifest under `ref` atomically. Checks that every blob it references is present.
  void write_manifest(const ModelReference& ref, std::string_view manifest_bytes);
  // All models, sorted by display name. Unreadable manifests are reported on stderr and skipped.
  std::vector<StoredModel> list() const;
  // Removes the manifest (blobs stay until gc). Returns false when there was none.
  bool remove_manifest(const ModelReference& ref);
  // Copies the manifest of `from` to `to` (same bytes, so the same digest).
  void copy(const ModelReference& from, const ModelReference& to);

  // --- housekeeping ---
  // Deletes blobs no manifest references, stale temporary files, materialised folders of models
  // that are gone, and (with `include_partial`) resumable downloads. REQUIRES: an exclusive lock
  // (gc takes it). With dry_run only reports.
  GcReport gc(bool dry_run = false, bool include_partial = false);

  // Locks. Writers that add blobs and then a manifest hold a shared lock; gc holds an exclusive
  // one. try_lock returns an unheld lock when another process holds a conflicting one.
  StoreLock lock(StoreLock::Mode mode) const;
  StoreLock try_lock(StoreLock::Mode mode) const;

 private:
  // The model name a file under manifests/ stands for; nullopt for names Hearth would not write.
  std::optional<ModelReference> reference_for_path(const fs::path& manifest_file) const;
  GcReport gc_locked(bool dry_run, bool include_partial);
  fs::path root_;
};

}  // namespace hearth::store
