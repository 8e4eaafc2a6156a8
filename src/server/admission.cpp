#include "server/admission.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "server/server_metrics.h"

namespace hearth::server {

AdmissionController::AdmissionController(AdmissionPolicy policy, ServerMetrics* metrics)
    : policy_(policy), metrics_(metrics) {}

int AdmissionController::effective_waiting(int extra) const {
  const int queued = waiting_ - evicted_waiting_ + extra;
  const int in_system = queued + running_;
  return std::min(queued, std::max(0, in_system - policy_.max_sequences));
}

void AdmissionController::update_gauges() {
  if (degraded_ && effective_waiting(0) < policy_.max_queue) degraded_ = false;
  if (metrics_) {
    metrics_->set_waiting(waiting_);
    metrics_->set_running(running_);
    metrics_->set_degraded(degraded_);
  }
}

AdmissionController::Decision AdmissionController::admit(int sequences, int prompt_tokens,
                                                         std::function<void()> evict) {
  Decision decision;
  std::vector<std::function<void()>> evictions;  // run after unlocking
  {
    std::lock_guard lock(mutex_);
    const int limit = policy_.max_queue;
    bool admit = effective_waiting(sequences) <= limit;
    if (!admit) {
      degraded_ = true;
      switch (policy_.policy) {
        case config::OverloadPolicy::kReject:
          break;
        case config::OverloadPolicy::kCapMaxTokens:
          if (effective_waiting(sequences) <= 2 * limit) {
            admit = true;
            decision.max_tokens_cap = policy_.overload_max_tokens;
          }
          break;
        case config::OverloadPolicy::kShedLongest: {
          // Victims: requests that have not started, longest prompt first, longer than the newcomer's.
          std::vector<std::pair<int, Ticket>> candidates;
          for (const auto& [t, e] : entries_) {
            if (!e.evicted && e.running == 0 && e.waiting > 0 && e.prompt_tokens > prompt_tokens) {
              candidates.emplace_back(e.prompt_tokens, t);
            }
          }
          std::sort(candidates.begin(), candidates.end(), std::greater<>());
          int freed = 0;
          std::size_t used = 0;
          while (used < candidates.size() && effective_waiting(sequences - freed) > limit) {
            freed += entries_[candidates[used].second].waiting;
            ++used;
          }
          if (effective_waiting(sequences - freed) <= limit) {
            for (std::size_t i = 0; i < used; ++i) {
              Entry& victim = entries_[candidates[i].second];
              victim.evicted = true;
              evicted_waiting_ += victim.waiting;
              if (victim.evict) evictions.push_back(std::move(victim.evict));
              if (metrics_) metrics_->request_rejected("shed");
            }
            admit = true;
          }
          break;
        }
      }
    }
    if (admit) {
      decision.admitted = true;
      decision.ticket = next_ticket_++;
      entries_[decision.ticket] = Entry{sequences, 0, prompt_tokens, false, std::move(evict)};
      waiting_ += sequences;
    } else {
      decision.rejection = ApiError::overloaded(
          fmt::format("The server is overloaded: {} requests are already waiting (max_queue). Retry later.",
                      effective_waiting(0)),
          policy_.retry_after_seconds);
      if (metrics_) metrics_->request_rejected("overloaded");
    }
    update_gauges();
  }
  for (auto& fn : evictions) fn();
  return decision;
}

void AdmissionController::on_scheduled(Ticket ticket) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ticket);
  if (it == entries_.end() || it->second.waiting == 0) return;
  Entry& e = it->second;
  --e.waiting;
  --waiting_;
  if (e.evicted) --evicted_waiting_;
  ++e.running;
  ++running_;
  update_gauges();
}

void AdmissionController::on_finished(Ticket ticket, bool was_scheduled) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(ticket);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (was_scheduled && e.running > 0) {
    --e.running;
    --running_;
  } else if (!was_scheduled && e.waiting > 0) {
    --e.waiting;
    --waiting_;
    if (e.evicted) --evicted_waiting_;
  }
  if (e.waiting == 0 && e.running == 0) entries_.erase(it);
  update_gauges();
}

int AdmissionController::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

int AdmissionController::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

bool AdmissionController::degraded() const {
  std::lock_guard lock(mutex_);
  return degraded_;
}

}  // namespace hearth::server
