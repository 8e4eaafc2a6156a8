#pragma once
// Crash-safe file operations for the model store. Every file that becomes visible is written to a
// temporary name in the same folder, flushed to disk (fsync), renamed over its final name, and the
// folder is flushed, so a reader (or a restart after kill -9 / power loss) sees the old file or the
// new one, never a mix.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace hearth::store {

namespace fs = std::filesystem;

// Prefix of temporary files; readers skip names that start with it and `gc` removes old ones.
inline constexpr std::string_view kTempPrefix = ".tmp-";

// A fresh temporary name beside `final_path` (same folder, so rename() is atomic).
fs::path temp_path_for(const fs::path& final_path);

// Writes `bytes` to `path` atomically (temp + fsync + rename + fsync of the folder).
// Creates missing parent folders. Throws hearth::Error naming the path.
void atomic_write_file(const fs::path& path, std::string_view bytes);

// Renames `from` over `to` and flushes `to`'s folder. Throws hearth::Error.
void durable_rename(const fs::path& from, const fs::path& to);

// fsync() of a file or folder; throws hearth::Error naming the path.
void fsync_path(const fs::path& path);

// Creates `dir` and its parents (flushing each new folder's parent). Throws hearth::Error.
void make_dirs(const fs::path& dir);

// Bytes available to unprivileged writers on the file system holding `dir` (statvfs f_bavail).
// HEARTH_FREE_DISK_BYTES, when set, replaces the measurement: tests and dry runs use it to
// simulate a small disk.
std::uint64_t free_disk_bytes(const fs::path& dir);

// Validates a relative file path taken from a manifest annotation (layer file names): no absolute
// paths, no "..", no empty or "." components, no NUL or backslash. Throws hearth::Error.
fs::path safe_relative_path(std::string_view annotated);

// User input made safe for a one-line message: control characters escaped ("\n"), cut after `max`
// bytes with "…".
std::string printable(std::string_view text, std::size_t max = 200);

// Reads a whole small file. Throws hearth::Error naming the path.
std::string read_small_file(const fs::path& path);

// "1.2 GB", "540 MB", "12 KB", "17 B" (powers of 1000, as disk sizes are sold).
std::string human_bytes(std::uint64_t bytes);
// "30.5B", "596M", "3.3B": a parameter count with one decimal, like model names.
std::string human_count(std::uint64_t count);
// Parses "32B", "30.5b", "800M", "1.2T", "7000000" into a count. Throws hearth::Error.
std::uint64_t parse_count(std::string_view text);
// Parses "10M", "500K", "1.5MB", "1048576" (powers of 1024 for K/M/G, as curl does) into bytes/s.
std::uint64_t parse_rate(std::string_view text);

// Test hook: called with a step name at every point where a crash would leave files in an
// intermediate state ("write.temp-written", "blob.renamed", …). Tests set it in a forked child and
// _exit() at a chosen step to prove the store stays consistent. No-op when unset.
void set_crash_hook(std::function<void(std::string_view step)> hook);
void crash_point(std::string_view step);

}  // namespace hearth::store
