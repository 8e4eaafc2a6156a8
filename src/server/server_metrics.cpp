#include "server/server_metrics.h"

namespace hearth::server {

ServerMetrics::ServerMetrics(std::string model)
    : model_(std::move(model)),
      labels_{{"model", model_}},
      waiting_(registry_.gauge("hearth_requests_waiting", "Sequences admitted and waiting to be scheduled.", labels_)),
      running_(registry_.gauge("hearth_requests_running", "Sequences in the running batch.", labels_)),
      degraded_(registry_.gauge("hearth_degraded",
                                "1 while admission control is refusing or trimming requests because the queue is full.",
                                labels_)),
      kv_cache_usage_(
          registry_.gauge("hearth_kv_cache_usage_ratio", "Share of KV cache blocks in use (0 to 1).", labels_)),
      prompt_tokens_(registry_.counter("hearth_prompt_tokens_total", "Prompt tokens processed.", labels_)),
      generation_tokens_(registry_.counter("hearth_generation_tokens_total", "Tokens generated.", labels_)),
      ttft_(registry_.histogram("hearth_time_to_first_token_seconds",
                                "From request arrival to the first generated token.", latency_buckets_ttft(), labels_)),
      itl_(registry_.histogram("hearth_inter_token_latency_seconds", "Time between consecutive generated tokens.",
                               latency_buckets_inter_token(), labels_)),
      e2e_(registry_.histogram("hearth_e2e_request_latency_seconds", "From request arrival to its last token.",
                               latency_buckets_request(), labels_)),
      queue_time_(registry_.histogram("hearth_request_queue_time_seconds",
                                      "From request arrival until it was first scheduled.", latency_buckets_request(),
                                      labels_)) {
  // Engine-provided series exist from the start so that dashboards and alerts see zeros, not gaps.
  registry_.counter("hearth_prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.", labels_);
  registry_.counter("hearth_prefix_cache_hits_total", "Prompt tokens found in the prefix cache.", labels_);
  registry_.declare("hearth_request_success_total", "Finished sequences by finish reason.", "counter");
  registry_.declare("hearth_requests_rejected_total", "Requests refused by admission control or shutdown.", "counter");
  registry_.declare("hearth_http_requests_total", "HTTP requests by route and status code.", "counter");
}

Labels ServerMetrics::with(std::string name, std::string value) const {
  Labels l = labels_;
  l.emplace_back(std::move(name), std::move(value));
  return l;
}

void ServerMetrics::sequence_finished(std::string_view reason) {
  registry_.counter("hearth_request_success_total", "", with("finished_reason", std::string(reason))).add();
}

void ServerMetrics::request_rejected(std::string_view reason) {
  registry_.counter("hearth_requests_rejected_total", "", with("reason", std::string(reason))).add();
}

void ServerMetrics::http_request(std::string_view route, int status) {
  Labels l = with("route", std::string(route));
  l.emplace_back("code", std::to_string(status));
  registry_.counter("hearth_http_requests_total", "", l).add();
}

std::string ServerMetrics::render(const ServiceStats& stats) {
  std::lock_guard lock(render_mutex_);
  kv_cache_usage_.set(stats.kv_cache_usage);
  // The engine keeps running totals; the exported counters follow them (they never go down).
  auto follow = [](Counter& c, double total) {
    if (total > c.value()) c.add(total - c.value());
  };
  follow(registry_.counter("hearth_prefix_cache_queries_total", "", labels_),
         static_cast<double>(stats.prefix_cache_queries));
  follow(registry_.counter("hearth_prefix_cache_hits_total", "", labels_),
         static_cast<double>(stats.prefix_cache_hits));
  if (stats.device_memory_total >= 0) {
    registry_.gauge("hearth_gpu_memory_used_bytes", "Device memory in use by Hearth.", labels_)
        .set(static_cast<double>(stats.device_memory_used));
    registry_.gauge("hearth_gpu_memory_total_bytes", "Device memory in total.", labels_)
        .set(static_cast<double>(stats.device_memory_total));
  }
  return registry_.render();
}

}  // namespace hearth::server
