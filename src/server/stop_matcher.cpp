#include "server/stop_matcher.h"

#include <algorithm>

namespace hearth::server {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopMatcher::Result StopMatcher::feed(std::string_view text) {
  Result result;
  if (stopped_) return result;
  pending_.append(text);
  // The earliest complete match wins; among matches at the same position, the longest.
  std::size_t best = std::string::npos;
  const std::string* best_stop = nullptr;
  for (const auto& stop : stops_) {
    std::size_t pos = pending_.find(stop);
    if (pos != std::string::npos && (pos < best || (pos == best && best_stop && stop.size() > best_stop->size()))) {
      best = pos;
      best_stop = &stop;
    }
  }
  if (best_stop) {
    result.text = pending_.substr(0, best);
    result.stopped = true;
    result.matched = *best_stop;
    stopped_ = true;
    pending_.clear();
    return result;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  std::size_t hold = 0;
  for (const auto& stop : stops_) {
    for (std::size_t len = std::min(stop.size() - 1, pending_.size()); len > hold; --len) {
      if (pending_.compare(pending_.size() - len, len, stop, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  result.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return result;
}

std::string StopMatcher::flush() {
  std::string out;
  if (!stopped_) out.swap(pending_);
  return out;
}

}  // namespace hearth::server
