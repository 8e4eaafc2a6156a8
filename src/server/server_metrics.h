#pragma once
// The metrics `hearth serve` exports on /metrics, every series labelled with model="<served name>":
//   hearth_requests_waiting, hearth_requests_running, hearth_degraded              (gauges, admission control)
//   hearth_kv_cache_usage_ratio, hearth_gpu_memory_used_bytes/_total_bytes         (gauges, engine stats)
//   hearth_prefix_cache_hits_total, hearth_prefix_cache_queries_total              (counters, engine stats)
//   hearth_prompt_tokens_total, hearth_generation_tokens_total                     (counters)
//   hearth_request_success_total{finished_reason}, hearth_requests_rejected_total{reason},
//   hearth_http_requests_total{route,code}                                        (counters)
//   hearth_time_to_first_token_seconds, hearth_inter_token_latency_seconds,
//   hearth_e2e_request_latency_seconds, hearth_request_queue_time_seconds          (histograms)
#include <mutex>
#include <string>
#include <string_view>

#include "server/engine_interface.h"
#include "server/metrics_registry.h"

namespace hearth::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string model);

  void observe_queue_time(double seconds) { queue_time_.observe(seconds); }
  void observe_time_to_first_token(double seconds) { ttft_.observe(seconds); }
  void observe_inter_token_latency(double seconds) { itl_.observe(seconds); }
  void observe_e2e_latency(double seconds) { e2e_.observe(seconds); }
  void add_prompt_tokens(int n) { prompt_tokens_.add(n); }
  void add_generation_tokens(int n) { generation_tokens_.add(n); }

  // One finished sequence: "stop", "length", "tool_calls", "cancelled", "error".
  void sequence_finished(std::string_view reason);
  // One request refused by admission control or shutdown: "overloaded", "shed", "shutting_down".
  void request_rejected(std::string_view reason);
  // One HTTP exchange, by route pattern (not the raw path: bounded label values) and status code.
  void http_request(std::string_view route, int status);

  void set_waiting(int n) { waiting_.set(n); }
  void set_running(int n) { running_.set(n); }
  void set_degraded(bool degraded) { degraded_.set(degraded ? 1 : 0); }

  // Takes the engine's own numbers, then renders everything.
  std::string render(const ServiceStats& stats);

  MetricsRegistry& registry() { return registry_; }

 private:
  Labels with(std::string name, std::string value) const;

  std::mutex render_mutex_;  // scrapes may overlap
  std::string model_;
  Labels labels_;
  MetricsRegistry registry_;
  Gauge& waiting_;
  Gauge& running_;
  Gauge& degraded_;
  Gauge& kv_cache_usage_;
  Counter& prompt_tokens_;
  Counter& generation_tokens_;
  Histogram& ttft_;
  Histogram& itl_;
  Histogram& e2e_;
  Histogram& queue_time_;
};

}  // namespace hearth::server
