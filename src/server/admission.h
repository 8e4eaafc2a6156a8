#pragma once
// Admission control: bounds the number of waiting sequences so that Hearth degrades instead of collapsing.
//
// "Waiting" for admission purposes is min(sequences not yet scheduled, sequences beyond max_sequences): the
// first counts a burst that the engine thread has not picked up yet, the second the real queue when the
// batch is full; taking the smaller of the two means a burst that fits into the batch is never refused,
// while the total number of admitted sequences never exceeds max_sequences + max_queue (x2 for
// cap_max_tokens), so memory stays bounded under any load.
//
// When a request would take waiting above max_queue, the policy decides:
//   kReject        the new request gets 503 + Retry-After.
//   kCapMaxTokens  it is admitted with max_tokens capped, until waiting would exceed 2 x max_queue (then 503).
//   kShedLongest   waiting requests with longer prompts than the new one are evicted (their clients get 503)
//                  to make room; if that is not enough, the new request gets 503.
// `degraded` is set by any of these actions and clears by itself once waiting drops below max_queue.
//
// Thread safety: all methods may be called from any thread.
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "config/config.h"
#include "server/api_error.h"

namespace hearth::server {

class ServerMetrics;

struct AdmissionPolicy {
  int max_queue = 100;
  int max_sequences = 64;
  config::OverloadPolicy policy = config::OverloadPolicy::kReject;
  int overload_max_tokens = 256;
  int retry_after_seconds = 1;
};

class AdmissionController {
 public:
  using Ticket = std::uint64_t;

  struct Decision {
    bool admitted = false;
    Ticket ticket = 0;
    std::optional<int> max_tokens_cap;  // set when kCapMaxTokens trimmed the request
    ApiError rejection;                 // when !admitted
  };

  AdmissionController(AdmissionPolicy policy, ServerMetrics* metrics);

  // Decides on a request of `sequences` sequences whose prompt is `prompt_tokens` long. `evict` is called
  // at most once, from whichever thread makes room, if kShedLongest drops this request while it waits; it
  // must cancel the request without blocking (it is called without any admission lock held).
  Decision admit(int sequences, int prompt_tokens, std::function<void()> evict);

  void on_scheduled(Ticket ticket);                     // one of the ticket's sequences started running
  void on_finished(Ticket ticket, bool was_scheduled);  // one of the ticket's sequences ended

  int waiting() const;
  int running() const;
  bool degraded() const;
  const AdmissionPolicy& policy() const { return policy_; }

 private:
  struct Entry {
    int waiting = 0;
    int running = 0;
    int prompt_tokens = 0;
    bool evicted = false;
    std::function<void()> evict;
  };
  int effective_waiting(int extra) const;  // REQUIRES: mutex_ held
  void update_gauges();                    // REQUIRES: mutex_ held

  const AdmissionPolicy policy_;
  ServerMetrics* metrics_;
  mutable std::mutex mutex_;
  std::unordered_map<Ticket, Entry> entries_;
  Ticket next_ticket_ = 1;
  int waiting_ = 0;          // not yet scheduled, evicted ones included
  int evicted_waiting_ = 0;  // of which were evicted and are being cancelled
  int running_ = 0;
  bool degraded_ = false;
};

}  // namespace hearth::server
