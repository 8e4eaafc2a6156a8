#pragma once
// Transfer progress for pull and push. On a terminal: one bar per layer on stderr (percentage,
// bytes, speed, ETA), redrawn in place. Otherwise (or with --json): JSON lines on stdout, in the
// shape of Ollama's pull stream:
//   {"status":"pulling manifest"}
//   {"status":"downloading","digest":"sha256:…","total":123,"completed":45}
//   {"status":"verifying sha256 digest","digest":"sha256:…"}
//   {"status":"writing manifest"}
//   {"status":"success", …summary…}
// Thread-safe: download workers report concurrently.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth::store {

class Progress {
 public:
  enum class Mode { Bars, Json, Quiet };
  // Bars when stderr is a terminal and `json` is false; else JSON lines.
  static Mode choose_mode(bool json);
  explicit Progress(Mode mode, std::string verb = "downloading");
  ~Progress();

  Mode mode() const { return mode_; }
  // A stage without bytes ("pulling manifest", "writing manifest").
  void status(const std::string& text);
  // A blob transfer: start (with bytes already present from an earlier attempt), updates, end.
  void start(const std::string& digest, std::uint64_t total, std::uint64_t already);
  void update(const std::string& digest, std::uint64_t completed);
  void verifying(const std::string& digest);
  // `total` is used when the blob was never started (already present: outcome "exists").
  void finish(const std::string& digest, const std::string& outcome = "done", std::uint64_t total = 0);
  // The final line: JSON object with "status":"success" plus `summary`, or a text line on a terminal.
  void success(const nlohmann::json& summary, const std::string& text);

 private:
  struct Item {
    std::string digest;
    std::uint64_t total = 0, completed = 0, start_bytes = 0;
    std::string state;  // "", "verifying", "done", "exists"
    std::chrono::steady_clock::time_point started, last_json;
    double speed = 0;  // bytes/s, smoothed
    std::uint64_t last_bytes = 0;
    std::chrono::steady_clock::time_point last_sample;
  };
  void emit_json(const nlohmann::json& j);
  void redraw(bool force);

  Mode mode_;
  std::string verb_;
  std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Item> items_;
  int lines_drawn_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hearth::store
