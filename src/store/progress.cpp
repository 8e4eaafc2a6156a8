#include "store/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "store/fs_util.h"
#include "store/sha256.h"

namespace hearth::store {
namespace {

using Clock = std::chrono::steady_clock;

std::string duration_text(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--";
  auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string bar(double fraction, int width) {
  static const char* parts[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  fraction = std::clamp(fraction, 0.0, 1.0);
  int eighths = static_cast<int>(fraction * width * 8);
  std::string s;
  for (int i = 0; i < eighths / 8; ++i) s += "█";
  int used = eighths / 8;
  if (used < width) {
    s += parts[eighths % 8];
    if (eighths % 8) ++used;
  }
  s += std::string(static_cast<std::size_t>(width - used), ' ');
  return s;
}

}  // namespace

Progress::Mode Progress::choose_mode(bool json) {
  if (json) return Mode::Json;
  return ::isatty(STDERR_FILENO) && ::isatty(STDOUT_FILENO) ? Mode::Bars : Mode::Json;
}

Progress::Progress(Mode mode, std::string verb) : mode_(mode), verb_(std::move(verb)) {}

Progress::~Progress() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (mode_ == Mode::Bars && !order_.empty()) redraw(true);
}

void Progress::emit_json(const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void Progress::status(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (mode_ == Mode::Json) emit_json({{"status", text}});
  if (mode_ == Mode::Bars) {
    // Stages separate phases: settle the bars drawn so far and start a new block below the text.
    if (!order_.empty()) redraw(true);
    std::fprintf(stderr, "%s\n", text.c_str());
    lines_drawn_ = 0;
    order_.clear();
    items_.clear();
  }
}

void Progress::start(const std::string& digest, std::uint64_t total, std::uint64_t already) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = Clock::now();
  if (!items_.count(digest)) order_.push_back(digest);
  Item& it = items_[digest];
  it.digest = digest;
  it.total = total;
  it.completed = already;
  it.start_bytes = already;
  it.started = it.last_sample = now;
  it.last_bytes = already;
  it.state.clear();
  if (mode_ == Mode::Json) {
    nlohmann::json j = {{"status", verb_}, {"digest", digest}, {"total", total}, {"completed", already}};
    if (already) j["resumed_from"] = already;
    emit_json(j);
    it.last_json = now;
  } else if (mode_ == Mode::Bars) {
    redraw(true);
  }
}

void Progress::update(const std::string& digest, std::uint64_t completed) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = items_.find(digest);
  if (found == items_.end()) return;
  Item& it = found->second;
  auto now = Clock::now();
  it.completed = completed;
  double dt = std::chrono::duration<double>(now - it.last_sample).count();
  if (dt >= 0.5) {
    double inst = static_cast<double>(completed - std::min(completed, it.last_bytes)) / dt;
    it.speed = it.speed == 0 ? inst : 0.7 * it.speed + 0.3 * inst;
    it.last_bytes = completed;
    it.last_sample = now;
  }
  if (mode_ == Mode::Json) {
    if (now - it.last_json >= std::chrono::milliseconds(250) || completed == it.total) {
      emit_json({{"status", verb_}, {"digest", digest}, {"total", it.total}, {"completed", completed}});
      it.last_json = now;
    }
  } else if (mode_ == Mode::Bars) {
    redraw(false);
  }
}

void Progress::verifying(const std::string& digest) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto f = items_.find(digest); f != items_.end()) f->second.state = "verifying";
  if (mode_ == Mode::Json) emit_json({{"status", "verifying sha256 digest"}, {"digest", digest}});
  if (mode_ == Mode::Bars) redraw(true);
}

void Progress::finish(const std::string& digest, const std::string& outcome, std::uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!items_.count(digest)) {
    order_.push_back(digest);
    items_[digest].digest = digest;
    items_[digest].total = total;
  }
  Item& it = items_[digest];
  it.state = outcome;
  it.completed = it.total;
  if (mode_ == Mode::Json) emit_json({{"status", outcome}, {"digest", digest}, {"total", it.total}});
  if (mode_ == Mode::Bars) redraw(true);
}

void Progress::success(const nlohmann::json& summary, const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (mode_ == Mode::Json) {
    nlohmann::json j = summary;
    j["status"] = "success";
    emit_json(j);
  } else if (mode_ == Mode::Bars) {
    if (!order_.empty()) redraw(true);
    std::fprintf(stderr, "%s\n", text.c_str());
    lines_drawn_ = 0;
    order_.clear();
    items_.clear();
  }
}

// REQUIRES: mutex_ held.
void Progress::redraw(bool force) {
  auto now = Clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string out;
  if (lines_drawn_ > 0) out += fmt::format("\x1b[{}A", lines_drawn_);
  for (const auto& d : order_) {
    const Item& it = items_[d];
    double fraction = it.total ? static_cast<double>(it.completed) / static_cast<double>(it.total) : 1.0;
    std::string tail;
    if (it.state == "verifying") {
      tail = "verifying sha256";
    } else if (!it.state.empty()) {
      tail = it.state;
    } else {
      double eta = it.speed > 0 ? static_cast<double>(it.total - it.completed) / it.speed : -1;
      tail = fmt::format("{}/s  {}", human_bytes(static_cast<std::uint64_t>(it.speed)), duration_text(eta));
    }
    out += fmt::format("\x1b[2K{} {} {:3.0f}% ▕{}▏ {}/{}  {}\n", verb_ == "uploading" ? "pushing" : "pulling",
                       short_digest(d).substr(7), fraction * 100, bar(fraction, 24), human_bytes(it.completed),
                       human_bytes(it.total), tail);
  }
  lines_drawn_ = static_cast<int>(order_.size());
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hearth::store
