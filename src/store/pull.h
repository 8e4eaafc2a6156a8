#pragma once
// hearth pull: resolve a reference to a manifest (choosing a variant when asked), check free disk
// space, download every missing blob (parallel, resumable, verified) and write the manifest. The
// model becomes visible all at once: verified blobs wait beside the store (partial/) until every
// blob of the model is verified, then move in, then the manifest is written. A failed pull leaves
// nothing new in the store, and what it downloaded is reused by the next attempt.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "store/model_store.h"
#include "store/progress.h"
#include "store/reference.h"

namespace hearth::store {

struct PullOptions {
  std::optional<std::string> registry;          // --registry URL (replaces the reference's registry)
  bool insecure = false;                        // --insecure: plain HTTP allowed
  std::string variant;                          // --variant q4_k_m
  std::optional<std::filesystem::path> output;  // --output DIR: write the files there instead of the store
  std::uint64_t limit_rate = 0;                 // bytes/s; 0 = unlimited
};

struct PullResult {
  ModelReference ref;  // the name the model is stored under
  std::string manifest_digest;
  std::uint64_t total_bytes = 0;       // all blobs of the model
  std::uint64_t downloaded_bytes = 0;  // received in this run
  std::uint64_t resumed_bytes = 0;     // found from an interrupted run
  std::uint64_t present_bytes = 0;     // already in the store
  std::filesystem::path output;        // with --output
};

// Disk space kept free beyond the download itself: 32 MiB plus 1% of the download.
std::uint64_t disk_margin(std::uint64_t download_bytes);

PullResult pull_model(ModelStore& store, const std::string& name, const PullOptions& options, Progress& progress);

}  // namespace hearth::store
